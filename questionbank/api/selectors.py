"""Reads for the API, each scoped to the banks the user belongs to.

Visibility comes from ``questionbank.selectors``. Anything outside
that scope is reported as missing, not as forbidden, so that ids of other
banks' questions reveal nothing.
"""

from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from questionbank.models import Bank, Question
from questionbank.selectors import bank_list_visible, question_list_visible, visible_to
from similarity.models import DuplicateFlag, FlagKind


def bank_list_for_user(*, user) -> QuerySet[Bank]:
    return (
        bank_list_visible(user=user)
        .annotate(question_count=Count("questions", distinct=True))
        .order_by("name")
    )


def bank_get_for_user(*, user, bank_id: int) -> Bank:
    """The bank a request names, if the user may see it.

    A bank the user cannot see gets the same answer as one that does not
    exist; a "not a member" answer would confirm the id and show the name.
    The services still check membership before they write.
    """
    bank = bank_list_visible(user=user).filter(pk=bank_id).first()
    if bank is None:
        raise ValidationError({"bank": f"There is no bank with id {bank_id}."})
    return bank


def question_list_for_user(
    *, user, bank_id: int | None = None, status: str | None = None
) -> QuerySet[Question]:
    questions = question_list_visible(user=user)
    if bank_id is not None:
        questions = questions.filter(bank_id=bank_id)
    if status:
        questions = questions.filter(embedding_status=status)
    return questions.order_by("-created_at", "-id")


def question_get_for_user(*, user, question_id: int) -> Question:
    question = question_list_for_user(user=user).filter(pk=question_id).first()
    if question is None:
        raise Http404(f"There is no question {question_id} in your banks.")
    return question


def flag_list_for_user(
    *,
    user,
    status: str | None = None,
    label: str | None = None,
    bank_id: int | None = None,
    question_id: int | None = None,
) -> QuerySet[DuplicateFlag]:
    # Both questions of a flag are always in the same bank, so scoping on the
    # newer one is enough.
    flags = DuplicateFlag.objects.filter(visible_to(user, bank_field="question__bank__"))
    if status:
        flags = flags.filter(status=status)
    if label:
        flags = flags.filter(label=label)
    if bank_id is not None:
        flags = flags.filter(question__bank_id=bank_id)
    if question_id is not None:
        flags = flags.filter(Q(question_id=question_id) | Q(original_id=question_id))
    return flags.select_related("question", "original", "decided_by").order_by("-score", "-id")


def flag_get_for_user(*, user, flag_id: int) -> DuplicateFlag:
    flag = flag_list_for_user(user=user).filter(pk=flag_id).first()
    if flag is None:
        raise Http404(f"There is no flag {flag_id} in your banks.")
    return flag


def exact_duplicates_by_question(*, question_ids: list[int]) -> dict[int, list[Question]]:
    """For each question, the others of its bank it is an exact duplicate of, in one query."""
    wanted = set(question_ids)
    found: dict[int, list[Question]] = {pk: [] for pk in question_ids}
    flags = (
        DuplicateFlag.objects.filter(kind=FlagKind.EXACT)
        .filter(Q(question_id__in=wanted) | Q(original_id__in=wanted))
        .select_related("question", "original")
        .order_by("original_id", "question_id")
    )
    for flag in flags:
        if flag.question_id in wanted:
            found[flag.question_id].append(flag.original)
        if flag.original_id in wanted:
            found[flag.original_id].append(flag.question)
    return found
