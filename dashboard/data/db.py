"""Database engine and sessions: one unbound extension, bound per app by ``create_app``."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import flask
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000


def normalise_url(url: str) -> str:
    """``postgres://`` (Heroku style) -> ``postgresql+psycopg2://``."""
    if url.startswith("postgres://"):
        return "postgresql+psycopg2://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg2://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, statement_timeout_ms: int | None = None, **kwargs) -> Engine:
    """An engine for ``url``; SQLite connections get WAL, foreign keys and a busy timeout.

    ``statement_timeout_ms``: a statement running longer is cut off (PostgreSQL's ``statement_timeout``;
    on SQLite, a progress handler interrupts it) and raises ``OperationalError`` (:func:`timed_out`).
    The app's engine has one; migrations, seeding and the operator's commands do not.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        if statement_timeout_ms:
            _sqlite_statement_timeout(engine, statement_timeout_ms / 1000)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    connect_args = {"connect_timeout": 5}
    if statement_timeout_ms:
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
    kwargs.setdefault("connect_args", connect_args)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 5)
        kwargs.setdefault("max_overflow", 5)
        # a request waits this long for a connection, then fails clearly
        kwargs.setdefault("pool_timeout", 10)
    return create_engine(url, **kwargs)


def _sqlite_statement_timeout(engine: Engine, limit: float) -> None:
    """SQLite has no statement timeout: each statement's start is noted, and a progress handler
    (called every few thousand virtual-machine steps) interrupts it once it has run ``limit`` seconds."""

    @event.listens_for(engine, "connect")
    def _handler(dbapi_connection, record):
        record.info["statement_started"] = None

        def check():
            started = record.info.get("statement_started")
            return 1 if started is not None and time.monotonic() - started > limit else 0

        dbapi_connection.set_progress_handler(check, 20_000)

    @event.listens_for(engine, "before_cursor_execute")
    def _started(conn, *_args):
        conn.connection.info["statement_started"] = time.monotonic()

    @event.listens_for(engine, "after_cursor_execute")
    def _ended(conn, *_args):
        conn.connection.info["statement_started"] = None


def timed_out(error: BaseException) -> bool:
    """True for a statement cut off by the statement timeout (PostgreSQL or SQLite)."""
    text_ = str(getattr(error, "orig", error)).lower()
    return isinstance(error, OperationalError) and ("statement timeout" in text_ or "interrupted" in text_)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """The database extension: created unbound, bound per app by ``init_app``.

    Each app keeps its own engine and session factory in ``server.extensions``;
    ``session()`` uses the current app's (inside a request, a job or an
    ``app.app_context()``), so two apps in one process never share a pool.
    """

    key = "meridian.db"

    def init_app(self, server, settings) -> None:
        engine = make_engine(
            settings.database_url,
            statement_timeout_ms=settings.statement_timeout_ms,
            **(
                {}
                if settings.is_sqlite
                else {"pool_size": settings.pool_size, "max_overflow": settings.max_overflow}
            ),
        )
        server.extensions[self.key] = _Bound(engine, sessionmaker(engine, expire_on_commit=False))

    def _bound(self) -> _Bound:
        if not flask.has_app_context():
            raise RuntimeError("the database is used outside an app context: use app.server.app_context()")
        bound = flask.current_app.extensions.get(self.key)
        if bound is None:
            raise RuntimeError("the database is not bound to this app: call create_app()")
        return bound

    @property
    def engine(self) -> Engine:
        return self._bound().engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        session = self._bound().sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            log.warning("database ping failed", exc_info=True)
            return False

    def dispose(self) -> None:
        """Forget pooled connections inherited from a parent process (after a fork), without closing them."""
        self._bound().engine.dispose(close=False)


@dataclass(frozen=True)
class _Bound:
    engine: Engine
    sessions: sessionmaker[Session]


def bulk_insert(conn, table, columns, rows) -> None:
    """Insert many rows fast: COPY on PostgreSQL, a DB-API executemany elsewhere.

    ``rows`` are tuples in ``columns`` order with explicit primary keys, dates
    as ISO strings ("2018-04-11", "2018-04-11 16:00:00.000000", the format
    SQLAlchemy reads back on SQLite); on PostgreSQL the id sequence is moved
    past them afterwards.
    """
    if not rows:
        return
    name = table.name
    cols = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow(["\\N" if v is None else v for v in row])
        buffer.seek(0)
        cursor = conn.connection.driver_connection.cursor()
        cursor.copy_expert(f"COPY {name} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
        if "id" in columns:
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"
            )
        return
    marks = ", ".join("?" for _ in columns)
    cursor = conn.connection.driver_connection.cursor()
    cursor.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", rows)
    cursor.close()
