"""Database faults: a slow statement is cut off by the statement timeout and the analyst reads a clear
message (SQLite and the real PostgreSQL); the index migration builds CONCURRENTLY on a populated
PostgreSQL database while a writer keeps writing."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

import callbacks
from dashboard.data import demo, migrate
from dashboard.data.db import make_engine, timed_out
from dashboard.errors import describe
from dashboard.extensions import db
from dashboard.forms import risk as risk_form
from tests.callbacks.test_pages import form, text_of, triggered
from tests.dashboard.test_migrations import INDEX_MIGRATION, SCHEMA_MIGRATION

SLOW = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000000) SELECT count(*) FROM c"
CUT_OFF = "The database took too long to answer, so the request was stopped and nothing was changed."


def test_df001_sqlite_a_slow_statement_is_cut_off_and_the_connection_lives_on(make_app, seeded_settings):
    app = make_app(seeded_settings.replace(statement_timeout_ms=300))
    with app.server.app_context():
        started = time.monotonic()
        with pytest.raises(OperationalError) as stopped, db.engine.connect() as conn:
            conn.exec_driver_sql(SLOW).scalar()
        assert time.monotonic() - started < 5
        assert timed_out(stopped.value)
        message, colour = describe(stopped.value)
        assert message.startswith(CUT_OFF) and colour == "warning"
        with db.engine.connect() as conn:  # the next statement on the pooled connection runs normally
            assert conn.exec_driver_sql("SELECT count(*) FROM prices").scalar() > 100_000


@pytest.fixture
def seeded_postgres(settings, postgres_url):
    ready = settings.replace(database_url=postgres_url)
    migrate.upgrade(ready)
    engine = make_engine(postgres_url, poolclass=sa.pool.NullPool)
    demo.seed(engine, ready.market_data_path, households=4, transactions_per_account=20)
    engine.dispose()
    return ready


@pytest.mark.postgres
def test_df002_postgres_a_query_stuck_behind_a_lock_is_cut_off_with_a_clear_message(
    make_app, seeded_postgres, signed_in
):
    """Another session holds the prices table: the risk run's price query waits, the statement timeout
    cuts it off, the page says so, and once the lock is gone the same run works."""
    app = make_app(seeded_postgres.replace(statement_timeout_ms=400))
    blocker = make_engine(seeded_postgres.database_url, poolclass=sa.pool.NullPool)
    with app.server.app_context(), signed_in(app):
        from tests.callbacks.test_pages import households

        household = households()[0][0]
        values, ids = form(risk_form.FORM, seed=424242)  # a scenario no cache holds
        with blocker.connect() as conn:
            conn.exec_driver_sql("BEGIN")
            conn.exec_driver_sql("LOCK TABLE prices IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            stuck = triggered("risk-run.n_clicks", callbacks.RUNS["risk"], 1, None, household.id, values, ids)
            waited = time.monotonic() - started
            conn.exec_driver_sql("ROLLBACK")
        shown = text_of(list(stuck))
        assert CUT_OFF in shown, shown[:2000]
        assert waited < 10
        works = triggered("risk-run.n_clicks", callbacks.RUNS["risk"], 2, None, household.id, values, ids)
        assert CUT_OFF not in text_of(list(works)) and "Value at risk" in text_of(list(works))
    blocker.dispose()


@pytest.mark.postgres
def test_df003_postgres_index_migration_runs_concurrently_with_a_writer(settings, postgres_url):
    """On a populated database, 0002 builds its indexes CONCURRENTLY while a writer inserts rows in
    short transactions: the writer keeps writing during the migration and no insert waits long."""
    ready = settings.replace(database_url=postgres_url)
    migrate.upgrade(ready)
    engine = make_engine(postgres_url, poolclass=sa.pool.QueuePool, pool_size=2)
    demo.seed(engine, ready.market_data_path, households=12, transactions_per_account=200)
    engine.dispose()
    migrate.downgrade(ready, SCHEMA_MIGRATION)  # populated, without the performance indexes
    account = engine.connect().execute(sa.text("SELECT min(id) FROM accounts")).scalar()
    stop = threading.Event()
    writes: list[tuple[float, float]] = []  # (started, seconds)
    failures: list[BaseException] = []

    def writer():
        day = dt.date(2018, 1, 2)
        while not stop.is_set():
            started = time.monotonic()
            try:
                with engine.begin() as conn:
                    conn.execute(
                        sa.text(
                            "INSERT INTO transactions (account_id, date, type, description, amount) "
                            "VALUES (:a, :d, 'deposit', 'writer', 1.0)"
                        ),
                        {"a": account, "d": day},
                    )
            except Exception as error:  # noqa: BLE001 - reported below
                failures.append(error)
                return
            writes.append((started, time.monotonic() - started))
            time.sleep(0.005)

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.3)
    began = time.monotonic()
    migrate.upgrade(ready, INDEX_MIGRATION)
    ended = time.monotonic()
    time.sleep(0.2)
    stop.set()
    thread.join(10)
    engine.dispose()
    assert not failures, failures
    during = [seconds for started, seconds in writes if began <= started <= ended]
    assert len(during) >= 3, f"the writer wrote {len(during)} rows during a {ended - began:.2f} s migration"
    assert max(seconds for _, seconds in writes) < 1.0
    check = make_engine(postgres_url, poolclass=sa.pool.NullPool)
    with check.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM pg_index WHERE NOT indisvalid").scalar_one() == 0
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM transactions WHERE description = 'writer'"
        ).scalar_one() == len(writes)
    check.dispose()
