"""Creating, listing and reading questions through /api/v1/questions/."""

import json
import threading

import pytest
from django.db import connection
from django.db.models import Max
from rest_framework.test import APIClient

from questionbank.models import Bank, EmbeddingStatus, Question
from similarity.embedding import ModelUnavailable
from similarity.models import DuplicateFlag
from tests.api.conftest import token_client
from tests.factories import make_bank, make_question, make_user

pytestmark = pytest.mark.django_db

QUESTIONS = "/api/v1/questions/"
BULK = "/api/v1/questions/bulk/"


def post_question(client, bank, stem, **fields):
    return client.post(QUESTIONS, {"bank": bank.pk, "stem": stem, **fields}, format="json")


# -- create -------------------------------------------------------------------


def test_create_returns_201_with_the_stored_question(
    api_client, bank, teacher, django_capture_on_commit_callbacks
):
    body = {
        "bank": bank.pk,
        "stem": "  What is the capital of France?  ",
        "options": ["Lyon", "Paris", "Marseille"],
        "answer": "Paris",
    }

    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(QUESTIONS, body, format="json")

    assert response.status_code == 201
    data = response.json()
    question = Question.objects.get()
    assert data == {
        "id": question.pk,
        "bank": bank.pk,
        "stem": "What is the capital of France?",
        "options": ["Lyon", "Paris", "Marseille"],
        "answer": 1,
        "embedding_status": "pending",
        "truncated": False,
        "created_at": data["created_at"],
        "url": f"http://testserver/api/v1/questions/{question.pk}/",
        "flags_url": f"http://testserver/api/v1/flags/?question={question.pk}",
        "exact_duplicates": [],
    }
    assert response["Location"] == data["url"]
    assert (question.author, question.bank, question.answer_index) == (teacher, bank, 1)
    assert question.embedding_status == EmbeddingStatus.PENDING
    assert len(callbacks) == 1  # the embedding task, queued after commit


def test_create_of_an_open_question_returns_its_answer_text(api_client, bank):
    response = post_question(api_client, bank, "Name the longest river in Africa.", answer="Nile")

    assert response.status_code == 201
    assert (response.json()["options"], response.json()["answer"]) == ([], "Nile")
    assert Question.objects.get().answer_text == "Nile"


def test_create_reports_an_exact_duplicate_found_at_save_time(api_client, bank, teacher):
    first = make_question(bank=bank, author=teacher, stem="What is the capital of France?")

    response = post_question(api_client, bank, "what is the capital of  FRANCE")

    assert response.status_code == 201
    data = response.json()
    assert data["exact_duplicates"] == [
        {
            "id": first.pk,
            "stem": "What is the capital of France?",
            "url": f"http://testserver/api/v1/questions/{first.pk}/",
        }
    ]
    flag = DuplicateFlag.objects.get()
    assert (flag.question_id, flag.original_id, flag.kind) == (data["id"], first.pk, "exact")


def test_second_identical_post_without_a_key_is_stored_and_flagged(api_client, bank):
    first = post_question(api_client, bank, "Which ocean is the largest?").json()

    second = post_question(api_client, bank, "Which ocean is the largest?")

    assert second.status_code == 201
    assert second.json()["id"] != first["id"]
    assert [d["id"] for d in second.json()["exact_duplicates"]] == [first["id"]]
    assert Question.objects.count() == 2
    flag = DuplicateFlag.objects.get()
    assert (flag.question_id, flag.original_id) == (second.json()["id"], first["id"])


def test_same_idempotency_key_twice_returns_the_first_question(api_client, bank):
    headers = {"Idempotency-Key": "form-7f3a"}

    first = api_client.post(
        QUESTIONS, {"bank": bank.pk, "stem": "Which ocean is the largest?"}, format="json",
        headers=headers,
    )  # fmt: skip
    second = api_client.post(
        QUESTIONS, {"bank": bank.pk, "stem": "Which ocean is the largest?"}, format="json",
        headers=headers,
    )  # fmt: skip

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert Question.objects.get().idempotency_key == "form-7f3a"
    assert DuplicateFlag.objects.count() == 0


