"""The firm's capital market assumptions: versioned sets, read through the cache, never changed.

A set is written once (an import, an edit saved on the Assumptions page, the seeded set) and never
updated or deleted, so a run that names its set reproduces later. The set *in force* on a day is the
one with the latest effective date on or before it (the newest version among sets of that date).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import func, select

from dashboard.data.models import AssumptionSet
from dashboard.errors import InvalidInput
from dashboard.extensions import cache, db
from dashboard.services import audit
from engine.assumptions import CapitalMarketAssumptions

OPERATION = "assumptions"
MAX_SOURCE = 255
MAX_NAME = 120


NO_ASSUMPTIONS = (
    "No firm capital market assumptions are in force: an administrator imports them on the "
    "Assumptions page or with `python -m meridian assumptions import FILE`. Meanwhile choose a "
    "historical model and enter inflation."
)


class NoAssumptions(InvalidInput):
    """No set of assumptions is in force (none loaded, or every one starts later)."""


@dataclass(frozen=True)
class AssumptionsRef:
    """A set as the pages name it: which one, from when, by whom."""

    id: int
    name: str
    effective: dt.date
    inflation: float
    cash_rate: float
    source: str
    created_by: str
    created_at: dt.datetime
    based_on: int | None

    @property
    def label(self) -> str:
        return f"{self.name} (set {self.id}, effective {self.effective:%d %b %Y})"


def _ref(row: AssumptionSet) -> AssumptionsRef:
    return AssumptionsRef(
        row.id,
        row.name,
        row.effective_on,
        row.inflation,
        row.cash_rate,
        row.source,
        row.created_by,
        row.created_at,
        row.based_on,
    )


def list_sets() -> list[AssumptionsRef]:
    """Every set, the newest effective date first (newest version first among equals)."""

    def read():
        with db.session() as session:
            rows = session.scalars(
                select(AssumptionSet).order_by(AssumptionSet.effective_on.desc(), AssumptionSet.id.desc())
            ).all()
            return [_ref(r) for r in rows]

    return cache.get_or_compute(*LISTED, read) or []


# Where the list of sets is cached: (operation, request), as ``list_sets`` and ``cache.lookup_many`` use it.
LISTED = (OPERATION, {"kind": "list"})


def in_force(on: dt.date | None = None, sets: list[AssumptionsRef] | None = None) -> AssumptionsRef | None:
    """The set in force on ``on`` (today by default) among ``sets`` (every set, by default), or None."""
    day = on or dt.date.today()
    return next((s for s in (list_sets() if sets is None else sets) if s.effective <= day), None)


def current_or_refuse(on: dt.date | None = None) -> AssumptionsRef:
    """The set in force, or NoAssumptions saying what to do."""
    found = in_force(on)
    if found is None:
        raise NoAssumptions(NO_ASSUMPTIONS)
    return found


def get_ref(set_id: int) -> AssumptionsRef:
    """The set ``set_id`` (InvalidInput when there is no such set)."""
    found = next((s for s in list_sets() if s.id == set_id), None)
    if found is None:
        raise InvalidInput(f"There is no set of assumptions {set_id}; choose one of those listed.")
    return found


def load(set_id: int) -> CapitalMarketAssumptions:
    """The whole set ``set_id`` (cached: a set never changes)."""

    def read():
        with db.session() as session:
            row = session.get(AssumptionSet, set_id)
            return None if row is None else from_row(row)

    found = cache.get_or_compute(OPERATION, {"kind": "set", "id": set_id}, read)
    if found is None:
        raise InvalidInput(f"There is no set of assumptions {set_id}; choose one of those listed.")
    return found


def create(
    assumptions: CapitalMarketAssumptions, source: str, created_by: str, based_on: int | None = None
) -> AssumptionsRef:
    """Store ``assumptions`` as a new set (validated whole first); nothing is written if it is refused.
    Recorded in the audit trail with the set (or as failed)."""
    with audit.failures("assumptions-change", target=str(getattr(assumptions, "name", ""))[:100]):
        assumptions.validated()
        if len(assumptions.name) > MAX_NAME:
            raise InvalidInput(f"The set's name must be at most {MAX_NAME} characters.")
        with db.session() as session:
            if based_on is not None and session.get(AssumptionSet, based_on) is None:
                raise InvalidInput(f"There is no set of assumptions {based_on} to base the new one on.")
            row = AssumptionSet(
                name=assumptions.name.strip(),
                effective_on=dt.date.fromisoformat(assumptions.effective),
                inflation=assumptions.inflation,
                cash_rate=assumptions.cash_rate,
                default_class=assumptions.default_class,
                body=json.dumps(assumptions.body(), sort_keys=True),
                method=assumptions.method,
                source=source[:MAX_SOURCE],
                created_by=created_by[:255],
                based_on=based_on,
            )
            session.add(row)
            session.flush()
            ref = _ref(row)
            audit.record(session, "assumptions-change", target=f"set {row.id} {row.name}", detail=source)
    cache.invalidate(operation=OPERATION)
    return ref


def count() -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(AssumptionSet)) or 0)


# -- the stored form ---------------------------------------------------------------------------------


def from_row(row: AssumptionSet) -> CapitalMarketAssumptions:
    return CapitalMarketAssumptions.from_body(
        json.loads(row.body),
        name=row.name,
        effective=row.effective_on.isoformat(),
        inflation=row.inflation,
        cash_rate=row.cash_rate,
        default_class=row.default_class,
        method=row.method,
    )
