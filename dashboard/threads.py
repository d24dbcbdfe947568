"""Analysis threads of a household (read through the cache's thread entries)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from dashboard.extensions import cache, db
from dashboard.models import Thread, ThreadItem, User


@dataclass(frozen=True)
class ThreadSummary:
    id: int
    title: str
    created_by: str
    updated_at: dt.datetime
    runs: int


def household_threads(household_id: int) -> list[ThreadSummary]:
    """The household's threads, most recently updated first (cached for the thread TTL)."""

    def load():
        runs = (
            select(ThreadItem.thread_id, func.count(ThreadItem.id).label("runs"))
            .group_by(ThreadItem.thread_id)
            .subquery()
        )
        query = (
            select(Thread.id, Thread.title, User.name, Thread.updated_at, func.coalesce(runs.c.runs, 0))
            .join(User, User.id == Thread.created_by)
            .outerjoin(runs, runs.c.thread_id == Thread.id)
            .where(Thread.household_id == household_id)
            .order_by(Thread.updated_at.desc(), Thread.id.desc())
        )
        with db.session() as session:
            return [ThreadSummary(*row) for row in session.execute(query)]

    return cache.get_or_compute("thread", {"household": household_id}, load, household=household_id)


def threads_changed(household_id: int) -> None:
    """Drop the cached thread data of a household (after a thread or run is saved or deleted)."""
    cache.invalidate(operation="thread", household=household_id)
