"""The production configuration on this machine, for benchmarks and load runs: a seeded database and gunicorn.

``seeded_instance(folder)`` migrates and seeds an SQLite database there (the
embedded default, as ``make run`` does), or, when ``DATABASE_URL`` names a
PostgreSQL server (``make test-postgres``), a new database of its own on that
server, dropped when the process ends; ``gunicorn(...)`` starts gunicorn with
``gunicorn.conf.py`` on a free port, waits until every worker answers, and
stops it afterwards.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from dashboard.settings import PROJECT_ROOT, Settings

HEALTH = "/api/v1/performance-metrics/health"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seeded_instance(
    folder: Path, households: int = 24, transactions_per_account: int = 150, heavy_transactions: int = 0
) -> Settings:
    """An instance folder with a migrated, seeded SQLite database; its settings (``heavy_transactions``:
    a business account with that many transactions in the first household, the grid's worst case)."""
    from dashboard.data import demo, migrate
    from dashboard.data.db import make_engine

    folder.mkdir(parents=True, exist_ok=True)  # the instance folder (logs), whichever the database
    settings = Settings.for_tests(folder, market_data_path=PROJECT_ROOT / "data" / "market")
    server = os.environ.get("DATABASE_URL", "")
    if server.startswith(("postgres://", "postgresql")):
        settings = settings.replace(database_url=_postgres_database(server))
    migrate.upgrade(settings)
    engine = make_engine(settings.database_url)
    try:
        demo.seed(
            engine,
            settings.market_data_path,
            households=households,
            transactions_per_account=transactions_per_account,
            heavy_transactions=heavy_transactions,
        )
    finally:
        engine.dispose()
    return settings


def postgres_admin(server: str, statement: str) -> None:
    """Run ``statement`` (CREATE or DROP DATABASE: outside a transaction) on the PostgreSQL server of the
    URL ``server``."""
    import sqlalchemy as sa

    from dashboard.data.db import make_engine

    engine = make_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def postgres_database_url(server: str, name: str) -> str:
    """The URL of database ``name`` on the server of the URL ``server``."""
    return server.rsplit("/", 1)[0] + f"/{name}"


def _postgres_database(server: str) -> str:
    """A new, empty database on the PostgreSQL server of ``server`` (a URL); dropped at exit."""
    import atexit
    import uuid

    name = f"meridian_run_{uuid.uuid4().hex[:10]}"
    postgres_admin(server, f'CREATE DATABASE "{name}"')
    atexit.register(postgres_admin, server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return postgres_database_url(server, name)


def gunicorn_command(port: int, app: str = "app:server") -> list[str]:
    """The production server's command line (gunicorn.conf.py) on 127.0.0.1:``port``."""
    gunicorn = str(PROJECT_ROOT / ".venv" / "bin" / "gunicorn")
    return [gunicorn, "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", app]


def gunicorn_environment(
    settings: Settings, workers: int = 2, threads: int = 4, **env: str
) -> dict[str, str]:
    """Its environment: ``settings``' database and instance folder in production mode (no Redis unless
    ``env`` names one)."""
    environment = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "INSTANCE_PATH": str(settings.instance_path),
        "SECRET_KEY": "benchmark-secret-key-0123456789",
        "MERIDIAN_ENV": "production",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": str(threads),
        "LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(settings.instance_path / "prometheus"),
        **env,
    }
    if "REDIS_URL" not in env:
        environment.pop("REDIS_URL", None)
    return environment


@contextlib.contextmanager
def gunicorn(
    settings: Settings, workers: int = 2, threads: int = 4, app: str = "app:server", **env: str
) -> Iterator[str]:
    """gunicorn serving ``settings``' database in production mode (``app``: the WSGI app); yields its URL."""
    port = free_port()
    log_path = settings.instance_path / "gunicorn.log"
    with open(log_path, "wb") as log:  # a file, not a pipe: a full pipe would block the server
        process = subprocess.Popen(
            gunicorn_command(port, app),
            cwd=PROJECT_ROOT,
            env=gunicorn_environment(settings, workers, threads, **env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_until_ready(base, process, workers, log_path, "/" if app != "app:server" else HEALTH)
            yield base
        finally:
            stop(process)


def _wait_until_ready(base: str, process: subprocess.Popen, workers: int, log_path: Path, probe: str) -> None:
    """Until ``probe`` answers several times in a row (every worker warmed up)."""
    deadline = time.monotonic() + 90
    answered = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base + probe, timeout=5) as response:
                answered = answered + 1 if response.status == 200 else 0
        except OSError:
            answered = 0
            time.sleep(0.2)
        if answered >= 2 * workers:
            return
    process.kill()
    raise RuntimeError(f"gunicorn did not become ready: {log_path.read_text()[-2000:]}")


def stop(process: subprocess.Popen, grace: float = 20) -> None:
    """Terminate a server process; kill it if it has not exited after ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
