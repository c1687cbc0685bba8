import pytest
from django.core.management import call_command
from django.db import connection

from questionbank.models import EmbeddingStatus, Question
from similarity.compat import column_dimension
from similarity.services import questions_embed, questions_reembed
from tests.factories import make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_question(bank, teacher):
    question = make_question(bank=bank, author=teacher, stem="What is a cell membrane?")
    questions_embed(question_ids=[question.pk])
    question.refresh_from_db()
    assert question.embedding_status == EmbeddingStatus.READY
    return question


def test_reembed_marks_every_question_pending_and_keeps_the_column(ready_question):
    count = questions_reembed(queue=False)

    ready_question.refresh_from_db()
    assert count == 1
    assert ready_question.embedding is None
    assert ready_question.embedding_model == ""
    assert ready_question.embedding_status == EmbeddingStatus.PENDING
    assert ready_question.queued_at is None  # the sweep queues it
    assert column_dimension() == 384


def test_reembed_for_a_model_of_another_dimension_resizes_the_column(
    ready_question, settings, capsys
):
    # DDL is transactional in PostgreSQL: the test's rollback restores the column.
    # The rows this test inserted still have deferred foreign-key checks pending,
    # which ALTER TABLE refuses to run beside; a real run starts clean.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    settings.SIMILARITY = {**settings.SIMILARITY, "DIMENSION": 8}

    call_command("reembed", "--no-queue")

    assert column_dimension() == 8
    assert Question.objects.get().embedding is None
    assert capsys.readouterr().out == (
        "1 questions marked for re-embedding; vector column resized from 384 to 8.\n"
    )
