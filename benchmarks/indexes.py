"""The performance-index migration's effect on the real query shapes at ~2M transactions.

The large database (``instance/bench/large.db``) is built once at revision
0001 and kept; each run times the queries without the secondary indexes,
upgrades to 0002, times them again, prints the ratios and downgrades back.
"""

from __future__ import annotations

import random
import time
from unittest import mock

import sqlalchemy as sa

from benchmarks.common import median_ms, timings
from dashboard.data import demo, migrate
from dashboard.data.db import bulk_insert, make_engine
from dashboard.settings import PROJECT_ROOT, Settings
from harness.tables import table

SAMPLES = 40

QUERIES = {
    "account transactions in a date range, page 3 of 50": """
        SELECT id, date, type, description, category, amount FROM transactions
        WHERE account_id = :account AND date BETWEEN :start AND :end
        ORDER BY date DESC, id DESC LIMIT 50 OFFSET 100""",
    "holdings by account": """
        SELECT h.id, s.ticker, h.quantity FROM holdings h JOIN securities s ON s.id = h.security_id
        WHERE h.account_id = :account""",
    "goals by household": """
        SELECT id, name, target_amount, target_date FROM goals
        WHERE household_id = :household ORDER BY target_date""",
    "prices of 20 securities over 5 years": """
        SELECT security_id, date, close FROM prices
        WHERE security_id IN (1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20)
          AND date BETWEEN '2013-04-11' AND '2018-04-11'""",
    "household -> accounts -> holdings": """
        SELECT a.id, a.name, s.ticker, h.quantity FROM accounts a
        JOIN holdings h ON h.account_id = a.id JOIN securities s ON s.id = h.security_id
        WHERE a.household_id = :household""",
}


def _settings() -> Settings:
    folder = PROJECT_ROOT / "instance" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return Settings.for_tests(folder).replace(
        database_url=f"sqlite:///{folder / 'large.db'}",
        market_data_path=PROJECT_ROOT / "data" / "market",
    )


def _ensure_large_database(settings: Settings) -> str:
    engine = make_engine(settings.database_url)
    try:
        revision = migrate.current_revision(engine)
        if revision is not None and demo.is_seeded(engine) and _has_heavy_household(engine):
            if revision != "0001_schema":
                migrate.downgrade(settings, "0001_schema")
            return "reused instance/bench/large.db"
        migrate.upgrade(settings, "0001_schema")
        # the demo writes today's schema: at 0001 it writes the columns and tables that exist then
        with (
            mock.patch.object(demo, "bulk_insert", _known_columns_only),
            mock.patch.object(demo, "insert_set", lambda *args, **kwargs: None),  # no assumption_sets yet
        ):
            report = demo.seed(engine, settings.market_data_path, **demo.LARGE, reset=True)
        return f"built instance/bench/large.db: {report.message}"
    finally:
        engine.dispose()


