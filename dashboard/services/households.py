"""A household's data: accounts, positions valued at market, goals, budget cash flow, its portfolio;
and recording that it changed (which invalidates everything cached for it)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from dashboard.data.models import (
    Account,
    BudgetEntry,
    Goal,
    Holding,
    Household,
    PlaidAccount,
    PlaidItem,
    Price,
    Security,
)
from dashboard.errors import InvalidInput
from dashboard.extensions import cache, db
from dashboard.services.access import HouseholdRef
from dashboard.services.catalogue import sector_label


@dataclass(frozen=True)
class Position:
    account_id: int
    ticker: str
    name: str
    sector: str
    quantity: float
    price: float

    @property
    def value(self) -> float:
        return self.quantity * self.price


@dataclass(frozen=True)
class AccountSummary:
    id: int
    name: str
    account_type: str
    institution: str
    cash: float
    invested: float
    linked_institution: str | None
    link_status: str | None
    last_synced_at: dt.datetime | None

    @property
    def value(self) -> float:
        return self.cash + self.invested


@dataclass(frozen=True)
class GoalSummary:
    id: int
    name: str
    priority: str
    target_amount: float
    target_date: dt.date
    current_amount: float
    monthly_contribution: float


@dataclass(frozen=True)
class CashFlowMonth:
    month: dt.date
    income: float
    expense: float

    @property
    def net(self) -> float:
        return self.income - self.expense


@dataclass(frozen=True)
class HouseholdSnapshot:
    id: int
    name: str
    risk_profile: str
    as_of: dt.date | None
    accounts: list[AccountSummary]
    positions: list[Position]
    goals: list[GoalSummary]
    cash_flow: list[CashFlowMonth]

    @property
    def cash(self) -> float:
        return sum(a.cash for a in self.accounts)

    @property
    def invested(self) -> float:
        return sum(p.value for p in self.positions)

    @property
    def net_worth(self) -> float:
        return self.cash + self.invested

    def allocation_by(self, key: str) -> dict[str, float]:
        """Market value by ``"ticker"`` or ``"sector"`` across accounts, largest first; cash included."""
        totals: dict[str, float] = defaultdict(float)
        for position in self.positions:
            totals[getattr(position, key) or "Other"] += position.value
        if self.cash:
            totals["Cash"] += self.cash
        return dict(sorted(totals.items(), key=lambda kv: -kv[1]))


def snapshot(household: HouseholdRef) -> HouseholdSnapshot:
    """Everything the Overview shows for one (already authorised) household.

    Cached per household and version (data and goals): every change to its data
    bumps a version (:func:`household_changed`), so an edit or an import is never
    answered from an old snapshot. Being addressed by version, the entry is also
    kept in each worker's memory (``cache.LOCAL_TTLS``).
    """

    def read_goals():
        with db.session() as session:
            return _goals(session, household)

    # in two entries: a goal edited re-reads the goals, not the accounts and positions
    key = {"goals": household.id, "version": household.goals_version}
    goals = cache.get_or_compute("snapshot", key, read_goals, household=household.id)
    return replace(_holdings(household), goals=goals)


def _holdings(household: HouseholdRef) -> HouseholdSnapshot:
    """The snapshot's accounts, positions and cash flow, without its goals (an entry of their own)."""

    def read():
        with db.session() as session:
            return _snapshot(session, household)

    key = {"snapshot": household.id, "version": household.data_version}
    return cache.get_or_compute("snapshot", key, read, household=household.id)


