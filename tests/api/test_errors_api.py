"""Every failure under /api/ answers the same JSON error shape."""

import json

import pytest
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError, connection
from django.test import RequestFactory
from rest_framework.test import APIClient

from questionbank.api.errors import exception_handler, not_found, server_error
from questionbank.errors import QuestionBankError, ServiceUnavailable
from questionbank.models import Question
from similarity.models import DuplicateFlag, FlagStatus
from tests.factories import make_question

pytestmark = pytest.mark.django_db


def assert_error_shape(response, status_code: int, code: str) -> dict:
    assert response.status_code == status_code
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def test_malformed_json_is_a_400_parse_error(api_client, bank):
    response = api_client.post(
        "/api/v1/questions/", '{"bank": 1, "stem": "unfinished', content_type="application/json"
    )

    error = assert_error_shape(response, 400, "parse_error")
    assert error["message"].startswith("JSON parse error")
    assert not Question.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(api_client, bank):
    response = api_client.post("/api/v1/questions/", ["a", "list"], format="json")

    error = assert_error_shape(response, 400, "invalid")
    assert error["fields"] == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }


def test_form_bodies_are_refused_as_unsupported(api_client, bank):
    response = api_client.post("/api/v1/questions/", {"bank": bank.pk, "stem": "Hi?"})

    error = assert_error_shape(response, 415, "unsupported_media_type")
    assert "multipart/form-data" in error["message"]
    assert not Question.objects.exists()


def test_wrong_method_is_a_405(api_client):
    response = api_client.delete("/api/v1/banks/")

    error = assert_error_shape(response, 405, "method_not_allowed")
    assert error["message"] == 'Method "DELETE" not allowed.'


def test_unknown_api_url_is_a_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing/")

    error = assert_error_shape(response, 404, "not_found")
    assert error["message"] == "There is no API endpoint at /api/v1/no-such-thing/."


def test_missing_trailing_slash_gets_a_hint(api_client):
    response = api_client.get("/api/v1/banks")

    error = assert_error_shape(response, 404, "not_found")
    assert error["message"] == (
        "There is no API endpoint at /api/v1/banks. "
        "Did you mean /api/v1/banks/ (with a trailing slash)?"
    )


def test_unknown_api_url_is_404_even_without_a_token():
    response = APIClient().get("/api/v1/no-such-thing/")

    assert_error_shape(response, 404, "not_found")


def test_oversize_body_is_a_json_413_before_authentication():
    response = APIClient().post(
        "/api/v1/questions/", "x" * (2 * 1024 * 1024 + 1), content_type="application/json"
    )

    error = assert_error_shape(response, 413, "too_large")
    assert error["message"] == (
        "The request body is 2,097,153 bytes; the limit is 2,097,152 bytes (2.0 MiB)."
    )


def test_body_at_the_limit_is_read(api_client, bank):
    stem = "Why? " + " " * (2 * 1024 * 1024 - 100)
    body = f'{{"bank": {bank.pk}, "stem": "{stem}"}}'
    assert len(body) <= 2 * 1024 * 1024

    response = api_client.post("/api/v1/questions/", body, content_type="application/json")

    assert response.status_code == 201
    assert Question.objects.get().stem == "Why?"


def test_oversize_body_elsewhere_is_left_to_django(client):
    response = client.post("/healthz", "x" * (2 * 1024 * 1024 + 1), content_type="text/plain")

    assert response.status_code == 405


# -- the handlers themselves --------------------------------------------------


def test_handler_maps_django_validation_errors():
    response = exception_handler(DjangoValidationError({"stem": "Enter the question text."}), {})

    assert response.status_code == 400
    assert response.data == {
        "error": {
            "code": "invalid",
            "message": "stem: Enter the question text.",
            "fields": {"stem": ["Enter the question text."]},
        }
    }


def test_handler_maps_validation_errors_without_fields():
    response = exception_handler(DjangoValidationError("Nothing to import."), {})

    assert response.data["error"] == {
        "code": "invalid",
        "message": "Nothing to import.",
        "fields": {"non_field_errors": ["Nothing to import."]},
    }


def test_handler_shortens_long_field_lists():
    errors = {f"questions[{n}]": [f"stem: problem {n}"] for n in range(5)}

    response = exception_handler(DjangoValidationError(errors), {})

    assert response.data["error"]["message"] == (
        "questions[0]: stem: problem 0. questions[1]: stem: problem 1. "
        "questions[2]: stem: problem 2. (and 2 more)"
    )
    assert len(response.data["error"]["fields"]) == 5


def test_handler_maps_domain_errors_with_their_status():
    response = exception_handler(ServiceUnavailable("The import queue is full."), {})

    assert response.status_code == 503
    assert response.data == {
        "error": {"code": "unavailable", "message": "The import queue is full.", "fields": {}}
    }
    assert exception_handler(QuestionBankError("No.", code="refused"), {}).data["error"] == {
        "code": "refused",
        "message": "No.",
        "fields": {},
    }


