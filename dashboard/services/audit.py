"""The audit trail: who did what to which household, and when (docs/product.md §7).

A change and its record are written in one transaction (``record(session, ...)`` inside the
service's session): nothing changes without its record, and a record never exists without its change.
When the action fails, :func:`failures` writes one record of the failure, in a transaction of its own
(the change's was rolled back). Events that change nothing (a household opened, a file downloaded, a
sign-in) are written alone with :func:`log`. Records are never updated (a database trigger refuses it);
:func:`prune` deletes those older than the retention and records that it did.

Who: the signed-in user (or the user a background job acts for); on the command line ``cli:<login>``.
Where from: the request's address (behind the portal's proxy, the forwarded one ProxyFix gives).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import getpass
import io
from collections.abc import Iterator
from dataclasses import dataclass

import flask
from sqlalchemy import delete, func, insert, select

from dashboard.data.models import AUDIT_ACTIONS, AuditEvent
from dashboard.errors import AccessDenied, InvalidInput
from dashboard.extensions import db
from dashboard.spreadsheet import safe_cell

PAGE_SIZE = 50
MAX_EXPORT = 1_000_000  # rows in one CSV export (the command line has no limit)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _who(user=None) -> tuple[int | None, str]:
    if user is not None:
        return user.id, user.email
    from dashboard.services.access import current_user

    try:
        found = current_user()
        return found.id, found.email
    except AccessDenied:
        pass
    if flask.has_request_context():
        return None, "anonymous"
    try:
        return None, f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name (a container): still the command line
        return None, "cli"


def _address() -> str:
    return (flask.request.remote_addr or "")[:64] if flask.has_request_context() else ""


def record(
    session,
    action: str,
    *,
    household_id: int | None = None,
    target: str = "",
    detail: str = "",
    outcome: str = "ok",
    user=None,
    email: str | None = None,
) -> None:
    """Add the record of ``action`` to ``session`` (committed, or rolled back, with the change)."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    user_id, who = _who(user)
    # a row inserted, not an object added: the record is never read back in the change's session, and
    # the ORM's bookkeeping of a new object was most of what recording a household opened cost. One
    # statement for every record, its values as parameters: compiled and keyed once, not per record.
    session.execute(
        _INSERT,
        {
            "at": _now(),
            "user_id": user_id,
            "user_email": (email or who)[:255],
            "action": action,
            "household_id": household_id,
            "target": str(target)[:160],
            "detail": str(detail)[:500],
            "address": _address(),
            "outcome": outcome,
        },
    )


_INSERT = insert(AuditEvent.__table__)


def log(action: str, **fields) -> None:
    """Record an event that changes nothing else, in a transaction of its own."""
    with db.session() as session:
        record(session, action, **fields)


@contextlib.contextmanager
def failures(action: str, **fields) -> Iterator[None]:
    """Around a change that records itself on success: if it fails, one record of the failure."""
    try:
        yield
    except Exception as error:
        message = str(error) if isinstance(error, InvalidInput) else type(error).__name__
        # if the database itself failed, the original error is what matters
        with contextlib.suppress(Exception):
            log(action, outcome="failed", detail=message, **fields)
        raise


# -- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filter:
    user: str = ""  # an email, exact (case-insensitive)
    household_id: int | None = None
    action: str = ""
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive

    def conditions(self) -> list:
        found = []
        if self.user:
            found.append(AuditEvent.user_email == self.user.strip().lower())
        if self.household_id is not None:
            found.append(AuditEvent.household_id == self.household_id)
        if self.action:
            found.append(AuditEvent.action == self.action)
        if self.since is not None:
            found.append(AuditEvent.at >= dt.datetime.combine(self.since, dt.time()))
        if self.until is not None:
            found.append(AuditEvent.at < dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time()))
        return found


def parse_filter(user=None, household=None, action=None, since=None, until=None) -> Filter:
    """A filter from what a person typed; InvalidInput naming what is wrong."""

    def day(raw, what):
        if raw in (None, ""):
            return None
        try:
            return dt.date.fromisoformat(str(raw)[:10])
        except ValueError:
            raise InvalidInput(f"{what} must be a date (YYYY-MM-DD).") from None

    text = str(household).strip() if household not in (None, "") else ""
    if text and not (text.isascii() and text.isdigit() and len(text) <= 10):
        raise InvalidInput("The household must be a household number.")
    if action not in (None, "") and action not in AUDIT_ACTIONS:
        raise InvalidInput("Choose one of the actions listed.")
    email = str(user or "").strip().lower()
    if len(email) > 255:
        raise InvalidInput("The user is an email address.")
    found = Filter(email, int(text) if text else None, action or "", day(since, "From"), day(until, "To"))
    if found.since and found.until and found.since > found.until:
        raise InvalidInput("From must not be after To.")
    return found


@dataclass(frozen=True)
class Page:
    rows: list[AuditEvent]
    older: int | None  # the id to page on from (None: no older records)
    total: int | None  # matching records (counted only on the first page)


def page(chosen: Filter, before_id: int | None = None, size: int | None = None, count: bool = False) -> Page:
    """The newest ``size`` matching records below ``before_id`` (keyset paging on the primary key: the
    same cost on the first page and the millionth)."""
    size = size or PAGE_SIZE
    conditions = chosen.conditions()
    with db.session() as session:
        query = select(AuditEvent).where(*conditions)
        if before_id is not None:
            query = query.where(AuditEvent.id < before_id)
        rows = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(size + 1)))
        total = (
            session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) if count else None
        )
        session.expunge_all()
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, rows[-1].id if more and rows else None, total)


COLUMNS = ("id", "at_utc", "user", "action", "household", "target", "detail", "outcome", "address")


def rows_of(events) -> Iterator[list]:
    for e in events:
        yield [
            e.id,
            e.at.isoformat(sep=" ", timespec="seconds"),
            e.user_email,
            e.action,
            "" if e.household_id is None else e.household_id,
            e.target,
            e.detail,
            e.outcome,
            e.address,
        ]


def more_than(chosen: Filter, limit: int) -> bool:
    """Whether more than ``limit`` records match (one look past the limit: no count of them all)."""
    with db.session() as session:
        beyond = select(AuditEvent.id).where(*chosen.conditions()).order_by(AuditEvent.id)
        return session.scalar(beyond.offset(limit).limit(1)) is not None


def export(chosen: Filter, limit: int | None = MAX_EXPORT, batch: int = 5_000) -> Iterator[str]:
    """The matching records as CSV text, oldest first, in batches (a streamed response or the
    command line: memory stays flat over millions of rows)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    after, sent = 0, 0
    while True:
        with db.session() as session:
            query = select(AuditEvent).where(*chosen.conditions(), AuditEvent.id > after)
            events = list(session.scalars(query.order_by(AuditEvent.id).limit(batch)))
            session.expunge_all()
        if limit is not None:
            events = events[: max(0, limit - sent)]
        for row in rows_of(events):
            writer.writerow([safe_cell(v) for v in row])
        sent += len(events)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(events) < batch or (limit is not None and sent >= limit):
            return
        after = events[-1].id


def prune(retention_days: int) -> int:
    """Delete records older than ``retention_days`` and record the pruning (with how many)."""
    if not isinstance(retention_days, int) or retention_days < 1:
        raise InvalidInput("The retention is a whole number of days, at least 1.")
    cutoff = _now() - dt.timedelta(days=retention_days)
    with db.session() as session:
        deleted = session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)).rowcount or 0
        record(
            session,
            "audit-prune",
            detail=f"{deleted} records before {cutoff:%Y-%m-%d %H:%M} UTC (retention {retention_days} days)",
        )
    return deleted
