"""Test fixtures: the real embedded PostgreSQL and Redis, started once per run.

The suite never uses servers on the standard ports: it starts its own
PostgreSQL (pgvector) and Redis on Unix sockets under var/test, exactly as the
app does when nothing external is configured.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dj_database_url
import pytest

from questionbank import stack

TEST_ROOT = Path(os.environ.get("QUESTIONBANK_TEST_VAR_DIR", stack.BASE_DIR / "var" / "test"))


def _stop_services_in(folder: Path) -> None:
    stack.stop_redis(folder / "redis")
    stack.stop_postgres(folder / "pgdata")
    shutil.rmtree(folder, ignore_errors=True)


def _remove_abandoned_runs() -> None:
    """Stop the servers of earlier runs that were killed before they cleaned up."""
    for folder in TEST_ROOT.glob("run-*"):
        pid = int(folder.name.removeprefix("run-"))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            _stop_services_in(folder)
        except PermissionError:
            pass


@pytest.fixture(scope="session")
def test_services_dir() -> Path:
    return TEST_ROOT / f"run-{os.getpid()}"


@pytest.fixture(scope="session")
def embedded_urls(test_services_dir) -> dict[str, str]:
    """Servers of this test run alone, so that runs side by side never interfere."""
    _remove_abandoned_runs()
    folder = test_services_dir
    urls = {
        "DATABASE_URL": os.environ.get("TEST_DATABASE_URL")
        or stack.start_postgres(folder / "pgdata"),
        "REDIS_URL": os.environ.get("TEST_REDIS_URL") or stack.start_redis(folder / "redis"),
    }
    yield urls
    _stop_services_in(folder)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(embedded_urls):
    from django.conf import settings

    settings.DATABASES["default"].update(dj_database_url.parse(embedded_urls["DATABASE_URL"]))


@pytest.fixture(scope="session", autouse=True)
def _broker_settings(embedded_urls):
    from django.conf import settings

    from questionbank.celery import app

    settings.CELERY_BROKER_URL = embedded_urls["REDIS_URL"]
    app.conf.broker_url = embedded_urls["REDIS_URL"]


@pytest.fixture(scope="session")
def test_database_url(django_db_setup, embedded_urls) -> str:
    """URL of the test database that pytest-django created, for other processes."""
    from django.db import connection

    parsed = dj_database_url.parse(embedded_urls["DATABASE_URL"])
    base = embedded_urls["DATABASE_URL"].split("?", 1)
    query = f"?{base[1]}" if len(base) > 1 else ""
    return f"postgresql://{parsed['USER']}@/{connection.settings_dict['NAME']}{query}"


class WorkerProcess:
    """A real Celery worker, started as production starts it."""

    def __init__(self, *, env: dict[str, str], log_path: Path, concurrency: int = 2):
        self.log_path = log_path
        self.env = env
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "questionbank", "worker",
                "--pool", "prefork", "--concurrency", str(self.concurrency),
                "--loglevel", "INFO", "--without-gossip", "--without-mingle",
                "-n", f"test-{os.getpid()}@%h",
            ],
            cwd=stack.BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.wait_ready()

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log()}")
            if "ready." in self.log():
                return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready after {timeout:.0f} s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def worker_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE="questionbank.settings.test",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def celery_worker_process(test_database_url, embedded_urls, tmp_path_factory):
    """One real prefork worker for the integration tests of the whole session."""
    worker = WorkerProcess(
        env=worker_env(database_url=test_database_url, redis_url=embedded_urls["REDIS_URL"]),
        log_path=tmp_path_factory.mktemp("worker") / "worker.log",
    )
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def redis_client(embedded_urls):
    import redis

    path = embedded_urls["REDIS_URL"].removeprefix("redis+socket://")
    client = redis.Redis(unix_socket_path=path)
    yield client
    client.close()


@pytest.fixture
def empty_queue(redis_client):
    redis_client.flushdb()
    yield
    redis_client.flushdb()


@pytest.fixture
def teacher(db):
    from tests.factories import make_user

    return make_user("teacher")


@pytest.fixture
def reviewer(db):
    from tests.factories import make_reviewer

    return make_reviewer()


@pytest.fixture
def bank(teacher, reviewer):
    """A bank with the teacher and the reviewer as members."""
    from tests.factories import make_bank

    return make_bank("Biology", members=[teacher, reviewer])
