"""Reading question files into the bank through the bulk path."""

import json
import logging
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

from questionbank.models import Bank, Question
from questionbank.services import bank_create, question_bulk_create

logger = logging.getLogger(__name__)

DEMO_FILE = Path(__file__).resolve().parent / "demo" / "questions.jsonl"
DEMO_USERS = {
    "teacher": ("teacher-demo", {}),
    "reviewer": ("reviewer-demo", {"is_staff": True}),
    "admin": ("admin-demo", {"is_staff": True, "is_superuser": True}),
}
# The demo questions' author: not a person who signs in, so that a teacher's
# "recent questions" list starts empty.
DEMO_AUTHOR = "demo-import"
REVIEWER_PERMISSIONS = ["view_duplicateflag", "change_duplicateflag", "view_question", "view_bank"]


def read_jsonl(path: Path) -> list[dict]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    return items


@transaction.atomic
def questions_import(
    *, items: list[dict], author, default_bank: str | None = None, chunk: int = 500
) -> int:
    """Import items (bank, stem, options, answer, source); banks are created as needed.

    All or nothing: one bad item leaves no bank and no question behind.
    """
    by_bank: dict[str, list[dict]] = {}
    for item in items:
        by_bank.setdefault(item.get("bank") or default_bank or "Imported", []).append(item)

    total = 0
    for name, bank_items in by_bank.items():
        bank = Bank.objects.filter(name=name).first() or bank_create(name=name, course=name)
        if author is not None:
            bank.members.add(author)
        for start in range(0, len(bank_items), chunk):
            total += len(
                question_bulk_create(
                    bank=bank, author=author, items=bank_items[start : start + chunk]
                )
            )
    return total


def demo_users_ensure() -> dict[str, object]:
    User = get_user_model()
    users = {}
    for username, (password, flags) in DEMO_USERS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=password, **flags)
        users[username] = user
    author = User.objects.filter(username=DEMO_AUTHOR).first()
    if author is None:
        author = User.objects.create_user(username=DEMO_AUTHOR, password=None, is_active=False)
    users[DEMO_AUTHOR] = author
    reviewer_permissions = Permission.objects.filter(codename__in=REVIEWER_PERMISSIONS)
    users["reviewer"].user_permissions.add(*reviewer_permissions)
    return users


def demo_bank_load(*, path: Path = DEMO_FILE) -> int:
    """Load the demo bank unless it is already there; return how many were added."""
    with transaction.atomic():
        users = demo_users_ensure()
    if Question.objects.filter(source__startswith="MMLU ").exists():
        return 0

    count = questions_import(items=read_jsonl(path), author=users[DEMO_AUTHOR])
    for bank in Bank.objects.all():
        bank.members.add(users["teacher"], users["reviewer"], users["admin"])
    logger.info("loaded %d demo questions", count)
    return count