def _snapshot(session: Session, household: HouseholdRef) -> HouseholdSnapshot:
    holdings = session.execute(
        select(
            Holding.account_id,
            Holding.security_id,
            Holding.quantity,
            Security.ticker,
            Security.name,
            Security.sector,
        )
        .join(Account, Account.id == Holding.account_id)
        .join(Security, Security.id == Holding.security_id)
        .where(Account.household_id == household.id, Holding.quantity > 0)
        .order_by(Security.ticker)
    ).all()
    as_of, prices = latest_prices(session, sorted({h.security_id for h in holdings}))
    positions = [
        Position(
            h.account_id,
            h.ticker,
            h.name,
            sector_label(h.ticker, h.sector),
            h.quantity,
            prices[h.security_id],
        )
        for h in holdings
        if h.security_id in prices
    ]
    invested: dict[int, float] = defaultdict(float)
    for position in positions:
        invested[position.account_id] += position.value
    account_rows = session.execute(
        select(Account, PlaidItem.institution_name, PlaidItem.status, PlaidItem.last_synced_at)
        .outerjoin(PlaidAccount, PlaidAccount.id == Account.plaid_account_id)
        .outerjoin(PlaidItem, PlaidItem.id == PlaidAccount.plaid_item_id)
        .where(Account.household_id == household.id)
        .order_by(Account.id)
    ).all()
    accounts = [
        AccountSummary(
            a.id,
            a.name,
            a.account_type,
            a.institution,
            a.cash_balance,
            invested.get(a.id, 0.0),
            inst,
            status,
            synced,
        )
        for a, inst, status, synced in account_rows
    ]
    flows: dict[dt.date, dict[str, float]] = defaultdict(lambda: {"income": 0.0, "expense": 0.0})
    for month, kind, total in session.execute(
        select(BudgetEntry.month, BudgetEntry.kind, func.sum(BudgetEntry.amount))
        .where(BudgetEntry.household_id == household.id)
        .group_by(BudgetEntry.month, BudgetEntry.kind)
    ):
        flows[month][kind] = float(total)
    cash_flow = [CashFlowMonth(m, v["income"], v["expense"]) for m, v in sorted(flows.items())]
    return HouseholdSnapshot(
        household.id, household.name, household.risk_profile, as_of, accounts, positions, [], cash_flow
    )


def _goals(session: Session, household: HouseholdRef) -> list[GoalSummary]:
    return [
        GoalSummary(
            g.id, g.name, g.priority, g.target_amount, g.target_date, g.current_amount, g.monthly_contribution
        )
        for g in session.scalars(
            select(Goal).where(Goal.household_id == household.id).order_by(Goal.target_date, Goal.id)
        )
    ]


def latest_prices(session: Session, security_ids: list[int]) -> tuple[dt.date | None, dict[int, float]]:
    """Closes on the valuation date: the latest day on which every one of the securities has a price.

    Written as correlated subqueries so each security costs two index seeks on
    (security_id, date), not a scan of its whole history.
    """
    if not security_ids:
        return None, {}
    last_day = (
        select(func.max(Price.date))
        .where(Price.security_id == Security.id)
        .correlate(Security)
        .scalar_subquery()
    )
    last_days = session.execute(select(Security.id, last_day).where(Security.id.in_(security_ids))).all()
    known = [day for _, day in last_days if day is not None]
    if not known:
        return None, {}
    as_of = min(known)
    close_on = (
        select(Price.close)
        .where(Price.security_id == Security.id, Price.date <= as_of)
        .order_by(Price.date.desc())
        .limit(1)
        .correlate(Security)
        .scalar_subquery()
    )
    rows = session.execute(select(Security.id, close_on).where(Security.id.in_(security_ids))).all()
    return as_of, {sid: float(close) for sid, close in rows if close is not None}


def household_rows(households: list[HouseholdRef]) -> list[dict]:
    """Name, risk profile, account count and net worth of each household, in three queries.

    Cached under the households' ids and data versions (a change to any of them asks for a new entry).
    """
    if not households:
        return []

    def read():
        with db.session() as session:
            return _household_rows(session, households)

    key = {"rows": [[h.id, h.data_version, h.name, h.risk_profile] for h in households]}
    return cache.get_or_compute("snapshot", key, read)


