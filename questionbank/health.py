"""GET /healthz: what an operator or a load balancer needs to know, quickly.

Only the database decides the status code: without it nothing works, while a
missing broker, worker or model only delays duplicate checks (questions stay
pending and the sweep catches up). Every probe has a short timeout so the
endpoint answers within about three seconds even when Redis is unreachable.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Count
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from questionbank.models import EmbeddingStatus, Question
from similarity.conf import get_setting

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 0.5
WORKER_PING_SECONDS = 1.0
# The broker and worker probes together never take longer than this, whatever
# the client libraries do: redis-py and kombu each retry on their own, so a
# Redis that accepts connections but never answers costs several timeouts.
PROBE_DEADLINE_SECONDS = 2.0


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def database_status() -> dict[str, Any]:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        rows = Question.objects.values_list("embedding_status").annotate(n=Count("id"))
        counts = dict(rows.order_by())
    except DatabaseError as exc:
        logger.warning("health check: database unreachable: %s", exc)
        return {"ok": False, "error": str(exc).strip(), "ms": _elapsed_ms(started)}

    questions = {choice: counts.get(choice, 0) for choice in EmbeddingStatus.values}
    return {"ok": True, "questions": questions, "ms": _elapsed_ms(started)}


def _broker_connection():
    from questionbank.celery import app

    # A fresh connection with short timeouts: the app's pooled connections
    # use the publishing timeouts, which are longer than a probe may wait.
    return app.connection_for_write(
        connect_timeout=BROKER_TIMEOUT_SECONDS,
        transport_options={
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_timeout": BROKER_TIMEOUT_SECONDS,
        },
    )


def broker_and_worker_status() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="healthz")
    try:
        return pool.submit(_probe_broker_and_worker).result(timeout=PROBE_DEADLINE_SECONDS)
    except TimeoutError:
        logger.warning("health check: broker gave no answer in %.1f s", PROBE_DEADLINE_SECONDS)
        broker = {"ok": False, "error": f"no answer within {PROBE_DEADLINE_SECONDS:.1f} s"}
        return broker, {"ok": False, "workers": 0, "error": "broker unreachable"}, _NO_SWEEP
    finally:
        # A hung probe is not waited for; its own socket timeouts end it soon.
        pool.shutdown(wait=False)


def _probe_broker_and_worker() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    from questionbank.celery import app

    started = time.monotonic()
    with _broker_connection() as conn:
        try:
            # One attempt, no retry: kombu would otherwise sleep before retrying.
            # Connecting opens a Redis channel, which sends PING: a round trip.
            conn.ensure_connection(max_retries=0)
        except Exception as exc:
            logger.warning("health check: broker unreachable: %s", exc)
            broker = {"ok": False, "error": str(exc).strip(), "ms": _elapsed_ms(started)}
            return broker, {"ok": False, "workers": 0, "error": "broker unreachable"}, _NO_SWEEP
        broker = {"ok": True, "ms": _elapsed_ms(started)}
        sweep = _sweep_status(conn)

        started = time.monotonic()
        try:
            replies = app.control.ping(timeout=WORKER_PING_SECONDS, connection=conn)
        except Exception as exc:
            logger.warning("health check: worker ping failed: %s", exc)
            return broker, {"ok": False, "workers": 0, "error": str(exc).strip()}, sweep

    names = sorted(name for reply in replies for name in reply)
    worker = {"ok": bool(names), "workers": len(names), "names": names}
    worker["ms"] = _elapsed_ms(started)
    return broker, worker, sweep


_NO_SWEEP = {"ok": False, "error": "broker unreachable"}


def _sweep_status(conn) -> dict[str, Any]:
    """When the periodic sweep last ran: beat (the scheduler) may be down on its own."""
    from django.conf import settings

    from similarity.tasks import SWEEP_HEARTBEAT_KEY

    interval = settings.CELERY_BEAT_SCHEDULE["sweep-pending-questions"]["schedule"]
    last = conn.default_channel.client.get(SWEEP_HEARTBEAT_KEY)
    if last is None:
        return {"ok": False, "error": "the sweep has not run yet: is celery beat running?"}
    age = time.time() - float(last)
    status = {"ok": age <= 3 * interval + 30, "last_run_seconds_ago": round(age)}
    if not status["ok"]:
        status["error"] = f"no sweep for {age:.0f} s (every {interval:.0f} s expected)"
    return status


def model_status() -> dict[str, Any]:
    from similarity.compat import model_dimension_from_files
    from similarity.embedding import ModelUnavailable, encoder_loaded, resolve_model_path

    status: dict[str, Any] = {
        "name": get_setting("MODEL_NAME"),
        "dimension": get_setting("DIMENSION"),
        "loaded": encoder_loaded(),
    }
    # Reads the model's configuration files only; loading the model here would
    # make every probe of a fresh process take seconds.
    try:
        path = resolve_model_path(get_setting("MODEL"))
        produced = model_dimension_from_files(path)
    except (ModelUnavailable, OSError, ValueError) as exc:
        return {**status, "ok": False, "files": False, "error": str(exc)}

    status.update(files=True, files_dimension=produced)
    if produced != status["dimension"]:
        status["error"] = f"the model files produce {produced}-dimensional vectors"
    return {"ok": produced == status["dimension"], **status}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = database_status()
    broker, worker, sweep = broker_and_worker_status()
    model = model_status()

    components = {
        "database": database,
        "broker": broker,
        "worker": worker,
        "sweep": sweep,
        "model": model,
    }
    if not database["ok"]:
        overall = "down"
    elif all(component["ok"] for component in components.values()):
        overall = "ok"
    else:
        overall = "degraded"
    return JsonResponse({"status": overall, **components}, status=200 if database["ok"] else 503)
