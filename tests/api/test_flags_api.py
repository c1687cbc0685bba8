"""Listing duplicate flags and recording reviewers' decisions."""

import pytest

from questionbank.models import EmbeddingStatus, Question
from similarity.models import DuplicateFlag, FlagStatus
from similarity.selectors import Match
from similarity.services import flags_write
from similarity.types import Verdict
from tests.api.conftest import grant_review, token_client
from tests.factories import make_bank, make_question, make_user
from tests.helpers import wait_for

pytestmark = pytest.mark.django_db

FLAGS = "/api/v1/flags/"


@pytest.fixture
def exact_pair(bank, teacher):
    original = make_question(bank=bank, author=teacher, stem="Which ocean is the largest?")
    copy = make_question(bank=bank, author=teacher, stem="which ocean is the LARGEST")
    return original, copy, DuplicateFlag.objects.get(question=copy)


@pytest.fixture
def variant_flag(bank, teacher):
    older = make_question(bank=bank, author=teacher, stem="What is 2 + 2?")
    newer = make_question(bank=bank, author=teacher, stem="What is 2 + 3?")
    verdict = Verdict("variant", 0.7, 0.93, ("different numbers: 2 vs 3",))
    flags_write(question=newer, matches=[Match(older, verdict, exact=False)])
    return DuplicateFlag.objects.get(question=newer)


def test_flags_list_shows_both_questions_and_the_judgement(api_client, bank, exact_pair):
    original, copy, flag = exact_pair

    response = api_client.get(FLAGS)

    assert response.status_code == 200
    data = response.json()
    assert data["count"] == 1
    assert data["results"] == [
        {
            "id": flag.pk,
            "question": {
                "id": copy.pk,
                "stem": "which ocean is the LARGEST",
                "url": f"http://testserver/api/v1/questions/{copy.pk}/",
            },
            "original": {
                "id": original.pk,
                "stem": "Which ocean is the largest?",
                "url": f"http://testserver/api/v1/questions/{original.pk}/",
            },
            "bank": bank.pk,
            "kind": "exact",
            "label": "duplicate",
            "score": 1.0,
            "cosine": 1.0,
            "reasons": ["identical after normalisation"],
            "low_confidence": False,
            "status": "open",
            "decided_by": None,
            "decided_at": None,
            "decision_note": "",
            "created_at": data["results"][0]["created_at"],
            "decision_url": f"http://testserver/api/v1/flags/{flag.pk}/decision/",
        }
    ]


def test_flags_list_filters_by_status_label_bank_and_question(
    api_client, teacher, exact_pair, variant_flag
):
    _, copy, exact = exact_pair
    elsewhere = make_bank("Geology", members=[teacher])
    make_question(bank=elsewhere, author=teacher, stem="What is basalt?")
    make_question(bank=elsewhere, author=teacher, stem="what is basalt")
    DuplicateFlag.objects.filter(pk=variant_flag.pk).update(status=FlagStatus.DISMISSED)

    def ids(query):
        return {f["id"] for f in api_client.get(FLAGS, query).json()["results"]}

    assert ids({"label": "variant"}) == {variant_flag.pk}
    assert ids({"status": "dismissed"}) == {variant_flag.pk}
    assert ids({"status": "open", "bank": exact.question.bank_id}) == {exact.pk}
    assert ids({"question": copy.pk}) == {exact.pk}
    assert len(ids({"bank": elsewhere.pk})) == 1


def test_flags_list_refuses_an_unknown_label(api_client):
    response = api_client.get(FLAGS, {"label": "twin"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"label": ['"twin" is not a valid choice.']}


def test_flags_of_other_banks_are_invisible(api_client, other_bank, outsider):
    make_question(bank=other_bank, author=outsider, stem="What is the formula of water?")
    make_question(bank=other_bank, author=outsider, stem="what is the formula of water")

    response = api_client.get(FLAGS)

    assert DuplicateFlag.objects.count() == 1
    assert response.json()["count"] == 0


def test_reviewer_confirms_a_flag(reviewer_client, reviewer, exact_pair):
    _, _, flag = exact_pair

    response = reviewer_client.post(
        f"{FLAGS}{flag.pk}/decision/",
        {"decision": "confirmed", "note": "same question, reworded"},
        format="json",
    )

    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["decided_by"], data["decision_note"]) == (
        "confirmed",
        "reviewer",
        "same question, reworded",
    )
    assert data["decided_at"] is not None
    flag.refresh_from_db()
    assert (flag.status, flag.decided_by, flag.decision_note) == (
        FlagStatus.CONFIRMED,
        reviewer,
        "same question, reworded",
    )


def test_reviewer_dismisses_and_reopens_a_flag(reviewer_client, variant_flag):
    url = f"{FLAGS}{variant_flag.pk}/decision/"

    dismissed = reviewer_client.post(url, {"decision": "dismissed"}, format="json")
    reopened = reviewer_client.post(url, {"decision": "open"}, format="json")

    assert dismissed.json()["status"] == "dismissed"
    assert (reopened.json()["status"], reopened.json()["decided_by"]) == ("open", None)
    variant_flag.refresh_from_db()
    assert (variant_flag.status, variant_flag.decided_at) == (FlagStatus.OPEN, None)


def test_teacher_without_the_review_permission_cannot_decide(api_client, exact_pair):
    _, _, flag = exact_pair

    response = api_client.post(
        f"{FLAGS}{flag.pk}/decision/", {"decision": "dismissed"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "permission_denied",
        "message": "Only reviewers can decide on duplicate flags.",
        "fields": {},
    }
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_reviewer_of_another_bank_gets_404(other_bank, outsider, exact_pair):
    stranger = make_user("stranger")
    grant_review(stranger)
    other_bank.members.add(stranger)
    _, _, flag = exact_pair

    response = token_client(stranger).post(
        f"{FLAGS}{flag.pk}/decision/", {"decision": "dismissed"}, format="json"
    )

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_unknown_decision_is_refused(reviewer_client, exact_pair):
    _, _, flag = exact_pair

    response = reviewer_client.post(
        f"{FLAGS}{flag.pk}/decision/", {"decision": "maybe"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"decision": ['"maybe" is not a valid choice.']}
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


# -- end to end, with the real worker -----------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("empty_queue")
def test_paraphrase_posted_through_the_api_is_flagged_once_by_the_worker(celery_worker_process):
    teacher = make_user("e2e-teacher")
    bank = make_bank("Europe", members=[teacher])
    client = token_client(teacher)

    first = client.post(
        "/api/v1/questions/",
        {"bank": bank.pk, "stem": "What is the capital of France?"},
        format="json",
    ).json()
    second = client.post(
        "/api/v1/questions/",
        {"bank": bank.pk, "stem": "Which city is the capital of France?"},
        format="json",
    ).json()

    def ready(question_id):
        detail = client.get(f"/api/v1/questions/{question_id}/").json()
        return detail["embedding_status"] == EmbeddingStatus.READY

    wait_for(lambda: ready(first["id"]) and ready(second["id"]), timeout=90)

    flags = client.get(FLAGS).json()
    assert flags["count"] == 1
    flag = flags["results"][0]
    assert (flag["question"]["id"], flag["original"]["id"]) == (second["id"], first["id"])
    assert (flag["kind"], flag["label"], flag["cosine"]) == ("semantic", "duplicate", 0.9416)
    detail = client.get(f"/api/v1/questions/{second['id']}/").json()
    assert [f["id"] for f in detail["flags"]] == [flag["id"]]
    assert Question.objects.count() == 2
