"""Test data made through the real services."""

import itertools

from django.contrib.auth import get_user_model

from questionbank.services import bank_create, question_create

_counter = itertools.count(1)


def make_user(username: str | None = None, **flags):
    username = username or f"user{next(_counter)}"
    return get_user_model().objects.create_user(
        username=username, password=f"{username}-password", **flags
    )


def make_reviewer(username: str = "reviewer"):
    """A staff user with the demo reviewer's permissions (decide flags, view questions)."""
    from django.contrib.auth.models import Permission

    from questionbank.importers import REVIEWER_PERMISSIONS

    user = make_user(username, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=REVIEWER_PERMISSIONS))
    return user


def make_bank(name: str | None = None, *, members=()):
    return bank_create(name=name or f"Bank {next(_counter)}", members=members)


def make_question(*, bank, author, stem: str, options=None, answer=None, **kwargs):
    if options and answer is None:
        answer = 0
    return question_create(
        bank=bank, author=author, stem=stem, options=options, answer=answer, **kwargs
    ).question
