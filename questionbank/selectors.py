"""Reads on banks and questions, scoped to what a user may see.

A bank's questions and flags are visible to its members and to superusers,
the same rule as ``questionbank.services.bank_check_member``. The pages and
the API both read through these, so the rule is written once.
"""

from django.db.models import Q, QuerySet

from questionbank.models import Bank, Question


def visible_to(user, *, bank_field: str = "") -> Q:
    """Filter for rows whose bank (reached through ``bank_field``) the user may see."""
    if user.is_superuser:
        return Q()
    return Q(**{f"{bank_field}members": user})


def bank_list_visible(*, user) -> QuerySet[Bank]:
    return Bank.objects.filter(visible_to(user))


def question_list_visible(*, user) -> QuerySet[Question]:
    return Question.objects.filter(visible_to(user, bank_field="bank__"))
