import importlib

import pytest

from questionbank.models import Question
from similarity.normalize import question_fingerprint
from tests.factories import make_question

pytestmark = pytest.mark.django_db

recompute_module = importlib.import_module("questionbank.migrations.0003_recompute_normalized_hash")


def test_fingerprint_migration_recomputes_stale_hashes(bank, teacher):
    from django.apps import apps

    question = make_question(bank=bank, author=teacher, stem="What is 2,5 + 2,5?")
    Question.objects.filter(pk=question.pk).update(normalized_hash="stale")

    recompute_module.recompute(apps, None)

    question.refresh_from_db()
    assert question.normalized_hash == question_fingerprint("What is 2.5 + 2.5?")
