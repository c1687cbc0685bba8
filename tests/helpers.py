import time
from collections.abc import Callable


def wait_for(predicate: Callable[[], object], *, timeout: float = 90.0, interval: float = 0.25):
    """Poll until predicate() is truthy; return its value or fail with the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout:.0f} s")
        time.sleep(interval)
