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


def test_text_that_is_not_valid_unicode_saves_nothing(
    bank, teacher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as err:
        question_create(bank=bank, author=teacher, stem="x\ud800y?")

    assert err.value.message_dict == {
        "stem": ["The question text contains characters that are not valid Unicode."]
    }
    assert Question.objects.count() == 0
    assert callbacks == []


# -- sources of bulk items ----------------------------------------------------


def test_bulk_item_source_is_stripped_and_replaces_the_default(bank, teacher):
    items = [
        {"stem": "What is a mole?", "source": "  Workbook, p. 12 "},
        {"stem": "What is an ion?"},
        {"stem": "What is an atom?", "source": None},
    ]

    questions = question_bulk_create(bank=bank, author=teacher, items=items, source="import.jsonl")

    assert [q.source for q in questions] == ["Workbook, p. 12", "import.jsonl", ""]
    assert [q.source for q in Question.objects.order_by("id")] == [
        "Workbook, p. 12",
        "import.jsonl",
        "",
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("s" * 301, "source: The source is 301 characters long; the limit is 300."),
        (["a", "list"], "source: The source must be text."),
        ({"file": "x"}, "source: The source must be text."),
        ("x\ud800", "source: The source contains characters that are not valid Unicode."),
    ],
)
def test_bulk_with_an_unusable_source_stores_nothing(
    bank, teacher, source, message, django_capture_on_commit_callbacks
):
    items = [{"stem": "What is a mole?"}, {"stem": "What is an ion?", "source": source}]

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as err:
        question_bulk_create(bank=bank, author=teacher, items=items)

    assert err.value.message_dict == {"questions[1]": [message]}
    assert Question.objects.count() == 0
    assert callbacks == []


def test_bulk_reports_source_and_text_errors_of_one_item_together(bank, teacher):
    items = [{"stem": "  ", "source": "s" * 301}]

    with pytest.raises(ValidationError) as err:
        question_bulk_create(bank=bank, author=teacher, items=items)

    assert err.value.message_dict == {
        "questions[0]": [
            "stem: Enter the question text.",
            "source: The source is 301 characters long; the limit is 300.",
        ]
    }
    assert Question.objects.count() == 0


# -- exact duplicates whose answer keys disagree ------------------------------

IDENTICAL = "identical after normalisation"
CONFLICT = "the marked correct answers differ: check the answer key"


@pytest.mark.parametrize(
    ("first", "second", "reasons"),
    [
        # Same options, another one marked correct.
        (
            {"options": ["Na", "S", "N"], "answer": 0},
            {"options": ["Na", "S", "N"], "answer": 1},
            [IDENTICAL, CONFLICT],
        ),
        # Reordered options, the same option marked correct.
        (
            {"options": ["Na", "S", "N"], "answer": 0},
            {"options": ["N", "Na", "S"], "answer": "Na"},
            [IDENTICAL],
        ),
        # Reordered options, the same index but another option.
        (
            {"options": ["Na", "S", "N"], "answer": 0},
            {"options": ["N", "Na", "S"], "answer": 0},
            [IDENTICAL, CONFLICT],
        ),
        # Options that differ only by a final full stop are the same option.
        (
            {"options": ["Na.", "S"], "answer": 0},
            {"options": ["Na", "S"], "answer": 0},
            [IDENTICAL],
        ),
        # Open questions: written answers, compared after normalisation.
        ({"answer": "Sodium"}, {"answer": "  SODIUM "}, [IDENTICAL]),
        ({"answer": "Sodium"}, {"answer": "Potassium"}, [IDENTICAL, CONFLICT]),
        # An answer that is not known cannot disagree.
        ({"answer": "Sodium"}, {}, [IDENTICAL]),
        ({}, {}, [IDENTICAL]),
    ],
)
def test_exact_duplicate_says_when_the_correct_answers_differ(
    bank, teacher, first, second, reasons
):
    original = question_create(
        bank=bank, author=teacher, stem="Which element has the symbol Na?", **first
    ).question
    duplicate = question_create(
        bank=bank, author=teacher, stem="which element has the symbol Na", **second
    ).question

    flag = DuplicateFlag.objects.get()
    assert (flag.question, flag.original) == (duplicate, original)
    assert (flag.kind, flag.label, flag.score) == (FlagKind.EXACT, "duplicate", 1.0)
    assert flag.reasons == reasons


def test_bulk_copies_with_different_answers_are_flagged_once_with_the_conflict(bank, teacher):
    items = [
        {"stem": "What is 6 / 3?", "options": ["1", "2", "3"], "answer": "2"},
        {"stem": "What is 6 / 3?", "options": ["3", "2", "1"], "answer": "3"},
    ]

    first, second = question_bulk_create(bank=bank, author=teacher, items=items)

    flag = DuplicateFlag.objects.get()
    assert (flag.question, flag.original) == (second, first)
    assert flag.reasons == [IDENTICAL, CONFLICT]


def test_a_decimal_comma_is_an_exact_duplicate_of_a_decimal_point(bank, teacher):
    make_question(bank=bank, author=teacher, stem="What is 2,5 + 2,5?")
    make_question(bank=bank, author=teacher, stem="What is 2.5 + 2.5?")
    make_question(bank=bank, author=teacher, stem="What is 1,000 + 1?")
    make_question(bank=bank, author=teacher, stem="What is 1.000 + 1?")

    flag = DuplicateFlag.objects.get()
    assert {flag.question.stem, flag.original.stem} == {"What is 2,5 + 2,5?", "What is 2.5 + 2.5?"}
    assert flag.kind == FlagKind.EXACT
