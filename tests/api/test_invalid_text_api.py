"""Text that is not valid Unicode is refused with a 400 naming the field, on every endpoint.

JSON may spell a lone surrogate as an escape ("\\ud800"); Python decodes it
into a str that PostgreSQL, the tokenizer and UTF-8 all refuse. The bodies
here are written with json.dumps, which keeps such escapes as they are.
"""

import json

import pytest

from questionbank.models import Question
from similarity.models import DuplicateFlag, FlagStatus
from tests.factories import make_question

pytestmark = pytest.mark.django_db

INVALID = "contains characters that are not valid Unicode."


def post_json(client, url: str, data: dict):
    return client.post(url, json.dumps(data), content_type="application/json")


def invalid_body(fields: dict[str, str]) -> dict:
    message = " ".join(f"{name}: {text}" for name, text in fields.items())
    return {
        "error": {
            "code": "invalid",
            "message": message,
            "fields": {name: [text] for name, text in fields.items()},
        }
    }


@pytest.mark.parametrize(
    ("url", "data", "fields"),
    [
        (
            "/api/v1/questions/",
            {"stem": "x\ud800y?", "options": None},
            {"stem": f"The question text {INVALID}"},
        ),
        (
            "/api/v1/questions/",
            {"stem": "Pick one.", "options": ["fine", "\udc00"], "answer": 0},
            {"options": f"The option 2 {INVALID}"},
        ),
        (
            "/api/v1/questions/",
            {"stem": "Name the river.", "answer": "Nile\ud800"},
            {"answer": f"The answer {INVALID}"},
        ),
        (
            "/api/v1/questions/",
            {"stem": "Pick one.", "options": ["a", "b"], "answer": "b\ud800"},
            {"answer": f"The answer {INVALID}"},
        ),
        (
            "/api/v1/check/",
            {"stem": "x\ud800y?", "options": None},
            {"stem": f"The question text {INVALID}"},
        ),
        (
            "/api/v1/questions/bulk/",
            {"questions": [{"stem": "Fine?"}, {"stem": "x\ud800y?"}]},
            {"questions[1]": f"stem: The question text {INVALID}"},
        ),
        (
            "/api/v1/questions/bulk/",
            {"questions": [{"stem": "Fine?", "source": "book\ud800"}]},
            {"questions[0]": f"source: The source {INVALID}"},
        ),
    ],
)
def test_questions_with_lone_surrogates_are_refused_and_nothing_is_stored(
    api_client, bank, url, data, fields, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_json(api_client, url, {"bank": bank.pk, **data})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == invalid_body(fields)
    assert Question.objects.count() == 0
    assert callbacks == []


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        ({"a": "x\ud800", "b": "y"}, {"a": f"The question text {INVALID}"}),
        (
            {"a": "Why?", "b": {"stem": "Why\udfff?", "options": ["a", "b"], "answer": 0}},
            {"b.stem": f"The question text {INVALID}"},
        ),
        (
            {"a": "Why?", "b": {"stem": "Why?", "options": ["a", "b"], "answer": "\ud800"}},
            {"b.answer": f"The answer {INVALID}"},
        ),
    ],
)
def test_compare_refuses_lone_surrogates_before_the_model_sees_them(
    api_client, data, fields, monkeypatch
):
    def must_not_embed(*args, **kwargs):
        raise AssertionError("the model was called")

    monkeypatch.setattr("questionbank.api.views.embed_texts", must_not_embed)

    response = post_json(api_client, "/api/v1/compare/", data)

    assert response.status_code == 400
    assert response.json() == invalid_body(fields)


def test_a_surrogate_pair_is_valid_text(api_client, bank):
    # "\ud83d\ude00" in JSON is one character, U+1F600.
    response = post_json(api_client, "/api/v1/questions/", {"bank": bank.pk, "stem": "Why 😀?"})

    assert response.status_code == 201
    assert Question.objects.get().stem == "Why \U0001f600?"


@pytest.fixture
def open_flag(bank, teacher):
    make_question(bank=bank, author=teacher, stem="Which ocean is the largest?")
    make_question(bank=bank, author=teacher, stem="which ocean is the LARGEST")
    return DuplicateFlag.objects.get()


def test_decision_note_with_a_lone_surrogate_is_refused(reviewer_client, open_flag):
    response = post_json(
        reviewer_client,
        f"/api/v1/flags/{open_flag.pk}/decision/",
        {"decision": "confirmed", "note": "same \ud800"},
    )

    assert response.status_code == 400
    # DRF's own check, with its own words.
    assert response.json() == invalid_body(
        {"note": "Surrogate characters are not allowed: U+D800."}
    )
    open_flag.refresh_from_db()
    assert (open_flag.status, open_flag.decision_note, open_flag.decided_by) == (
        FlagStatus.OPEN,
        "",
        None,
    )


def test_a_refusal_that_quotes_a_lone_surrogate_is_still_json(reviewer_client, open_flag):
    response = post_json(
        reviewer_client, f"/api/v1/flags/{open_flag.pk}/decision/", {"decision": "x\ud800"}
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    # Written as an ASCII escape: UTF-8 cannot hold the surrogate itself.
    assert b'"\\"x\\ud800\\" is not a valid choice."' in response.content
    assert response.json() == invalid_body({"decision": '"x\ud800" is not a valid choice.'})
    open_flag.refresh_from_db()
    assert open_flag.status == FlagStatus.OPEN
