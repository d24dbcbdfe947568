"""SQLite concurrent writers lose nothing (WAL and the busy timeout), as gunicorn workers write at once."""

from __future__ import annotations

import datetime as dt
import multiprocessing

from sqlalchemy import func, select

from dashboard.data.db import make_engine
from dashboard.data.models import Goal, Household

WRITERS = 4
GOALS_EACH = 150


def _writer(url: str, household_id: int, start, worker: int) -> None:
    from sqlalchemy.orm import Session

    engine = make_engine(url)
    start.wait()
    for i in range(GOALS_EACH):
        with Session(engine) as session, session.begin():  # one transaction per goal, like a form save
            session.add(
                Goal(
                    household_id=household_id,
                    name=f"w{worker}-{i}",
                    target_amount=1000.0 + i,
                    target_date=dt.date(2030, 1, 1),
                    priority="important",
                    current_amount=0.0,
                    monthly_contribution=0.0,
                )
            )
    engine.dispose()


def test_sqlite001_concurrent_writers_lose_nothing(seeded_settings):
    engine = make_engine(seeded_settings.database_url)
    with engine.connect() as conn:
        household_id = conn.execute(select(Household.id).limit(1)).scalar_one()
        before = conn.execute(select(func.count()).select_from(Goal)).scalar_one()
    context = multiprocessing.get_context("fork")
    start = context.Event()
    writers = [
        context.Process(target=_writer, args=(seeded_settings.database_url, household_id, start, w))
        for w in range(WRITERS)
    ]
    for w in writers:
        w.start()
    start.set()
    for w in writers:
        w.join(120)
    assert [w.exitcode for w in writers] == [0] * WRITERS
    with engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(Goal)).scalar_one()
        names = conn.execute(
            select(func.count(func.distinct(Goal.name))).where(Goal.name.like("w%-%"))
        ).scalar_one()
    engine.dispose()
    assert after - before == WRITERS * GOALS_EACH and names == WRITERS * GOALS_EACH