def test_handler_maps_request_data_too_big():
    response = exception_handler(RequestDataTooBig("too big"), {})

    assert response.status_code == 413
    assert response.data["error"]["message"] == (
        "The request body is too large; the limit is 2,097,152 bytes (2.0 MiB)."
    )


def test_handler_leaves_crashes_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None


def test_handler500_answers_json_under_the_api():
    response = server_error(RequestFactory().get("/api/v1/banks/"))

    assert response.status_code == 500
    assert json.loads(response.content) == {
        "error": {
            "code": "server_error",
            "message": "The server failed to handle this request; the error has been logged.",
            "fields": {},
        }
    }


def test_handler500_keeps_django_page_elsewhere():
    response = server_error(RequestFactory().get("/questions/"))

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_handler404_answers_json_under_the_api_only():
    api = not_found(RequestFactory().get("/api/v2/banks/"), Exception("missing"))
    page = not_found(RequestFactory().get("/nothing-here/"), Exception("missing"))

    assert api.status_code == 404
    assert (
        json.loads(api.content)["error"]["message"] == "There is no API endpoint at /api/v2/banks/."
    )
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


# -- documents nested too deeply ----------------------------------------------

DEEP = 100_000


@pytest.mark.parametrize(
    "body",
    [
        "[" * DEEP + "]" * DEEP,
        '{"bank": 1, "stem": ' + "[" * DEEP + "]" * DEEP + "}",
        '{"a": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}",
    ],
    ids=["list", "inside-a-field", "objects"],
)
@pytest.mark.parametrize(
    "url", ["/api/v1/questions/", "/api/v1/questions/bulk/", "/api/v1/check/", "/api/v1/compare/"]
)
def test_deeply_nested_json_is_a_400_parse_error(
    api_client, bank, url, body, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(url, body, content_type="application/json")

    assert_error_shape(response, 400, "parse_error")
    assert response.json()["error"] == {
        "code": "parse_error",
        "message": "JSON parse error - the document is nested too deeply.",
        "fields": {},
    }
    assert Question.objects.count() == 0
    assert callbacks == []


def test_deeply_nested_decision_is_a_400_parse_error(reviewer_client, bank, teacher):
    make_question(bank=bank, author=teacher, stem="Which ocean is the largest?")
    make_question(bank=bank, author=teacher, stem="Which ocean is the largest")
    flag = DuplicateFlag.objects.get()

    response = reviewer_client.post(
        f"/api/v1/flags/{flag.pk}/decision/", "[" * DEEP, content_type="application/json"
    )

    error = assert_error_shape(response, 400, "parse_error")
    assert error["message"] == "JSON parse error - the document is nested too deeply."
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


# -- the database is down -----------------------------------------------------

DATABASE_DOWN = {
    "error": {
        "code": "database_unavailable",
        "message": (
            "The database is not available right now, so the request could not be handled. "
            "Try again in a moment."
        ),
        "fields": {},
    }
}


def _refuse_every_query(execute, sql, params, many, context):
    raise OperationalError("connection to server failed: Connection refused")


def test_database_down_is_a_json_503(api_client, bank, caplog):
    with connection.execute_wrapper(_refuse_every_query):
        response = api_client.get("/api/v1/banks/")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json() == DATABASE_DOWN
    [record] = [r for r in caplog.records if r.name == "questionbank.api.errors"]
    assert record.levelname == "ERROR"
    assert record.getMessage() == "database unavailable while handling /api/v1/banks/"
    assert isinstance(record.exc_info[1], OperationalError)


def test_connection_lost_while_saving_is_a_json_503_and_nothing_is_stored(
    api_client, bank, django_capture_on_commit_callbacks
):
    def lose_inserts(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "questionbank_question"'):
            raise InterfaceError("connection already closed")
        return execute(sql, params, many, context)

    with django_capture_on_commit_callbacks() as callbacks:
        with connection.execute_wrapper(lose_inserts):
            response = api_client.post(
                "/api/v1/questions/",
                {"bank": bank.pk, "stem": "Which ocean is the largest?"},
                format="json",
            )

    assert response.status_code == 503
    assert response.json() == DATABASE_DOWN
    assert Question.objects.count() == 0
    assert callbacks == []


@pytest.mark.parametrize("error", [OperationalError("gone"), InterfaceError("closed")])
def test_handler_maps_database_errors_to_503(error):
    response = exception_handler(error, {})

    assert response.status_code == 503
    assert response.data == DATABASE_DOWN


def test_handler_leaves_other_database_errors_to_django():
    assert exception_handler(DataError("value too long"), {}) is None