def _household_rows(session: Session, households: list[HouseholdRef]) -> list[dict]:
    ids = [h.id for h in households]
    accounts = {
        hid: (count, cash)
        for hid, count, cash in session.execute(
            select(Account.household_id, func.count(Account.id), func.sum(Account.cash_balance))
            .where(Account.household_id.in_(ids))
            .group_by(Account.household_id)
        )
    }
    quantities = session.execute(
        select(Account.household_id, Holding.security_id, func.sum(Holding.quantity))
        .join(Account, Account.id == Holding.account_id)
        .where(Account.household_id.in_(ids))
        .group_by(Account.household_id, Holding.security_id)
    ).all()
    _, prices = latest_prices(session, sorted({sid for _, sid, _ in quantities}))
    invested: dict[int, float] = defaultdict(float)
    for hid, sid, quantity in quantities:
        invested[hid] += float(quantity) * prices.get(sid, 0.0)
    return [
        {
            "id": h.id,
            "name": h.name,
            "risk_profile": h.risk_profile,
            "accounts": accounts.get(h.id, (0, 0.0))[0],
            "net_worth": round(float(accounts.get(h.id, (0, 0.0))[1] or 0.0) + invested[h.id], 2),
        }
        for h in households
    ]


# Cache operations whose entries read the household's data directly (who may see it and its snapshot,
# panels rendered from it, grid counts, tax lots): dropped when its data change. The engine's results
# (optimisation, risk, diversification, Monte Carlo) are addressed by their inputs' content (tickers,
# weights, amounts): a change that alters those inputs asks for a new key, and one that does not (a
# goal edited) leaves them valid, so they are kept.
READS_HOUSEHOLD = ("household", "snapshot", "rendered", "answer", "grid", "tax")
# A goal changed: only who-may-see-it (it carries the versions). What reads goals is keyed by
# ``goals_version`` (the snapshot's goals are an entry of their own), so the new version asks for new
# entries; the rest, keyed by ``data_version`` (the snapshot's accounts and positions), stays valid and
# is not read from the database again after every goal saved.
READS_GOALS = ("household",)


def household_changed(household_id: int, goals_only: bool = False) -> None:
    """Record that a household's data (or only its goals) changed: bump the version, drop what read it.

    Call after the change is committed. The version is part of every key that
    reads the household's data, so even an entry that survives (cache down during
    the invalidation) is never read again.
    """
    with db.session() as session:
        session.execute(_BUMP["goals_version" if goals_only else "data_version"], {"household": household_id})
    for operation in READS_GOALS if goals_only else READS_HOUSEHOLD:
        cache.invalidate(operation=operation, household=household_id)


_HOUSEHOLDS = Household.__table__
# A household's version bumped: one statement per version, the household a parameter (compiled and keyed
# once, not built per change: a goal saved, a few a second under load, bumps one).
_BUMP = {
    column: update(_HOUSEHOLDS)
    .where(_HOUSEHOLDS.c.id == bindparam("household"))
    .values({column: _HOUSEHOLDS.c[column] + 1})
    for column in ("data_version", "goals_version")
}


@dataclass(frozen=True)
class Portfolio:
    """A household's invested assets by security (all accounts), weights by market value."""

    tickers: tuple[str, ...]
    weights: tuple[float, ...]
    values: tuple[float, ...]
    invested: float
    cash: float
    as_of: dt.date | None


def portfolio(household: HouseholdRef) -> Portfolio:
    """The household's invested assets by security across accounts, largest first (its goals not read:
    a goal saved leaves every run on the portfolio as it was)."""
    return portfolio_of(_holdings(household))


def portfolio_of(snap: HouseholdSnapshot) -> Portfolio:
    """The portfolio of a snapshot already read."""
    totals: dict[str, float] = defaultdict(float)
    for position in snap.positions:
        totals[position.ticker] += position.value
    tickers = tuple(sorted(totals, key=lambda t: -totals[t]))
    invested = sum(totals.values())
    weights = tuple(totals[t] / invested for t in tickers) if invested else ()
    return Portfolio(tickers, weights, tuple(totals[t] for t in tickers), invested, snap.cash, snap.as_of)


def account_ids(household: HouseholdRef, account) -> list[int]:
    """The household's account ids (``account`` None or "all"), or the one chosen; InvalidInput if not its own.

    Read from the household's snapshot (kept per data version, in each worker too: every grid block asks).
    """
    owned = [a.id for a in _holdings(household).accounts]
    if account in (None, "all"):
        return owned
    if isinstance(account, bool) or account not in owned:
        raise InvalidInput("That account is not one of this household's accounts.")
    return [account]
