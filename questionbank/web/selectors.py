"""Reads behind the teacher and reviewer pages.

Every question a page shows comes through ``questionbank.selectors``, so the
rule "a teacher sees only the banks they belong to" is written once.
"""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from questionbank.models import Bank, EmbeddingStatus, Question
from questionbank.selectors import question_list_visible, visible_to
from similarity.conf import get_setting
from similarity.models import DuplicateFlag, FlagLabel, FlagStatus
from similarity.selectors import flags_for_question

RECENT_QUESTIONS = 15


@dataclass(frozen=True)
class RelatedQuestion:
    """A flag seen from one of its two questions: the other one, and how alike."""

    flag: DuplicateFlag
    other: Question
    percent: int

    @property
    def is_confirmed(self) -> bool:
        return self.flag.status == FlagStatus.CONFIRMED


@dataclass(frozen=True)
class QuestionCheck:
    """What the duplicate check has found so far for one question."""

    status: str
    duplicates: list[RelatedQuestion]
    variants: list[RelatedQuestion]
    will_retry: bool

    @property
    def is_pending(self) -> bool:
        return self.status == EmbeddingStatus.PENDING

    @property
    def is_ready(self) -> bool:
        return self.status == EmbeddingStatus.READY

    @property
    def is_failed(self) -> bool:
        return self.status == EmbeddingStatus.FAILED


@dataclass(frozen=True)
class ReviewTabs:
    open_count: int
    decided_count: int


def question_get_visible(*, user, pk: int) -> Question | None:
    return question_list_visible(user=user).select_related("bank", "author").filter(pk=pk).first()


def _live_duplicates(relation: str) -> Q:
    return Q(**{f"{relation}__label": FlagLabel.DUPLICATE}) & ~Q(
        **{f"{relation}__status": FlagStatus.DISMISSED}
    )


def question_list_recent(*, user, bank: Bank, limit: int = RECENT_QUESTIONS) -> list[Question]:
    """The user's latest questions in a bank, each with ``duplicate_count``.

    Dismissed flags are not counted: a reviewer has said the pair is fine.
    """
    # A question can be either side of a flag. Distinct counts keep the two
    # joins from multiplying each other.
    newer = Count("flags", filter=_live_duplicates("flags"), distinct=True)
    original = Count(
        "flagged_as_original", filter=_live_duplicates("flagged_as_original"), distinct=True
    )
    return list(
        Question.objects.filter(bank=bank, author=user)
        .annotate(duplicate_count=newer + original)
        .order_by("-created_at", "-id")[:limit]
    )


def question_check(*, question: Question, user) -> QuestionCheck:
    """The question's check status with its likely duplicates and its variants.

    Dismissed flags are left out; confirmed ones stay, marked as such.
    """
    visible_ids = set(
        question_list_visible(user=user)
        .filter(Q(flags__original=question) | Q(flagged_as_original__question=question))
        .values_list("pk", flat=True)
    )

    duplicates, variants = [], []
    for flag in flags_for_question(question).exclude(status=FlagStatus.DISMISSED):
        other = flag.original if flag.question_id == question.pk else flag.question
        # Flags never cross banks today; the check keeps it so if that changes.
        if other.pk not in visible_ids:
            continue
        related = RelatedQuestion(flag=flag, other=other, percent=round(flag.score * 100))
        (duplicates if flag.label == FlagLabel.DUPLICATE else variants).append(related)

    will_retry = question.embedding_attempts < get_setting("MAX_EMBEDDING_ATTEMPTS")
    return QuestionCheck(
        status=question.embedding_status,
        duplicates=duplicates,
        variants=variants,
        will_retry=will_retry,
    )


def flag_list_for_review(*, user, decided: bool) -> QuerySet[DuplicateFlag]:
    """Open likely duplicates in the user's banks, best first; or decided ones, latest first."""
    flags = DuplicateFlag.objects.filter(visible_to(user, bank_field="question__bank__"))
    flags = flags.select_related(
        "question__bank", "question__author", "original__bank", "original__author", "decided_by"
    )
    if decided:
        return flags.exclude(status=FlagStatus.OPEN).order_by("-decided_at", "-id")
    return flags.filter(status=FlagStatus.OPEN, label=FlagLabel.DUPLICATE).order_by(
        "-score", "-created_at", "-id"
    )


def review_tabs(*, user) -> ReviewTabs:
    visible = DuplicateFlag.objects.filter(visible_to(user, bank_field="question__bank__"))
    counts = visible.aggregate(
        open_count=Count("pk", filter=Q(status=FlagStatus.OPEN, label=FlagLabel.DUPLICATE)),
        decided_count=Count("pk", filter=~Q(status=FlagStatus.OPEN)),
    )
    return ReviewTabs(**counts)
