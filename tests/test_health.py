"""GET /healthz against the real database and Redis, and with each of them broken."""

import re
import socket
import time

import pytest
from django.db import OperationalError

from questionbank import health
from questionbank.celery import app
from questionbank.models import EmbeddingStatus, Question
from tests.factories import make_bank, make_question

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_broker(monkeypatch):
    """A loopback port that accepts connections and never answers, like a hung Redis."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{port}/0")
    yield
    listener.close()


@pytest.fixture
def refused_broker(monkeypatch):
    closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    monkeypatch.setattr(app.conf, "broker_url", f"redis://127.0.0.1:{port}/0")


def test_healthz_reports_every_component(client):
    bank = make_bank("Health")
    make_question(bank=bank, author=None, stem="Which ocean is the largest?")
    failed = make_question(bank=bank, author=None, stem="Which river is the longest?")
    Question.objects.filter(pk=failed.pk).update(embedding_status=EmbeddingStatus.FAILED)

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    data = response.json()
    assert set(data) == {"status", "database", "broker", "worker", "sweep", "model"}
    assert data["database"]["ok"] is True
    assert data["database"]["questions"] == {"pending": 1, "ready": 0, "failed": 1}
    assert data["broker"]["ok"] is True
    assert data["worker"]["ok"] is (data["worker"]["workers"] > 0)
    assert data["model"] == {
        "ok": True,
        "name": "all-MiniLM-L6-v2",
        "dimension": 384,
        "loaded": data["model"]["loaded"],
        "files": True,
        "files_dimension": 384,
    }
    assert data["status"] == ("ok" if data["worker"]["ok"] and data["sweep"]["ok"] else "degraded")


def test_healthz_reports_when_the_sweep_has_stopped(client, redis_client, empty_queue):
    from similarity.tasks import SWEEP_HEARTBEAT_KEY, sweep_pending

    silent = client.get("/healthz").json()
    sweep_pending.apply()
    fresh = client.get("/healthz").json()
    redis_client.set(SWEEP_HEARTBEAT_KEY, f"{time.time() - 3600:.0f}")
    stale = client.get("/healthz").json()

    assert silent["sweep"] == {
        "ok": False,
        "error": "the sweep has not run yet: is celery beat running?",
    }
    assert silent["status"] == "degraded"
    assert fresh["sweep"]["ok"] is True
    assert fresh["sweep"]["last_run_seconds_ago"] <= 5
    assert stale["sweep"]["ok"] is False
    assert re.fullmatch(r"no sweep for 360\d s \(every 60 s expected\)", stale["sweep"]["error"])


def test_healthz_counts_answering_workers(client, celery_worker_process):
    data = client.get("/healthz").json()

    assert data["worker"]["ok"] is True
    assert data["worker"]["workers"] >= 1
    assert any(name.startswith("test-") for name in data["worker"]["names"])


def test_healthz_answers_quickly_when_the_broker_hangs(client, silent_broker):
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    assert elapsed < 3.0
    assert response.status_code == 200
    data = response.json()
    assert data["broker"]["ok"] is False
    assert data["broker"]["error"]
    assert data["worker"] == {"ok": False, "workers": 0, "error": "broker unreachable"}
    assert data["database"]["ok"] is True
    assert data["status"] == "degraded"


def test_healthz_answers_quickly_when_the_broker_refuses(client, refused_broker):
    started = time.monotonic()
    data = client.get("/healthz").json()

    assert time.monotonic() - started < 3.0
    assert (data["broker"]["ok"], data["worker"]["ok"]) == (False, False)


def test_healthz_is_503_without_the_database(client, monkeypatch):
    class BrokenConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", BrokenConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    data = response.json()
    assert data["status"] == "down"
    assert data["database"]["ok"] is False
    assert data["database"]["error"] == "connection refused"


def test_healthz_reports_model_files_that_do_not_resolve(client, settings):
    settings.SIMILARITY = {**settings.SIMILARITY, "MODEL": "/nonexistent/model-folder"}

    response = client.get("/healthz")

    assert response.status_code == 200
    model = response.json()["model"]
    assert (model["ok"], model["files"]) == (False, False)
    assert "neither a local folder nor an installed model package" in model["error"]
    assert response.json()["status"] == "degraded"


def test_healthz_needs_no_login_and_only_answers_get(client):
    assert client.get("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
