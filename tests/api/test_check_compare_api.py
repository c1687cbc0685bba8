"""The live check of drafts and the comparison of two texts, with the real model."""

import pytest

from questionbank.models import Question
from similarity.embedding import ModelUnavailable
from similarity.models import DuplicateFlag
from similarity.services import questions_embed
from tests.factories import make_question

pytestmark = pytest.mark.django_db

CHECK = "/api/v1/check/"
COMPARE = "/api/v1/compare/"
CAPITAL = "What is the capital of France?"
PARAPHRASE = "Which city is the capital of France?"


@pytest.fixture
def model_down(monkeypatch):
    def broken():
        raise ModelUnavailable("cannot load model from /nowhere")

    monkeypatch.setattr("similarity.embedding.get_encoder", broken)


# -- compare ------------------------------------------------------------------


def test_compare_two_texts_gives_the_models_cosine(api_client):
    response = api_client.post(COMPARE, {"a": CAPITAL, "b": PARAPHRASE}, format="json")

    assert response.status_code == 200
    data = response.json()
    assert data["cosine"] == 0.9416
    assert data["label"] == "duplicate"
    assert 0.0 <= data["score"] <= 1.0
    assert isinstance(data["reasons"], list)
    assert data["low_confidence"] in (True, False)
    assert data["model"] == "all-MiniLM-L6-v2"


def test_compare_two_questions_uses_their_stems_and_options(api_client):
    a = {"stem": CAPITAL, "options": ["Paris", "Lyon"], "answer": 0}
    b = {"stem": PARAPHRASE, "options": ["Lyon", "Paris"], "answer": "Paris"}

    response = api_client.post(COMPARE, {"a": a, "b": b}, format="json")

    assert response.status_code == 200
    assert response.json()["cosine"] == 0.9416
    assert response.json()["label"] == "duplicate"


def test_compare_of_identical_texts_is_an_exact_duplicate(api_client):
    response = api_client.post(
        COMPARE, {"a": CAPITAL, "b": "what is the capital of FRANCE"}, format="json"
    )

    data = response.json()
    assert (data["label"], data["score"]) == ("duplicate", 1.0)
    assert "identical after normalisation" in data["reasons"]


def test_compare_refuses_empty_and_malformed_sides(api_client):
    response = api_client.post(COMPARE, {"a": "<p></p>", "b": {"stem": "  "}}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "a": ["The question text needs at least one letter or digit."],
        "b.stem": ["Enter the question text."],
    }


def test_compare_refuses_a_side_that_is_neither_text_nor_question(api_client):
    response = api_client.post(COMPARE, {"a": 42, "b": CAPITAL}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["a"]


def test_compare_needs_both_sides(api_client):
    response = api_client.post(COMPARE, {"a": CAPITAL}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"b": ["This field is required."]}


def test_compare_answers_503_while_the_model_cannot_load(api_client, model_down):
    response = api_client.post(COMPARE, {"a": CAPITAL, "b": PARAPHRASE}, format="json")

    assert response.status_code == 503
    assert response.json()["error"] == {
        "code": "model_unavailable",
        "message": (
            "The similarity model is not available, so duplicates cannot be checked right now. "
            "Saving questions still works; they are checked once the model is back."
        ),
        "fields": {},
    }


# -- check --------------------------------------------------------------------


def test_check_finds_the_paraphrase_of_an_embedded_question(
    api_client, bank, teacher, django_capture_on_commit_callbacks
):
    stored = make_question(bank=bank, author=teacher, stem=CAPITAL)
    questions_embed(question_ids=[stored.pk])
    flags_before = DuplicateFlag.objects.count()

    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(CHECK, {"bank": bank.pk, "stem": PARAPHRASE}, format="json")

    assert response.status_code == 200
    data = response.json()
    assert data["bank"] == bank.pk
    assert len(data["matches"]) == 1
    match = data["matches"][0]
    assert match["question"] == {
        "id": stored.pk,
        "stem": CAPITAL,
        "url": f"http://testserver/api/v1/questions/{stored.pk}/",
    }
    assert (match["label"], match["cosine"], match["exact"]) == ("duplicate", 0.9416, False)
    assert set(match) == {
        "question", "label", "score", "cosine", "reasons", "exact", "low_confidence",
    }  # fmt: skip
    # The check stores nothing and queues nothing.
    assert Question.objects.count() == 1
    assert DuplicateFlag.objects.count() == flags_before
    assert callbacks == []


def test_check_reports_an_exact_copy_even_before_it_is_embedded(api_client, bank, teacher):
    stored = make_question(bank=bank, author=teacher, stem=CAPITAL)

    response = api_client.post(
        CHECK, {"bank": bank.pk, "stem": "what is the capital of france"}, format="json"
    )

    assert response.status_code == 200
    [match] = response.json()["matches"]
    assert (match["question"]["id"], match["exact"], match["label"]) == (
        stored.pk,
        True,
        "duplicate",
    )
    assert match["reasons"] == ["identical after normalisation"]


def test_check_of_an_unrelated_draft_finds_nothing(api_client, bank, teacher):
    stored = make_question(bank=bank, author=teacher, stem=CAPITAL)
    questions_embed(question_ids=[stored.pk])

    response = api_client.post(
        CHECK, {"bank": bank.pk, "stem": "How many legs does a spider have?"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["matches"] == []


@pytest.mark.parametrize("stem", ["", "   ", "?", "\n\t", "<p></p>"])
def test_check_validates_like_create(api_client, bank, stem):
    response = api_client.post(CHECK, {"bank": bank.pk, "stem": stem}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["stem"]


def test_check_in_another_bank_answers_as_if_it_did_not_exist(api_client, other_bank):
    response = api_client.post(CHECK, {"bank": other_bank.pk, "stem": CAPITAL}, format="json")

    assert response.status_code == 400
    message = f"There is no bank with id {other_bank.pk}."
    assert response.json()["error"] == {
        "code": "invalid",
        "message": f"bank: {message}",
        "fields": {"bank": [message]},
    }


def test_check_answers_503_while_the_model_cannot_load(api_client, bank, model_down):
    response = api_client.post(CHECK, {"bank": bank.pk, "stem": CAPITAL}, format="json")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "model_unavailable"


def test_create_still_works_while_check_cannot(api_client, bank, model_down):
    response = api_client.post(
        "/api/v1/questions/", {"bank": bank.pk, "stem": CAPITAL}, format="json"
    )

    assert response.status_code == 201
    assert Question.objects.count() == 1


# -- throttling ---------------------------------------------------------------


def test_check_is_throttled_with_a_json_429(api_client, bank, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"check": "2/min"},
    }
    body = {"bank": bank.pk, "stem": "How many legs does a spider have?"}

    codes = [api_client.post(CHECK, body, format="json").status_code for _ in range(2)]
    refused = api_client.post(CHECK, body, format="json")

    assert codes == [200, 200]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    error = refused.json()["error"]
    assert error["code"] == "throttled"
    assert error["message"].startswith("Request was throttled.")
    # Other endpoints keep their own budget.
    assert api_client.post(COMPARE, {"a": "x1", "b": "y2"}, format="json").status_code == 200
