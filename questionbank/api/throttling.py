"""Rate limits for the endpoints that run the model on every request.

The rates live here with safe defaults; a deployment overrides one through
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (e.g. {"check": "300/min"}).
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

DEFAULT_RATES = {
    # An editor checks a draft as the author types: a few per second at most.
    "check": "120/min",
    "compare": "120/min",
}


class ModelRateThrottle(UserRateThrottle):
    """Per-user rate for one scope, read from settings at request time."""

    def get_rate(self) -> str | None:
        # SimpleRateThrottle copies the settings dict once at import, which
        # would ignore overrides made later (deployments and tests alike).
        configured = api_settings.DEFAULT_THROTTLE_RATES or {}
        return configured.get(self.scope, DEFAULT_RATES[self.scope])


class CheckRateThrottle(ModelRateThrottle):
    scope = "check"


class CompareRateThrottle(ModelRateThrottle):
    scope = "compare"
