"""Analysis threads of a household: saved runs (page, parameters, seed, summary, note), read through
the cache's thread entries; every change drops them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import func, select

from dashboard.data.models import Thread, ThreadItem, User
from dashboard.errors import AccessDenied, InvalidInput
from dashboard.extensions import cache, db
from dashboard.services import audit

MAX_TITLE = 200
MAX_NOTE = 2000
MAX_PARAMS = 4000


@dataclass(frozen=True)
class RunSummary:
    id: int
    page: str
    params: str
    seed: int | None
    summary: dict
    note: str
    created_by: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ThreadSummary:
    id: int
    title: str
    created_by: str
    updated_at: dt.datetime
    runs: int
    items: tuple[RunSummary, ...] = field(default_factory=tuple)


def household_threads(household_id: int) -> list[ThreadSummary]:
    """The household's threads with their runs, most recently updated first (cached for the thread TTL)."""

    def load():
        with db.session() as session:
            threads = session.execute(
                select(Thread.id, Thread.title, User.name, Thread.updated_at)
                .join(User, User.id == Thread.created_by)
                .where(Thread.household_id == household_id)
                .order_by(Thread.updated_at.desc(), Thread.id.desc())
            ).all()
            # columns, not ORM objects: every saved run of the household is read after each save
            items = session.execute(
                select(
                    ThreadItem.thread_id,
                    ThreadItem.id,
                    ThreadItem.page,
                    ThreadItem.params,
                    ThreadItem.seed,
                    ThreadItem.summary,
                    ThreadItem.note,
                    User.name,
                    ThreadItem.created_at,
                )
                .join(User, User.id == ThreadItem.created_by)
                .where(ThreadItem.thread_id.in_([t.id for t in threads]))
                .order_by(ThreadItem.created_at.desc(), ThreadItem.id.desc())
            ).all()
        runs: dict[int, list[RunSummary]] = {}
        for thread_id, run_id, page, params, seed, summary, note, author, created_at in items:
            runs.setdefault(thread_id, []).append(
                RunSummary(run_id, page, params, seed, _json(summary), note, author, created_at)
            )
        return [
            ThreadSummary(
                t.id, t.title, t.name, t.updated_at, len(runs.get(t.id, [])), tuple(runs.get(t.id, []))
            )
            for t in threads
        ]

    return cache.get_or_compute("thread", {"household": household_id}, load, household=household_id)


def threads_changed(household_id: int) -> None:
    """Drop the cached thread data of a household (after a thread or run is saved or deleted)."""
    cache.invalidate(operation="thread", household=household_id)


def _json(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _title(title) -> str:
    if not isinstance(title, str) or not 1 <= len(title.strip()) <= MAX_TITLE:
        raise InvalidInput(f"Give the thread a title of 1 to {MAX_TITLE} characters.")
    return title.strip()


def create_thread(household_id: int, user_id: int, title) -> int:
    with db.session() as session:
        thread = Thread(household_id=household_id, created_by=user_id, title=_title(title))
        session.add(thread)
        session.flush()
        created = thread.id
    threads_changed(household_id)
    return created


def _owned_thread(session, household_id: int, thread_id) -> Thread:
    if isinstance(thread_id, bool) or not isinstance(thread_id, int):
        raise InvalidInput("Choose a thread.")
    thread = session.scalar(select(Thread).where(Thread.id == thread_id, Thread.household_id == household_id))
    if thread is None:
        raise AccessDenied("That thread is not one of this household's threads.")
    return thread


def save_run(
    household_id: int,
    user_id: int,
    thread_id: int,
    page: str,
    params: str,
    seed: int | None,
    summary: dict,
    note,
) -> int:
    """Add a run to one of the household's threads; returns its id (recorded in the audit trail)."""
    with audit.failures("thread-save", household_id=household_id, target=f"thread {thread_id}"):
        if not isinstance(note, str | type(None)) or len(note or "") > MAX_NOTE:
            raise InvalidInput(f"Keep the note under {MAX_NOTE} characters.")
        if len(params) > MAX_PARAMS:
            raise InvalidInput("These parameters are too long to save.")
        with db.session() as session:
            thread = _owned_thread(session, household_id, thread_id)
            item = ThreadItem(
                thread_id=thread.id,
                created_by=user_id,
                page=page,
                params=params,
                seed=seed,
                summary=json.dumps(summary, sort_keys=True, allow_nan=False),
                note=(note or "").strip(),
            )
            session.add(item)
            thread.updated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            session.flush()
            saved = item.id
            target = f"thread {thread.id} run {saved}"
            audit.record(session, "thread-save", household_id=household_id, target=target, detail=page)
    threads_changed(household_id)
    return saved


def delete_run(household_id: int, run_id) -> None:
    with db.session() as session:
        item = (
            session.scalar(
                select(ThreadItem)
                .join(Thread)
                .where(ThreadItem.id == run_id, Thread.household_id == household_id)
            )
            if isinstance(run_id, int) and not isinstance(run_id, bool)
            else None
        )
        if item is None:
            raise AccessDenied("That run is not in one of this household's threads.")
        audit.record(session, "thread-delete", household_id=household_id, target=f"run {item.id}")
        session.delete(item)
    threads_changed(household_id)


def delete_thread(household_id: int, thread_id) -> None:
    with db.session() as session:
        thread = _owned_thread(session, household_id, thread_id)
        audit.record(session, "thread-delete", household_id=household_id, target=f"thread {thread.id}")
        session.delete(thread)
    threads_changed(household_id)


def run_count(household_id: int) -> int:
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count(ThreadItem.id)).join(Thread).where(Thread.household_id == household_id)
            )
            or 0
        )
