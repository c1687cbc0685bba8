"""Celery tasks: each takes ids, re-reads the rows and calls one service."""

import logging
import time

from celery import shared_task
from celery.signals import worker_init, worker_ready
from django.db import InterfaceError, OperationalError
from django.db.models import F

from questionbank.models import Question
from similarity.conf import get_setting
from similarity.embedding import ModelUnavailable
from similarity.services import (
    EmbedReport,
    questions_due_for_embedding,
    questions_embed,
    questions_mark_failed,
)

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
    soft_time_limit=900,
    time_limit=960,
)
def embed_questions(self, question_ids: list[int]) -> dict:
    Question.objects.filter(pk__in=question_ids).exclude(embedding_status="ready").update(
        embedding_attempts=F("embedding_attempts") + 1
    )
    try:
        report = questions_embed(question_ids=question_ids)
    except ModelUnavailable as exc:
        # A broken model does not heal by retrying at once; the sweep tries again later.
        logger.error("cannot embed %d questions: %s", len(question_ids), exc)
        questions_mark_failed(question_ids=question_ids, error=str(exc))
        raise
    except (OperationalError, InterfaceError):
        raise  # the database is away: retried with backoff (see the decorator)
    except Exception:
        logger.exception("embedding %d questions failed; trying them one by one", len(question_ids))
        report = _embed_one_by_one(question_ids)
    return {"embedded": report.embedded, "skipped": report.skipped, "flags": report.flags}


def _embed_one_by_one(question_ids: list[int]) -> EmbedReport:
    """Isolate the question that breaks a batch, so that the others still get checked."""
    embedded = skipped = flags = 0
    for question_id in question_ids:
        try:
            report = questions_embed(question_ids=[question_id])
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:
            logger.exception("question %d cannot be embedded; marked failed", question_id)
            questions_mark_failed(question_ids=[question_id], error=f"{type(exc).__name__}: {exc}")
            skipped += 1
            continue
        embedded += report.embedded
        skipped += report.skipped
        flags += report.flags
    return EmbedReport(embedded, skipped, flags)


def queue_embedding(question_ids: list[int]) -> int:
    """Queue embedding tasks in batches; return how many questions were queued.

    Called after commit. When the broker is down the questions stay pending
    with no queue time, and the sweep queues them once it is back: a save
    never fails because Redis or the worker is down.
    """
    batch_size = get_setting("BATCH_SIZE")
    queued = 0
    for start in range(0, len(question_ids), batch_size):
        batch = question_ids[start : start + batch_size]
        try:
            embed_questions.apply_async(args=[batch], retry=False)
        except Exception:
            logger.warning(
                "could not queue embedding of %d questions (broker unreachable); "
                "the sweep will queue them again",
                len(batch),
                exc_info=True,
            )
            Question.objects.filter(pk__in=question_ids[start:]).update(queued_at=None)
            break
        queued += len(batch)
    return queued


SWEEP_HEARTBEAT_KEY = "questionbank:sweep:last-run"


@shared_task(acks_late=True, ignore_result=True)
def sweep_pending() -> int:
    """Re-queue questions whose embedding task was never queued or got lost."""
    _record_sweep()
    # While tasks wait in the queue (a large import), questions queued a while
    # ago are not lost, only waiting: re-queue only those never queued.
    ids = questions_due_for_embedding(include_recently_queued=_queue_length() == 0)
    if not ids:
        return 0
    queued = queue_embedding(ids)
    logger.info("sweep re-queued %d pending questions", queued)
    return queued


def _record_sweep() -> None:
    """Leave a heartbeat in the broker, so /healthz can tell when beat stopped."""
    with sweep_pending.app.connection_for_write() as conn:
        conn.default_channel.client.set(SWEEP_HEARTBEAT_KEY, f"{time.time():.0f}")


def _queue_length() -> int:
    with sweep_pending.app.connection_for_write() as conn:
        return int(conn.default_channel.client.llen(sweep_pending.app.conf.task_default_queue))


@worker_init.connect
def check_model_before_fork(**kwargs) -> None:
    """Fail fast on a model whose vectors do not fit the database column.

    Reads the model's configuration files only: loading torch here, in the
    prefork parent, would hand its thread pools to every child.
    """
    from similarity.compat import check_model_configuration

    try:
        check_model_configuration()
    except ModelUnavailable as exc:
        logger.critical("worker not started: %s", exc)
        # Celery logs and swallows exceptions from signal handlers; SystemExit
        # is not an Exception, so it stops the worker.
        raise SystemExit(1) from exc


@worker_ready.connect
def sweep_on_start(sender=None, **kwargs) -> None:
    try:
        sweep_pending.apply_async(retry=False)
    except Exception:
        logger.warning("could not queue the start-up sweep", exc_info=True)
