"""The embedded services and the supervisor behind `make run`."""

import os
import sys

import pytest

from questionbank import stack


def test_postmaster_pid_file_is_read_by_its_first_line(tmp_path):
    pid_file = tmp_path / "postmaster.pid"
    pid_file.write_text(f"{os.getpid()}\n/data\n1700000000\n5432\n/sock\n\n  1 2\nready\n")

    assert stack._running_pid(pid_file, "python") == os.getpid()
    assert stack._running_pid(pid_file, "postgres") is None
    assert stack._running_pid(tmp_path / "missing.pid", "python") is None


def test_ensure_services_reports_only_what_it_started(tmp_path, monkeypatch):
    monkeypatch.setenv("QUESTIONBANK_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgresql://configured/elsewhere")
    monkeypatch.delenv("REDIS_URL", raising=False)
    try:
        first = stack.ensure_services()
        monkeypatch.delenv("REDIS_URL")
        second = stack.ensure_services()

        assert list(first) == ["REDIS_URL"]
        assert first["REDIS_URL"] == f"redis+socket://{tmp_path / 'redis' / 'redis.sock'}"
        assert second == {}
        assert os.environ["REDIS_URL"] == first["REDIS_URL"]
        assert stack.redis_ping(tmp_path / "redis" / "redis.sock")
    finally:
        stack.stop_redis(tmp_path / "redis")

    assert not stack.redis_ping(tmp_path / "redis" / "redis.sock")


def test_long_data_folders_get_a_short_socket_path(tmp_path):
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 5)

    path = stack.redis_socket_path(deep)

    assert len(str(path)) <= stack.SOCKET_PATH_LIMIT
    assert path == stack.redis_socket_path(deep)


def test_a_second_run_on_the_same_data_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("QUESTIONBANK_VAR_DIR", str(tmp_path))
    lock = stack._lock_var_dir()
    try:
        with pytest.raises(SystemExit) as refused:
            stack._lock_var_dir()
    finally:
        lock.close()

    assert str(refused.value) == (
        f"The app is already running on the data in {tmp_path} (pid {os.getpid()}). "
        "Stop it first, or set QUESTIONBANK_VAR_DIR to another folder."
    )
    stack._lock_var_dir().close()  # free again once the first run is gone


def test_a_child_that_keeps_dying_is_given_up(monkeypatch):
    monkeypatch.setattr(stack, "MAX_RESTARTS", 2)
    child = stack.Child("crasher", [sys.executable, "-c", "raise SystemExit(3)"])

    child.start()
    code = stack._supervise([child])

    assert code == 1
    assert child.process.returncode == 3
    assert len(child.restarts) == 3


def test_stopping_a_child_ends_its_process():
    child = stack.Child("sleeper", [sys.executable, "-c", "import time; time.sleep(60)"])
    child.start()

    child.stop()

    assert child.process.returncode is not None
