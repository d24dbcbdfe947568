"""Models and constraints on a migrated database; SQLite connection pragmas."""

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard.data import migrate
from dashboard.data.db import make_engine
from dashboard.data.models import (
    TABLES,
    Account,
    Goal,
    Holding,
    Household,
    Price,
    Security,
    TaxLot,
    Transaction,
    User,
)


@pytest.fixture
def engine(settings):
    migrate.upgrade(settings)
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


def _household(session) -> Household:
    user = User(email="a@example.com", name="A", role="analyst")
    household = Household(name="H", analyst=user)
    session.add_all([user, household])
    session.flush()
    return household


def test_mod001_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(engine):
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_mod002_every_table_exists(engine):
    assert {t.name for t in TABLES} <= set(sa.inspect(engine).get_table_names())
    assert len(TABLES) == 17


def test_mod003_natural_keys_are_unique(engine):
    with Session(engine) as session:
        session.add_all([User(email="x@example.com", name="X"), User(email="x@example.com", name="Y")])
        with pytest.raises(IntegrityError):
            session.commit()
    with Session(engine) as session:
        session.add_all([Security(ticker="ABC", name="A"), Security(ticker="ABC", name="B")])
        with pytest.raises(IntegrityError):
            session.commit()
    with Session(engine) as session:
        security = Security(ticker="DEF", name="D")
        session.add(security)
        session.flush()
        day = dt.date(2020, 1, 2)
        session.add_all(
            [
                Price(security_id=security.id, date=day, close=1.0),
                Price(security_id=security.id, date=day, close=2.0),
            ]
        )
        with pytest.raises(IntegrityError):
            session.commit()


def test_mod004_foreign_keys_are_enforced(engine):
    with Session(engine) as session:
        session.add(Account(household_id=999, name="orphan", account_type="taxable", institution="X"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_mod005_check_constraints(engine):
    with Session(engine) as session:
        household = _household(session)
        session.add(
            Goal(household_id=household.id, name="g", target_amount=-1, target_date=dt.date(2030, 1, 1))
        )
        with pytest.raises(IntegrityError):
            session.commit()
    with Session(engine) as session:
        session.add(User(email="r@example.com", name="R", role="superuser"))
        with pytest.raises(IntegrityError):
            session.commit()


def test_mod006_deleting_a_household_cascades_to_its_data(engine):
    with Session(engine) as session:
        household = _household(session)
        security = Security(ticker="XYZ", name="X")
        account = Account(
            household=household, name="b", account_type="taxable", institution="X", cash_balance=0
        )
        session.add_all([security, account])
        session.flush()
        holding = Holding(account_id=account.id, security_id=security.id, quantity=3)
        session.add(holding)
        session.flush()
        session.add_all(
            [
                TaxLot(holding_id=holding.id, acquired_on=dt.date(2017, 1, 3), quantity=3, cost_per_share=10),
                Transaction(
                    account_id=account.id, date=dt.date(2017, 1, 3), type="buy", description="b", amount=-30
                ),
            ]
        )
        session.commit()
        session.execute(sa.delete(Household).where(Household.id == household.id))
        session.commit()
        for model in (Account, Holding, TaxLot, Transaction):
            assert session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(Security)) == 1
