"""One JSON error shape for everything under /api/.

Every refusal reads ``{"error": {"code": ..., "message": ..., "fields": {...}}}``:
DRF's own exceptions, Django's ValidationError and Http404, the domain's
QuestionBankError, an unavailable model or database, oversize bodies, and
(through handler404 / handler500 in the root URLconf) URLs that match nothing
and crashes.
"""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from questionbank.errors import QuestionBankError
from similarity.embedding import ModelUnavailable

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# A bulk upload with hundreds of bad rows must not produce a message of
# hundreds of lines; the full list is still in "fields".
MESSAGE_FIELD_LIMIT = 3
MODEL_UNAVAILABLE_MESSAGE = (
    "The similarity model is not available, so duplicates cannot be checked right now. "
    "Saving questions still works; they are checked once the model is back."
)
DATABASE_UNAVAILABLE_MESSAGE = (
    "The database is not available right now, so the request could not be handled. "
    "Try again in a moment."
)


def error_body(*, code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_response(
    *, status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> JsonResponse:
    """The error shape for plain Django views and middleware (no DRF request)."""
    return JsonResponse(error_body(code=code, message=message, fields=fields), status=status_code)


def too_large_message(*, size: int | None = None) -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    given = f"The request body is {size:,} bytes; " if size else "The request body is too large; "
    return f"{given}the limit is {limit:,} bytes ({limit / (1024 * 1024):.1f} MiB)."


def flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as one level: ``{"questions[0].stem": [...]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            # ListField reports its items under integer keys.
            if isinstance(key, int):
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_fields(value, name))
        return flat
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        flat = {}
        for position, value in enumerate(detail):
            flat.update(flatten_fields(value, f"{prefix}[{position}]"))
        return flat
    messages = detail if isinstance(detail, list) else [detail]
    return {prefix or "non_field_errors": [str(m) for m in messages if str(m)]}


def fields_message(fields: dict[str, list[str]]) -> str:
    parts = []
    for name, messages in fields.items():
        for text in messages:
            parts.append(text if name in ("non_field_errors", "__all__") else f"{name}: {text}")
    if not parts:
        return "The request is not valid."
    shown = " ".join(
        part if part.endswith(".") else f"{part}." for part in parts[:MESSAGE_FIELD_LIMIT]
    )
    hidden = len(parts) - MESSAGE_FIELD_LIMIT
    return f"{shown} (and {hidden} more)" if hidden > 0 else shown


def _validation_fields(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {name: list(messages) for name, messages in exc.message_dict.items()}
    return {"non_field_errors": list(exc.messages)}


def _api_exception_response(exc: exceptions.APIException) -> Response:
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = f"{int(exc.wait)}"

    if isinstance(exc, exceptions.ValidationError):
        fields = flatten_fields(exc.detail)
        body = error_body(code="invalid", message=fields_message(fields), fields=fields)
    else:
        code = exc.get_codes() if isinstance(exc.detail, str) else exc.default_code
        body = error_body(code=str(code), message=str(exc.detail))
    return Response(body, status=exc.status_code, headers=headers)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER; None lets Django's handler500 answer a crash."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if exc.args else "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) if exc.args else None)

    if isinstance(exc, exceptions.APIException):
        set_rollback()
        return _api_exception_response(exc)

    if isinstance(exc, DjangoValidationError):
        set_rollback()
        fields = _validation_fields(exc)
        body = error_body(code="invalid", message=fields_message(fields), fields=fields)
        return Response(body, status=status.HTTP_400_BAD_REQUEST)

    if isinstance(exc, QuestionBankError):
        set_rollback()
        body = error_body(code=exc.code, message=exc.message)
        return Response(body, status=exc.status_code)

    if isinstance(exc, RequestDataTooBig):
        body = error_body(code="too_large", message=too_large_message())
        return Response(body, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)

    if isinstance(exc, ModelUnavailable):
        logger.warning("similarity model unavailable: %s", exc)
        body = error_body(code="model_unavailable", message=MODEL_UNAVAILABLE_MESSAGE)
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)

    # Django raises these when PostgreSQL cannot be reached or drops the
    # connection (and for transient failures such as a cancelled query): the
    # request was not at fault and may be retried.
    if isinstance(exc, OperationalError | InterfaceError):
        set_rollback()
        request = context.get("request")
        path = request.path if request is not None else "?"
        # Passed explicitly so the traceback is logged outside an except block too.
        logger.exception("database unavailable while handling %s", path, exc_info=exc)
        body = error_body(code="database_unavailable", message=DATABASE_UNAVAILABLE_MESSAGE)
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)

    return None


def _suggest_slash(path: str) -> str:
    """A hint when the URL only lacks its trailing slash."""
    if path.endswith("/"):
        return ""
    try:
        match = resolve(f"{path}/")
    except Resolver404:
        return ""
    if match.url_name == "not-found":
        return ""
    return f" Did you mean {path}/ (with a trailing slash)?"


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """The last pattern of the API URLconf, so that unknown API URLs answer JSON."""
    message = f"There is no API endpoint at {request.path}.{_suggest_slash(request.path)}"
    return error_response(status_code=404, code="not_found", message=message)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith(API_PREFIX):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: JSON under /api/, Django's page elsewhere.

    The exception itself was already logged by django.request.
    """
    if request.path.startswith(API_PREFIX):
        return error_response(
            status_code=500,
            code="server_error",
            message="The server failed to handle this request; the error has been logged.",
        )
    return defaults.server_error(request)
