"""Refuse oversize API bodies before anything reads them.

Django enforces DATA_UPLOAD_MAX_MEMORY_SIZE only when ``request.body`` or a
form is read. DRF's JSON parser reads the raw stream instead, so without this
check a JSON body of any size would be read into memory and parsed.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from questionbank.api.errors import API_PREFIX, error_response, too_large_message

logger = logging.getLogger(__name__)


class ApiBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            size = _content_length(request)
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if limit is not None and size > limit:
                logger.warning("refused a %d byte body for %s", size, request.path)
                return error_response(
                    status_code=413, code="too_large", message=too_large_message(size=size)
                )
        return self.get_response(request)


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
