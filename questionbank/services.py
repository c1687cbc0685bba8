"""Writes on banks and questions. Views, the API, importers and tests call these."""

import logging
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from questionbank.errors import PermissionDenied
from questionbank.models import Bank, EmbeddingStatus, Question
from questionbank.validation import CleanQuestion, question_clean, source_clean
from similarity.normalize import question_fingerprint

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuestionCreated:
    question: Question
    created: bool  # False when an idempotency key replayed an earlier create


def bank_create(*, name: str, course: str = "", description: str = "", members=()) -> Bank:
    bank = Bank.objects.create(name=name, course=course, description=description)
    if members:
        bank.members.add(*members)
    return bank


def bank_check_member(*, bank: Bank, user) -> None:
    if user.is_superuser or bank.members.filter(pk=user.pk).exists():
        return
    raise PermissionDenied(f"You are not a member of the bank {bank.name!r}.")


def _new_question(*, bank: Bank, author, clean: CleanQuestion, **extra: Any) -> Question:
    return Question(
        bank=bank,
        author=author,
        stem=clean.stem,
        options=clean.options,
        answer_index=clean.answer_index,
        answer_text=clean.answer_text,
        normalized_hash=question_fingerprint(clean.stem, clean.options),
        embedding_status=EmbeddingStatus.PENDING,
        queued_at=timezone.now(),
        **extra,
    )


def _after_commit_queue(question_ids: list[int]) -> None:
    from similarity.tasks import queue_embedding

    transaction.on_commit(lambda: queue_embedding(question_ids))


def question_create(
    *,
    bank: Bank,
    author,
    stem: Any,
    options: Any = None,
    answer: Any = None,
    source: str = "",
    idempotency_key: str | None = None,
) -> QuestionCreated:
    """Validate and store a question; its duplicate check is queued after commit.

    With an idempotency key, a repeated create by the same author returns the
    question stored the first time instead of storing it again.
    """
    if idempotency_key:
        earlier = Question.objects.filter(author=author, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return QuestionCreated(earlier, created=False)

    clean = question_clean(stem=stem, options=options, answer=answer)
    question = _new_question(
        bank=bank, author=author, clean=clean, source=source, idempotency_key=idempotency_key
    )
    try:
        with transaction.atomic():
            _store(bank=bank, questions=[question])
    except IntegrityError:
        # A parallel request with the same key won the race.
        earlier = Question.objects.filter(author=author, idempotency_key=idempotency_key).first()
        if idempotency_key and earlier is not None:
            return QuestionCreated(earlier, created=False)
        raise
    logger.info("question %d created in bank %d", question.pk, bank.pk)
    return QuestionCreated(question, created=True)


def _store(*, bank: Bank, questions: list[Question]) -> None:
    from similarity.services import bank_lock, exact_duplicates_flag

    Question.objects.bulk_create(questions)
    bank_lock(bank.pk)
    exact_duplicates_flag(questions=questions)
    _after_commit_queue([q.pk for q in questions])


def question_bulk_create(
    *, bank: Bank, author, items: list[dict[str, Any]], source: str = ""
) -> list[Question]:
    """Store many questions in one transaction: all of them, or none.

    An item's own "source" replaces ``source``. Bulk inserts skip per-row save
    signals, so the embedding tasks are queued here explicitly, one per batch.
    """
    from django.core.exceptions import ValidationError

    questions = []
    errors = {}
    for position, item in enumerate(items):
        item_errors: dict[str, list[str]] = {}
        try:
            clean = question_clean(
                stem=item.get("stem"), options=item.get("options"), answer=item.get("answer")
            )
        except ValidationError as exc:
            item_errors.update(exc.message_dict)
        try:
            item_source = source_clean(item.get("source", source))
        except ValidationError as exc:
            item_errors.update(exc.message_dict)
        if item_errors:
            errors[f"questions[{position}]"] = item_errors
            continue
        questions.append(_new_question(bank=bank, author=author, clean=clean, source=item_source))
    if errors:
        raise ValidationError(
            {
                key: [f"{field}: {'; '.join(msgs)}" for field, msgs in value.items()]
                for key, value in errors.items()
            }
        )

    with transaction.atomic():
        _store(bank=bank, questions=questions)
    logger.info("stored %d questions in bank %d", len(questions), bank.pk)
    return questions


def question_update(
    *, question: Question, stem: Any, options: Any = None, answer: Any = None
) -> Question:
    """Change a question's text; its duplicate check runs again."""
    from similarity.models import DuplicateFlag, FlagStatus

    clean = question_clean(stem=stem, options=options, answer=answer)
    fingerprint = question_fingerprint(clean.stem, clean.options)
    text_changed = fingerprint != question.normalized_hash
    with transaction.atomic():
        question.stem = clean.stem
        question.options = clean.options
        question.answer_index = clean.answer_index
        question.answer_text = clean.answer_text
        if text_changed:
            question.normalized_hash = fingerprint
            question.embedding = None
            question.embedding_status = EmbeddingStatus.PENDING
            question.embedding_attempts = 0
            question.queued_at = timezone.now()
            DuplicateFlag.objects.filter(
                Q(question=question) | Q(original=question), status=FlagStatus.OPEN
            ).delete()
        question.save()
        if text_changed:
            from similarity.services import bank_lock, exact_duplicates_flag

            bank_lock(question.bank_id)
            exact_duplicates_flag(questions=[question])
            _after_commit_queue([question.pk])
    return question
