"""Nothing saved is lost when Redis, the worker or the model is down."""

import time

import pytest
from django.conf import settings

from questionbank import stack
from questionbank.models import EmbeddingStatus, Question
from questionbank.services import question_create
from similarity.models import DuplicateFlag
from similarity.services import questions_embed
from similarity.tasks import sweep_pending
from tests.conftest import WorkerProcess, worker_env
from tests.factories import make_bank
from tests.helpers import wait_for


@pytest.fixture
def bank(teacher):
    return make_bank("Astronomy", members=[teacher])


def ready_count(ids) -> int:
    return Question.objects.filter(pk__in=ids, embedding_status=EmbeddingStatus.READY).count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("empty_queue")
def test_saves_while_redis_is_down_are_checked_after_it_returns(
    celery_worker_process, test_services_dir, bank, teacher
):
    stack.stop_redis(test_services_dir / "redis")
    try:
        started = time.monotonic()
        ids = [
            question_create(
                bank=bank, author=teacher, stem=f"How far is planet {n} from its star?"
            ).question.pk
            for n in range(5)
        ]
        elapsed = time.monotonic() - started
        assert Question.objects.filter(pk__in=ids, queued_at__isnull=True).count() == 5
    finally:
        stack.start_redis(test_services_dir / "redis")

    assert elapsed < 15, f"saving with Redis down took {elapsed:.1f} s"
    assert ready_count(ids) == 0
    # What beat runs every minute in production.
    wait_for(lambda: _try_sweep(), timeout=30)
    wait_for(lambda: ready_count(ids) == 5, timeout=120)


def _try_sweep() -> bool:
    try:
        sweep_pending.apply_async(retry=False)
    except Exception:
        return False
    return True


def test_the_sweep_runs_periodically():
    schedule = settings.CELERY_BEAT_SCHEDULE["sweep-pending-questions"]

    assert schedule["task"] == "similarity.tasks.sweep_pending"
    assert schedule["schedule"] <= 120


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("empty_queue")
def test_tasks_queued_while_no_worker_runs_are_done_when_one_starts(
    celery_worker_process, bank, teacher
):
    celery_worker_process.stop()
    try:
        ids = [
            question_create(
                bank=bank, author=teacher, stem=f"What is the mass of moon {n}?"
            ).question.pk
            for n in range(3)
        ]
        time.sleep(1)
        assert ready_count(ids) == 0
    finally:
        celery_worker_process.start()

    wait_for(lambda: ready_count(ids) == 3, timeout=120)


@pytest.mark.django_db
def test_pending_question_is_never_matched_and_is_flagged_once_when_ready(bank, teacher):
    pending = question_create(
        bank=bank, author=teacher, stem="What is the powerhouse of the cell?"
    ).question
    paraphrase = question_create(
        bank=bank, author=teacher, stem="Which organelle is called the cell's powerhouse?"
    ).question

    first = questions_embed(question_ids=[paraphrase.pk])

    assert first.embedded == 1
    assert first.flags == 0
    assert DuplicateFlag.objects.count() == 0

    second = questions_embed(question_ids=[pending.pk])

    assert second.flags == 1
    flag = DuplicateFlag.objects.get()
    assert (flag.question_id, flag.original_id) == (paraphrase.pk, pending.pk)

    # Running the tasks again, in either order, changes nothing.
    Question.objects.filter(pk=pending.pk).update(embedding_status=EmbeddingStatus.PENDING)
    questions_embed(question_ids=[pending.pk])
    questions_embed(question_ids=[paraphrase.pk])
    assert DuplicateFlag.objects.count() == 1


def test_worker_with_a_model_of_another_dimension_refuses_to_start(
    test_database_url, embedded_urls, tmp_path
):
    worker = WorkerProcess(
        env=worker_env(
            database_url=test_database_url,
            redis_url=embedded_urls["REDIS_URL"],
            SIMILARITY_DIMENSION="768",
        ),
        log_path=tmp_path / "worker.log",
    )

    with pytest.raises(RuntimeError, match="worker exited early"):
        worker.start()

    assert worker.process.returncode != 0
    log = worker.log()
    assert "produces 384-dimensional vectors but SIMILARITY_DIMENSION is 768" in log
    assert "manage.py reembed" in log


@pytest.mark.django_db
def test_a_question_that_breaks_its_batch_is_failed_alone(bank, teacher, monkeypatch):
    from similarity import services, tasks

    good = question_create(bank=bank, author=teacher, stem="What is a light year?").question
    poison = question_create(bank=bank, author=teacher, stem="What is a parsec?").question
    real_store = services._store_and_check

    def store_or_break(*, question, **kwargs):
        if question.pk == poison.pk:
            raise ValueError("cannot store this one")
        return real_store(question=question, **kwargs)

    monkeypatch.setattr(services, "_store_and_check", store_or_break)

    result = tasks.embed_questions.apply(args=[[good.pk, poison.pk]]).get()

    assert result == {"embedded": 1, "skipped": 1, "flags": 0}
    good.refresh_from_db()
    poison.refresh_from_db()
    assert good.embedding_status == EmbeddingStatus.READY
    assert poison.embedding_status == EmbeddingStatus.FAILED
    assert poison.embedding_error == "ValueError: cannot store this one"
    assert poison.embedding_attempts == 1
