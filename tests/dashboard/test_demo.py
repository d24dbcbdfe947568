"""Demo data: deterministic, complete, priced from the real market data, idempotent."""

import hashlib

import pytest
import sqlalchemy as sa

from dashboard.data import demo, migrate
from dashboard.data.db import make_engine
from dashboard.data.models import TABLES
from dashboard.data.securities import SECURITIES


def _fingerprint(engine) -> dict[str, str]:
    out = {}
    with engine.connect() as conn:
        for table in TABLES:
            digest = hashlib.sha256()
            # password hashes are salted: the same password hashes differently each time
            columns = [c for c in table.c if c.name != "password_hash"]
            for row in conn.execute(sa.select(*columns).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
            out[table.name] = digest.hexdigest()
    return out


def _seeded(settings, name, **kwargs):
    settings = settings.replace(database_url=f"sqlite:///{settings.instance_path / name}")
    migrate.upgrade(settings)
    engine = make_engine(settings.database_url)
    report = demo.seed(engine, settings.market_data_path, **kwargs)
    return engine, report


def test_demo001_same_seed_same_rows(settings):
    first, report = _seeded(settings, "a.db", households=5, transactions_per_account=20)
    second, _ = _seeded(settings, "b.db", households=5, transactions_per_account=20)
    other, _ = _seeded(settings, "c.db", households=5, transactions_per_account=20, seed=7)
    assert report.seeded
    assert _fingerprint(first) == _fingerprint(second)
    assert _fingerprint(first)["transactions"] != _fingerprint(other)["transactions"]


def test_demo002_every_table_the_demo_promises_is_filled(settings):
    engine, report = _seeded(settings, "d.db", households=6, transactions_per_account=25)
    for name in (
        "users",
        "households",
        "accounts",
        "holdings",
        "tax_lots",
        "transactions",
        "budget_entries",
        "goals",
        "threads",
        "plaid_items",
        "plaid_accounts",
        "securities",
        "prices",
    ):
        assert report.counts[name] > 0, name
    with engine.connect() as conn:
        roles = dict(conn.exec_driver_sql("SELECT role, count(*) FROM users GROUP BY role").all())
        assert roles["admin"] == 1 and roles["analyst"] >= 2
        assert conn.exec_driver_sql("SELECT count(*) FROM securities WHERE sector IS NOT NULL").scalar() == 20
        # lots add up to the holding, and every lot was bought at that day's real close
        mismatched = conn.exec_driver_sql("""
            SELECT count(*) FROM holdings h
            WHERE abs(h.quantity - (SELECT sum(quantity) FROM tax_lots WHERE holding_id = h.id)) > 1e-9
        """).scalar()
        assert mismatched == 0
        unpriced = conn.exec_driver_sql("""
            SELECT count(*) FROM tax_lots l JOIN holdings h ON h.id = l.holding_id
            WHERE NOT EXISTS (SELECT 1 FROM prices p WHERE p.security_id = h.security_id
                              AND p.date = l.acquired_on AND abs(p.close - l.cost_per_share) < 1e-3)
        """).scalar()
        assert unpriced == 0
        # every analyst-owned household's linked accounts point at aggregator accounts
        assert (
            conn.exec_driver_sql("SELECT count(*) FROM accounts WHERE plaid_account_id IS NOT NULL").scalar()
            == 12
        )


def test_demo003_seeding_a_seeded_database_changes_nothing_unless_reset(settings):
    engine, _ = _seeded(settings, "e.db", households=3, transactions_per_account=5)
    before = _fingerprint(engine)
    again = demo.seed(engine, settings.market_data_path, households=9)
    assert not again.seeded and "already seeded" in again.message
    assert _fingerprint(engine) == before
    reset = demo.seed(engine, settings.market_data_path, households=4, transactions_per_account=5, reset=True)
    assert reset.seeded and reset.counts["households"] == 4


def test_demo004_bundled_market_data_is_complete():
    from dashboard.data.market import read_bundled_prices
    from dashboard.settings import PROJECT_ROOT

    frame = read_bundled_prices(PROJECT_ROOT / "data" / "market")
    assert set(frame.columns) == set(SECURITIES)
    assert frame["FB"].first_valid_index().year == 2012  # ragged start kept, not dropped
    assert (frame.stack().dropna() > 0).all()


@pytest.mark.parametrize("households", [0, -1])
def test_demo005_rejects_nonsense_sizes(settings, households):
    migrate.upgrade(settings)
    with pytest.raises(ValueError):
        demo.seed(make_engine(settings.database_url), settings.market_data_path, households=households)
