import pytest
from django.core.exceptions import ValidationError

from questionbank.errors import PermissionDenied
from questionbank.models import EmbeddingStatus, Question
from questionbank.services import (
    bank_check_member,
    question_bulk_create,
    question_create,
    question_update,
)
from similarity.models import DuplicateFlag, FlagKind
from tests.factories import make_bank, make_question, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(teacher):
    return make_bank("Chemistry", members=[teacher])


def test_create_stores_a_pending_question_and_queues_its_check_after_commit(
    bank, teacher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        result = question_create(
            bank=bank, author=teacher, stem="What is the symbol for sodium?",
            options=["Na", "S"], answer=0,
        )  # fmt: skip

    question = Question.objects.get()
    assert result.created is True
    assert result.question == question
    assert question.embedding_status == EmbeddingStatus.PENDING
    assert question.embedding is None
    assert question.correct_answer == "Na"
    assert len(question.normalized_hash) == 64
    assert len(callbacks) == 1


def test_rejected_input_saves_nothing_and_queues_nothing(
    bank, teacher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError):
        question_create(bank=bank, author=teacher, stem="<p></p>")

    assert Question.objects.count() == 0
    assert callbacks == []


def test_rolled_back_create_queues_nothing(bank, teacher, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            question_create(bank=bank, author=teacher, stem="What is a mole?")
            raise RuntimeError("abort")

    assert Question.objects.count() == 0
    assert callbacks == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Qu\u2019est-ce que la caf\u00e9ine ?", "Qu'est-ce que la cafe\u0301ine ?"),
        ("\uff12\uff0b\uff12\uff1d\uff1f", "2+2=?"),
        (
            "<p>What is the <b>boiling point</b> of water at sea level?</p>",
            "What is the boiling point of water at sea level?",
        ),
    ],
)
def test_exact_duplicate_after_normalisation_is_flagged_at_save(bank, teacher, first, second):
    original = make_question(bank=bank, author=teacher, stem=first)
    duplicate = make_question(bank=bank, author=teacher, stem=second)

    flag = DuplicateFlag.objects.get()
    assert (flag.question, flag.original) == (duplicate, original)
    assert flag.kind == FlagKind.EXACT
    assert flag.label == "duplicate"
    assert flag.score == 1.0
    assert flag.reasons == ["identical after normalisation"]
    # The stored text stays as typed.
    assert Question.objects.get(pk=original.pk).stem == first
    assert Question.objects.get(pk=duplicate.pk).stem == second


def test_same_text_in_another_bank_is_not_flagged(bank, teacher):
    other = make_bank("Physics", members=[teacher])
    make_question(bank=bank, author=teacher, stem="What is a mole?")
    make_question(bank=other, author=teacher, stem="What is a mole?")

    assert DuplicateFlag.objects.count() == 0


def test_options_in_another_order_are_an_exact_duplicate(bank, teacher):
    make_question(bank=bank, author=teacher, stem="Symbol of sodium?", options=["Na", "S", "N"])
    make_question(bank=bank, author=teacher, stem="Symbol of sodium?", options=["N", "Na", "S"])

    assert DuplicateFlag.objects.get().kind == FlagKind.EXACT


def test_idempotency_key_returns_the_first_question(bank, teacher):
    first = question_create(
        bank=bank, author=teacher, stem="Capital of Australia?", idempotency_key="k-1"
    )
    again = question_create(
        bank=bank, author=teacher, stem="Capital of Australia?", idempotency_key="k-1"
    )

    assert first.created is True
    assert again.created is False
    assert again.question.pk == first.question.pk
    assert Question.objects.count() == 1
    assert DuplicateFlag.objects.count() == 0


def test_bulk_create_is_all_or_nothing(bank, teacher, django_capture_on_commit_callbacks):
    items = [{"stem": "What is a mole?"}, {"stem": "   "}, {"stem": "What is an ion?"}]

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as err:
        question_bulk_create(bank=bank, author=teacher, items=items)

    assert list(err.value.message_dict) == ["questions[1]"]
    assert Question.objects.count() == 0
    assert callbacks == []


def test_bulk_create_queues_one_callback_for_all_rows(
    bank, teacher, django_capture_on_commit_callbacks
):
    items = [{"stem": f"What is element number {n}?"} for n in range(150)]

    with django_capture_on_commit_callbacks() as callbacks:
        questions = question_bulk_create(bank=bank, author=teacher, items=items)

    assert len(questions) == 150
    assert Question.objects.filter(embedding_status=EmbeddingStatus.PENDING).count() == 150
    assert len(callbacks) == 1


def test_editing_the_text_resets_the_check_and_drops_open_flags(bank, teacher):
    original = make_question(bank=bank, author=teacher, stem="What is a mole?")
    copy = make_question(bank=bank, author=teacher, stem="What is a mole?")
    assert DuplicateFlag.objects.count() == 1

    question_update(question=copy, stem="What is a molecule?")

    copy.refresh_from_db()
    assert copy.embedding_status == EmbeddingStatus.PENDING
    assert DuplicateFlag.objects.count() == 0
    assert Question.objects.get(pk=original.pk).stem == "What is a mole?"


def test_non_member_is_refused(bank):
    outsider = make_user("outsider")

    with pytest.raises(PermissionDenied) as caught:
        bank_check_member(bank=bank, user=outsider)

    assert caught.value.message == "You are not a member of the bank 'Chemistry'."