def test_idempotency_keys_belong_to_their_author(api_client, bank, teacher):
    colleague = make_user("colleague")
    bank.members.add(colleague)
    headers = {"Idempotency-Key": "same-key"}
    body = {"bank": bank.pk, "stem": "Which ocean is the largest?"}

    mine = api_client.post(QUESTIONS, body, format="json", headers=headers)
    theirs = token_client(colleague).post(QUESTIONS, body, format="json", headers=headers)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert Question.objects.count() == 2


@pytest.mark.parametrize("key", ["", "   ", "k" * 201])
def test_unusable_idempotency_key_is_refused(api_client, bank, key):
    response = api_client.post(
        QUESTIONS, {"bank": bank.pk, "stem": "Which ocean is the largest?"}, format="json",
        headers={"Idempotency-Key": key},
    )  # fmt: skip

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_idempotency_key",
        "message": "The Idempotency-Key header must hold 1 to 200 characters.",
        "fields": {},
    }
    assert not Question.objects.exists()


def _post_in_threads(users_and_bodies, *, headers=None) -> list:
    """POST from several threads at once, each with its own client and connection."""
    barrier = threading.Barrier(len(users_and_bodies))
    responses: list = [None] * len(users_and_bodies)
    clients = [token_client(user) for user, _ in users_and_bodies]

    def post(position, client, body):
        try:
            barrier.wait(timeout=10)
            responses[position] = client.post(QUESTIONS, body, format="json", headers=headers)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=post, args=(position, client, body))
        for position, (client, (_, body)) in enumerate(zip(clients, users_and_bodies, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return responses


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("empty_queue")
def test_parallel_posts_with_the_same_key_store_one_question():
    teacher = make_user("racer")
    bank = make_bank("Race", members=[teacher])
    body = {"bank": bank.pk, "stem": "Which planet is closest to the Sun?"}

    responses = _post_in_threads([(teacher, body)] * 2, headers={"Idempotency-Key": "double"})

    assert sorted(r.status_code for r in responses) == [200, 201]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert Question.objects.count() == 1
    assert DuplicateFlag.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("empty_queue")
def test_parallel_identical_posts_without_a_key_are_flagged_as_one_pair():
    teacher = make_user("racer")
    bank = make_bank("Race", members=[teacher])
    body = {"bank": bank.pk, "stem": "Which planet is closest to the Sun?"}

    responses = _post_in_threads([(teacher, body)] * 2)

    assert [r.status_code for r in responses] == [201, 201]
    first, second = sorted((r.json() for r in responses), key=lambda d: d["id"])
    assert Question.objects.count() == 2
    flag = DuplicateFlag.objects.get()
    assert {flag.question_id, flag.original_id} == {first["id"], second["id"]}
    assert flag.kind == "exact"


@pytest.mark.parametrize("stem", ["", "   ", "?", "\n\t", "<p></p>"])
def test_empty_question_text_is_refused_and_nothing_is_stored(
    api_client, bank, stem, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post_question(api_client, bank, stem)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["stem"] in (
        ["Enter the question text."],
        ["The question text needs at least one letter or digit."],
    )
    assert error["message"] == f"stem: {error['fields']['stem'][0]}"
    assert Question.objects.count() == 0
    assert callbacks == []


def test_missing_bank_is_refused(api_client, bank):
    response = api_client.post(QUESTIONS, {"stem": "Which ocean is the largest?"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"bank": ["This field is required."]}
    assert not Question.objects.exists()


@pytest.mark.parametrize("bank_id", [999_999, 10**20])
def test_unknown_bank_is_refused(api_client, bank, bank_id):
    response = api_client.post(
        QUESTIONS, {"bank": bank_id, "stem": "Which ocean is the largest?"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"bank": [f"There is no bank with id {bank_id}."]}
    assert not Question.objects.exists()


def test_one_megabyte_question_is_refused_naming_the_limit(api_client, bank):
    response = post_question(api_client, bank, "x" * (1024 * 1024))

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["stem"] == [
        "The question text is 1,048,576 characters long; the limit is 10,000."
    ]
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("answer", "index"),
    [("2", 1), (2, 2), ("4", 3)],
    ids=["text-of-an-option", "integer-index", "last-option"],
)
def test_digit_answer_is_the_option_with_that_text(api_client, bank, answer, index):
    response = post_question(
        api_client, bank, "What is 6 / 3?", options=["1", "2", "3", "4"], answer=answer
    )

    assert response.status_code == 201
    assert response.json()["answer"] == index
    question = Question.objects.get()
    assert (question.answer_index, question.correct_answer) == (index, ["1", "2", "3", "4"][index])


def test_digit_answer_is_an_index_when_no_option_has_that_text(api_client, bank):
    response = post_question(
        api_client, bank, "Capital of Peru?", options=["Quito", "Lima"], answer="1"
    )

    assert response.status_code == 201
    assert Question.objects.get().correct_answer == "Lima"


def test_create_works_while_the_model_cannot_load(api_client, bank, monkeypatch):
    def broken():
        raise ModelUnavailable("no model here")

    monkeypatch.setattr("similarity.embedding.get_encoder", broken)

    response = post_question(api_client, bank, "Which ocean is the largest?")

    assert response.status_code == 201
    assert Question.objects.get().embedding_status == EmbeddingStatus.PENDING


# -- bulk ---------------------------------------------------------------------


def test_bulk_create_stores_every_question(api_client, bank, django_capture_on_commit_callbacks):
    body = {
        "bank": bank.pk,
        "questions": [
            {"stem": "Which ocean is the largest?"},
            {"stem": "Which is the longest river?", "options": ["Nile", "Amazon"], "answer": 0},
            {"stem": "which ocean is the largest"},
        ],
    }

    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(BULK, body, format="json")

    assert response.status_code == 201
    data = response.json()
    stored = list(Question.objects.order_by("id"))
    assert (data["bank"], data["count"]) == (bank.pk, 3)
    assert [q["id"] for q in data["questions"]] == [q.pk for q in stored]
    assert [d["id"] for d in data["questions"][2]["exact_duplicates"]] == [stored[0].pk]
    assert [d["id"] for d in data["questions"][0]["exact_duplicates"]] == [stored[2].pk]
    assert stored[1].answer_index == 0
    assert len(callbacks) == 1


def test_bulk_with_one_bad_question_stores_none(
    api_client, bank, django_capture_on_commit_callbacks
):
    body = {
        "bank": bank.pk,
        "questions": [{"stem": "Which ocean is the largest?"}, {"stem": "<p></p>"}],
    }

    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(BULK, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "questions[1]": ["stem: The question text needs at least one letter or digit."]
    }
    assert not Question.objects.exists()
    assert callbacks == []


def test_bulk_item_source_is_stored_stripped(api_client, bank):
    body = {
        "bank": bank.pk,
        "questions": [{"stem": "Which ocean is the largest?", "source": "  Atlas, p. 4 "}],
    }

    response = api_client.post(BULK, body, format="json")

    assert response.status_code == 201
    assert Question.objects.get().source == "Atlas, p. 4"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("s" * 301, "source: The source is 301 characters long; the limit is 300."),
        (["Atlas", "p. 4"], "source: The source must be text."),
        (7, "source: The source must be text."),
    ],
)
def test_bulk_item_with_an_unusable_source_stores_none(
    api_client, bank, source, message, django_capture_on_commit_callbacks
):
    body = {
        "bank": bank.pk,
        "questions": [
            {"stem": "Which ocean is the largest?"},
            {"stem": "Which is the longest river?", "source": source},
        ],
    }

    with django_capture_on_commit_callbacks() as callbacks:
        response = api_client.post(BULK, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": f"questions[1]: {message}",
        "fields": {"questions[1]": [message]},
    }
    assert Question.objects.count() == 0
    assert callbacks == []


def test_bulk_item_that_is_not_an_object_is_refused(api_client, bank):
    body = {"bank": bank.pk, "questions": [{"stem": "Which ocean is the largest?"}, "oops"]}

    response = api_client.post(BULK, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["questions[1]"]
    assert not Question.objects.exists()


def test_bulk_over_the_count_limit_is_refused(api_client, bank, settings):
    settings.QUESTIONBANK = {**settings.QUESTIONBANK, "MAX_BULK_QUESTIONS": 2}
    questions = [{"stem": f"Question number {n}?"} for n in range(3)]

    response = api_client.post(BULK, {"bank": bank.pk, "questions": questions}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "questions": ["3 questions sent; the limit is 2 per request."]
    }
    assert not Question.objects.exists()


def test_empty_bulk_is_refused(api_client, bank):
    response = api_client.post(BULK, {"bank": bank.pk, "questions": []}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"questions": ["Send at least one question."]}


def test_three_megabyte_bulk_body_is_refused_with_a_json_413(api_client, bank):
    questions = [{"stem": f"Question {n}: " + "x" * 3000} for n in range(1000)]
    payload = json.dumps({"bank": bank.pk, "questions": questions})
    assert len(payload) > 3_000_000

    response = api_client.post(BULK, payload, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "too_large"
    assert error["message"] == (
        f"The request body is {len(payload):,} bytes; the limit is 2,097,152 bytes (2.0 MiB)."
    )
    assert not Question.objects.exists()


# -- permissions --------------------------------------------------------------


def no_such_bank(bank_id: int) -> dict:
    message = f"There is no bank with id {bank_id}."
    return {
        "error": {"code": "invalid", "message": f"bank: {message}", "fields": {"bank": [message]}}
    }


def unused_bank_id() -> int:
    return (Bank.objects.aggregate(Max("pk"))["pk__max"] or 0) + 1


BANK_WRITES = [
    (QUESTIONS, {"stem": "Which ocean is the largest?"}),
    (BULK, {"questions": [{"stem": "Which ocean is the largest?"}]}),
    ("/api/v1/check/", {"stem": "Which ocean is the largest?"}),
]


@pytest.mark.parametrize(("url", "fields"), BANK_WRITES)
def test_a_bank_the_user_cannot_see_answers_like_one_that_does_not_exist(
    api_client, other_bank, url, fields, django_capture_on_commit_callbacks
):
    missing = unused_bank_id()

    with django_capture_on_commit_callbacks() as callbacks:
        hidden = api_client.post(url, {"bank": other_bank.pk, **fields}, format="json")
        unknown = api_client.post(url, {"bank": missing, **fields}, format="json")

    assert (hidden.status_code, unknown.status_code) == (400, 400)
    assert hidden.json() == no_such_bank(other_bank.pk)
    assert unknown.json() == no_such_bank(missing)
    assert "Chemistry" not in hidden.content.decode()
    assert Question.objects.count() == 0
    assert callbacks == []


@pytest.mark.parametrize(("url", "fields"), BANK_WRITES[:2])
def test_superuser_writes_to_any_bank(other_bank, url, fields):
    admin = make_user("admin", is_superuser=True, is_staff=True)

    response = token_client(admin).post(url, {"bank": other_bank.pk, **fields}, format="json")

    assert response.status_code == 201
    assert Question.objects.get().bank == other_bank


@pytest.mark.parametrize(("url", "fields"), BANK_WRITES)
def test_membership_is_checked_again_by_the_services(
    api_client, other_bank, url, fields, monkeypatch
):
    # Were the visibility rule ever to let a bank through, the write is still refused.
    monkeypatch.setattr(
        "questionbank.api.selectors.bank_list_visible", lambda *, user: Bank.objects.all()
    )

    response = api_client.post(url, {"bank": other_bank.pk, **fields}, format="json")

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "permission_denied",
        "message": "You are not a member of the bank 'Chemistry'.",
        "fields": {},
    }
    assert Question.objects.count() == 0


def test_create_without_a_token_is_401_with_a_challenge(bank):
    response = APIClient().post(QUESTIONS, {"bank": bank.pk, "stem": "Hello?"}, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["error"] == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "fields": {},
    }
    assert not Question.objects.exists()


def test_a_wrong_token_is_401(bank):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get(QUESTIONS)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_logged_in_browser_can_read_and_must_send_csrf(teacher, bank):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(teacher)

    listed = client.get(QUESTIONS)
    posted = client.post(QUESTIONS, {"bank": bank.pk, "stem": "Hello there?"}, format="json")

    assert listed.status_code == 200
    assert posted.status_code == 403
    assert posted.json()["error"]["code"] == "permission_denied"
    assert posted.json()["error"]["message"].startswith("CSRF Failed")
    assert not Question.objects.exists()


# -- list and detail ----------------------------------------------------------


def test_list_shows_only_questions_of_the_users_banks(api_client, bank, teacher, other_bank):
    mine = make_question(bank=bank, author=teacher, stem="Which ocean is the largest?")
    make_question(bank=other_bank, author=None, stem="What is the formula of water?")

    response = api_client.get(QUESTIONS)

    assert response.status_code == 200
    data = response.json()
    assert (data["count"], [q["id"] for q in data["results"]]) == (1, [mine.pk])


def test_list_filters_by_bank_and_status(api_client, bank, teacher):
    second_bank = make_bank("Geology", members=[teacher])
    pending = make_question(bank=bank, author=teacher, stem="Which ocean is the largest?")
    failed = make_question(bank=bank, author=teacher, stem="Which river is the longest?")
    elsewhere = make_question(bank=second_bank, author=teacher, stem="What is basalt?")
    Question.objects.filter(pk=failed.pk).update(embedding_status=EmbeddingStatus.FAILED)

    def ids(query):
        return [q["id"] for q in api_client.get(QUESTIONS, query).json()["results"]]

    assert ids({"bank": bank.pk}) == [failed.pk, pending.pk]
    assert ids({"bank": second_bank.pk}) == [elsewhere.pk]
    assert ids({"bank": bank.pk, "status": "failed"}) == [failed.pk]
    assert ids({"status": "pending"}) == [elsewhere.pk, pending.pk]


def test_list_refuses_an_unknown_status(api_client, bank):
    response = api_client.get(QUESTIONS, {"status": "done"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"status": ['"done" is not a valid choice.']}


def test_detail_shows_status_truncation_and_flags(api_client, bank, teacher):
    first = make_question(bank=bank, author=teacher, stem="Which ocean is the largest?")
    second = make_question(bank=bank, author=teacher, stem="Which ocean is the largest")

    response = api_client.get(f"{QUESTIONS}{first.pk}/")

    assert response.status_code == 200
    data = response.json()
    assert (data["id"], data["embedding_status"], data["truncated"]) == (first.pk, "pending", False)
    flag = DuplicateFlag.objects.get()
    assert [f["id"] for f in data["flags"]] == [flag.pk]
    assert data["flags"][0]["question"]["id"] == second.pk
    assert data["flags"][0]["original"]["id"] == first.pk


def test_detail_of_another_banks_question_is_404(api_client, other_bank):
    theirs = make_question(bank=other_bank, author=None, stem="What is the formula of water?")

    response = api_client.get(f"{QUESTIONS}{theirs.pk}/")

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": f"There is no question {theirs.pk} in your banks.",
        "fields": {},
    }


def test_banks_lists_the_users_banks_with_counts(api_client, bank, teacher, other_bank):
    make_question(bank=bank, author=teacher, stem="Which ocean is the largest?")

    response = api_client.get("/api/v1/banks/")

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": bank.pk, "name": "Geography", "course": "", "description": "", "question_count": 1}
    ]


def test_superuser_sees_every_bank(other_bank, bank):
    admin = make_user("admin", is_superuser=True, is_staff=True)

    response = token_client(admin).get("/api/v1/banks/")

    assert [b["name"] for b in response.json()["results"]] == ["Chemistry", "Geography"]
