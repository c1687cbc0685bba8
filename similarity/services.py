"""Writes: embedding questions, flagging duplicates, reviewers' decisions."""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from questionbank.errors import QuestionBankError
from questionbank.models import EmbeddingStatus, Question
from similarity.conf import get_setting
from similarity.judge import embed_for_judging, exact_verdict
from similarity.models import DuplicateFlag, FlagKind, FlagLabel, FlagStatus
from similarity.selectors import (
    Match,
    duplicate_candidates_for,
    exact_matches_for,
    judge_against_candidates,
    question_text_of,
)

logger = logging.getLogger(__name__)

# Namespace for pg_advisory_xact_lock(key1, key2): key2 is the bank id.
BANK_LOCK_NAMESPACE = 0x5142


@dataclass(frozen=True)
class EmbedReport:
    embedded: int
    skipped: int
    flags: int


def bank_lock(bank_id: int) -> None:
    """Serialise "mark ready + search" per bank until the transaction ends.

    Without it two paraphrases made ready at the same moment by two workers
    would each search before the other was visible, and neither would be
    flagged.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [BANK_LOCK_NAMESPACE, bank_id])


def _ordered_pair(a: Question, b: Question) -> tuple[Question, Question]:
    """(newer, older): the flag points from the later question to the original."""
    return (a, b) if (a.created_at, a.pk) > (b.created_at, b.pk) else (b, a)


def flags_write(*, question: Question, matches: list[Match]) -> int:
    """Store duplicate and variant matches; a pair already stored stays as it is."""
    rows = []
    for match in matches:
        if match.verdict.label not in (FlagLabel.DUPLICATE, FlagLabel.VARIANT):
            continue
        newer, older = _ordered_pair(question, match.question)
        rows.append(
            DuplicateFlag(
                question=newer,
                original=older,
                kind=FlagKind.EXACT if match.exact else FlagKind.SEMANTIC,
                label=match.verdict.label,
                score=round(match.verdict.score, 4),
                cosine=round(match.verdict.cosine, 4),
                reasons=list(match.verdict.reasons),
                low_confidence=match.verdict.low_confidence,
            )
        )
    if not rows:
        return 0
    # The unique index on the unordered pair makes this safe against races.
    created = DuplicateFlag.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


def exact_duplicates_flag(*, questions: list[Question]) -> int:
    """Flag questions whose normalised text is already in their bank.

    Needs no model, so it runs at save time. The caller holds the bank lock,
    so of two identical questions saved at once the second always sees the
    first. Copies that mark different correct answers say so: one of the two
    answer keys is wrong.
    """
    written = 0
    for question in questions:
        text = question_text_of(question)
        matches = [
            Match(other, exact_verdict(text, question_text_of(other)), exact=True)
            for other in exact_matches_for(
                bank_id=question.bank_id,
                fingerprint=question.normalized_hash,
                exclude_ids=[question.pk],
            )
        ]
        written += flags_write(question=question, matches=matches)
    return written


def questions_embed(*, question_ids: list[int]) -> EmbedReport:
    """Embed pending questions, then check each against its bank.

    Idempotent: questions already ready (or gone) are skipped, so a task that
    runs twice does no harm.
    """
    started = time.monotonic()
    questions = list(
        Question.objects.filter(pk__in=question_ids)
        .exclude(embedding_status=EmbeddingStatus.READY)
        .order_by("id")
    )
    if not questions:
        return EmbedReport(0, len(question_ids), 0)

    encoded = embed_for_judging([question_text_of(q) for q in questions])

    flags = 0
    embedded = 0
    by_bank: dict[int, list[int]] = {}
    for position, question in enumerate(questions):
        by_bank.setdefault(question.bank_id, []).append(position)
    for bank_id, positions in by_bank.items():
        with transaction.atomic():
            bank_lock(bank_id)
            for position in positions:
                outcome = _store_and_check(
                    question=questions[position],
                    vector=encoded.vectors[position],
                    extras=encoded.extras[position],
                    truncated=encoded.truncated[position],
                )
                if outcome is not None:
                    embedded += 1
                    flags += outcome

    logger.info(
        "embedded %d of %d questions (%d flags) in %.2f s",
        embedded,
        len(question_ids),
        flags,
        time.monotonic() - started,
    )
    return EmbedReport(embedded, len(question_ids) - embedded, flags)


def _store_and_check(
    *, question: Question, vector: np.ndarray, extras: np.ndarray, truncated: bool
) -> int | None:
    """Store one vector and flag what it duplicates; None if the row changed meanwhile."""
    current = (
        Question.objects.select_for_update()
        .filter(pk=question.pk, normalized_hash=question.normalized_hash)
        .exclude(embedding_status=EmbeddingStatus.READY)
        .first()
    )
    if current is None:
        return None  # deleted, edited (a newer task covers it) or done by another worker

    current.embedding = vector
    current.judge_vectors = extras.astype(np.float16).tobytes()
    current.embedding_model = get_setting("MODEL_NAME")
    current.embedding_status = EmbeddingStatus.READY
    current.embedding_error = ""
    current.truncated = truncated
    current.embedded_at = timezone.now()
    current.save(
        update_fields=[
            "embedding",
            "judge_vectors",
            "embedding_model",
            "embedding_status",
            "embedding_error",
            "truncated",
            "embedded_at",
            "updated_at",
        ]
    )

    exact_ids = [
        q.pk
        for q in exact_matches_for(
            bank_id=current.bank_id, fingerprint=current.normalized_hash, exclude_ids=[current.pk]
        )
    ]
    candidates = duplicate_candidates_for(
        bank_id=current.bank_id, vector=vector, exclude_ids=[current.pk, *exact_ids]
    )
    matches = judge_against_candidates(
        text=question_text_of(current), vector=vector, candidates=candidates
    )
    return flags_write(question=current, matches=matches)


def questions_mark_failed(*, question_ids: list[int], error: str) -> int:
    return (
        Question.objects.filter(pk__in=question_ids)
        .exclude(embedding_status=EmbeddingStatus.READY)
        .update(embedding_status=EmbeddingStatus.FAILED, embedding_error=error[:2000])
    )


def questions_due_for_embedding(*, now=None, include_recently_queued: bool = True) -> list[int]:
    """Pending or failed questions whose task was never queued or seems lost.

    The rows are marked as queued now, skipping rows a worker holds locked: a
    sweep never waits for (or deadlocks with) an embedding in progress.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=get_setting("SWEEP_AFTER_SECONDS"))
    due = Q(queued_at__isnull=True)
    if include_recently_queued:
        due |= Q(queued_at__lt=stale)
    with transaction.atomic():
        ids = list(
            Question.objects.filter(
                embedding_status__in=[EmbeddingStatus.PENDING, EmbeddingStatus.FAILED],
                embedding_attempts__lt=get_setting("MAX_EMBEDDING_ATTEMPTS"),
            )
            .filter(due)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[: get_setting("SWEEP_LIMIT")]
        )
        Question.objects.filter(pk__in=ids).update(queued_at=now)
    return ids