def _known_columns_only(conn, table, columns, rows) -> None:
    """``bulk_insert`` of the columns the table has at this revision (a table it lacks: nothing)."""
    present = (
        {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
        if sa.inspect(conn).has_table(table.name)
        else set()
    )
    keep = [i for i, c in enumerate(columns) if c in present]
    if not keep:
        return
    bulk_insert(conn, table, [columns[i] for i in keep], [tuple(r[i] for i in keep) for r in rows])


def _has_heavy_household(engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.exec_driver_sql("SELECT count(*) FROM accounts WHERE name = 'Business checking'").scalar()
        )


GRID_CASES = {
    "page 1, newest first": {"startRow": 0, "endRow": 50},
    "page 100, newest first": {"startRow": 4950, "endRow": 5000},
    "page 1, oldest first": {"startRow": 0, "endRow": 50, "sortModel": [{"colId": "date", "sort": "asc"}]},
    "page 1, sorted by amount": {
        "startRow": 0,
        "endRow": 50,
        "sortModel": [{"colId": "amount", "sort": "desc"}],
    },
    "category = Groceries": {
        "startRow": 0,
        "endRow": 50,
        "filterModel": {"category": {"filterType": "text", "type": "equals", "filter": "groceries"}},
    },
    "description contains 'amazon', amount < -100": {
        "startRow": 0,
        "endRow": 50,
        "filterModel": {
            "description": {"filterType": "text", "type": "contains", "filter": "amazon"},
            "amount": {"filterType": "number", "type": "lessThan", "filter": -100},
        },
    },
}


def _grid(engine) -> None:
    """The Overview's server-side grid on the heaviest household (with the indexes in place)."""
    from sqlalchemy.orm import Session

    from dashboard.services.transactions import page

    with engine.connect() as conn:
        accounts = [
            r[0] for r in conn.exec_driver_sql("SELECT id FROM accounts WHERE household_id = 1 ORDER BY id")
        ]
        total = conn.exec_driver_sql(
            f"SELECT count(*) FROM transactions WHERE account_id IN ({','.join(map(str, accounts))})"
        ).scalar_one()
    rows = []
    memo: dict[str, int] = {}

    def remember(key, count):  # what the cache does for the next blocks
        name = repr(key)
        if name not in memo:
            memo[name] = count()
        return memo[name]

    with Session(engine) as session:
        for name, request in GRID_CASES.items():
            samples = timings(lambda r=request: page(session, accounts, r), repeats=7, warmup=1)
            remembered = timings(lambda r=request: page(session, accounts, r, remember), repeats=7, warmup=1)
            rows.append([name, median_ms(samples), median_ms(remembered)])
    table(
        f"Transactions grid for one household ({len(accounts)} accounts, {total:,} transactions; rows + total count)",
        ["request", "first block ms", "next blocks ms (count cached)"],
        rows,
    )


def _time_queries(engine, params: list[dict]) -> dict[str, float]:
    out = {}
    with engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        for name, sql in QUERIES.items():
            statement = sa.text(sql)
            samples = []
            for p in params:
                samples += timings(lambda p=p, s=statement: conn.execute(s, p).all(), repeats=1, warmup=0)
            out[name] = median_ms(samples)
    return out


def run() -> None:
    settings = _settings()
    started = time.perf_counter()
    note = _ensure_large_database(settings)
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        transactions = conn.exec_driver_sql("SELECT count(*) FROM transactions").scalar_one()
        accounts = [r[0] for r in conn.exec_driver_sql("SELECT id FROM accounts")]
        households = [r[0] for r in conn.exec_driver_sql("SELECT id FROM households")]
    rng = random.Random(7)
    params = [
        {
            "account": rng.choice(accounts),
            "household": rng.choice(households),
            "start": "2016-01-01",
            "end": "2017-12-31",
        }
        for _ in range(SAMPLES)
    ]
    print(f"\n{note} ({time.perf_counter() - started:.1f} s); {transactions:,} transactions")
    without = _time_queries(engine, params)
    built = time.perf_counter()
    migrate.upgrade(settings, "0002_performance_indexes")
    build_seconds = time.perf_counter() - built
    engine.dispose()
    engine = make_engine(settings.database_url)
    with_indexes = _time_queries(engine, params)
    _grid(engine)
    engine.dispose()
    migrate.downgrade(settings, "0001_schema")
    rows = [[name, without[name], with_indexes[name], without[name] / with_indexes[name]] for name in QUERIES]
    table(
        f"Index migration 0002 on SQLite (median of {SAMPLES} parameter sets; building the indexes took {build_seconds:.1f} s)",
        ["query", "without ms", "with ms", "ratio x"],
        rows,
    )


def seeding() -> None:
    """Time the default demo seed into a fresh database (the `make setup` path)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.for_tests(Path(tmp), market_data_path=PROJECT_ROOT / "data" / "market")
        migrate.upgrade(settings)
        engine = make_engine(settings.database_url)
        report = demo.seed(engine, settings.market_data_path)
        engine.dispose()
    table(
        "Demo data seeding (default size, migrated SQLite)",
        ["what", "seconds"],
        [[report.message.split(":", 1)[1].strip()[:90], report.seconds]],
    )