def flag_decide(*, flag: DuplicateFlag, user, decision: str, note: str = "") -> DuplicateFlag:
    """Record a reviewer's decision (confirm or dismiss) with who and when."""
    if decision not in (FlagStatus.CONFIRMED, FlagStatus.DISMISSED, FlagStatus.OPEN):
        raise QuestionBankError(f"Unknown decision {decision!r}: use confirmed or dismissed.")

    with transaction.atomic():
        locked = DuplicateFlag.objects.select_for_update().get(pk=flag.pk)
        locked.status = decision
        locked.decided_by = user if decision != FlagStatus.OPEN else None
        locked.decided_at = timezone.now() if decision != FlagStatus.OPEN else None
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    logger.info("flag %d %s by %s", locked.pk, decision, getattr(user, "username", user))
    return locked


def questions_reembed(*, queue: bool = True) -> int:
    """Mark every question for embedding with the configured model.

    If the configured dimension differs from the column's, the column is
    resized (its vectors dropped) and the HNSW index rebuilt. Old vectors are
    never compared with new ones: searches only match rows of the current model.
    """
    from similarity.compat import column_dimension

    dimension = int(get_setting("DIMENSION"))
    with transaction.atomic():
        if column_dimension() != dimension:
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX IF EXISTS question_embedding_hnsw")
                cursor.execute(
                    "ALTER TABLE questionbank_question ALTER COLUMN embedding "
                    f"TYPE vector({dimension}) USING NULL"
                )
                cursor.execute(
                    "CREATE INDEX question_embedding_hnsw ON questionbank_question "
                    "USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)"
                )
        count = Question.objects.update(
            embedding=None,
            embedding_model="",
            embedding_status=EmbeddingStatus.PENDING,
            embedding_attempts=0,
            queued_at=None,
        )
    if queue:
        from similarity.tasks import sweep_pending

        try:
            sweep_pending.apply_async(retry=False)
        except Exception:
            logger.warning("broker unreachable; the periodic sweep will queue them", exc_info=True)
    logger.info("marked %d questions for re-embedding at dimension %d", count, dimension)
    return count
