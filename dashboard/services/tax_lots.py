"""A household's taxable lots, their prices on the valuation date and the purchases around it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from dashboard.data.models import Account, Holding, Security, TaxLot, Transaction
from dashboard.errors import InvalidInput
from dashboard.extensions import db
from dashboard.services.households import latest_prices

# A purchase this many days either side of a sale can make its loss a wash sale.
WASH_SALE_DAYS = 30


@dataclass(frozen=True)
class LotRow:
    id: int
    ticker: str
    acquired_on: dt.date
    quantity: float
    cost_per_share: float
    account: str


@dataclass(frozen=True)
class PurchaseRow:
    ticker: str
    date: dt.date
    quantity: float
    account: str
    lot: int | None  # the taxable lot this buy created, when it is one of ``lots``


@dataclass(frozen=True)
class TaxPosition:
    as_of: dt.date
    lots: tuple[LotRow, ...]
    closes: dict[str, float]  # ticker -> close on ``as_of``
    purchases: tuple[PurchaseRow, ...]  # buys in every account within the wash-sale window


def taxable_position(household_id: int) -> TaxPosition:
    """Lots in taxable accounts only (selling in an IRA, Roth or 401(k) is not a taxable event),
    but purchases in every account, which count for wash sales."""
    with db.session() as session:
        lots = session.execute(
            select(
                TaxLot.id,
                Security.ticker,
                Security.id,
                TaxLot.acquired_on,
                TaxLot.quantity,
                TaxLot.cost_per_share,
                Account.name,
                Account.id,
            )
            .join(Holding, Holding.id == TaxLot.holding_id)
            .join(Account, Account.id == Holding.account_id)
            .join(Security, Security.id == Holding.security_id)
            .where(Account.household_id == household_id, Account.account_type == "taxable")
            .order_by(Security.ticker, TaxLot.acquired_on)
        ).all()
        as_of, closes = latest_prices(session, sorted({row[2] for row in lots}))
        if as_of is None:
            raise InvalidInput("This household has no lots in taxable accounts.")
        window = dt.timedelta(days=WASH_SALE_DAYS)
        buys = session.execute(
            select(
                Transaction.id,
                Security.ticker,
                Transaction.date,
                Transaction.quantity,
                Account.name,
                Account.id,
            )
            .join(Account, Account.id == Transaction.account_id)
            .join(Security, Security.id == Transaction.security_id)
            .where(
                Account.household_id == household_id,
                Transaction.type == "buy",
                Transaction.date >= as_of - window,
                Transaction.date <= as_of + window,
            )
            .order_by(Transaction.date, Transaction.id)
        ).all()
    security_of = {ticker: sid for _, ticker, sid, *_ in lots}
    created = _lot_purchases(lots, buys)
    return TaxPosition(
        as_of,
        tuple(LotRow(i, t, d, float(q), float(c), account) for i, t, _sid, d, q, c, account, _a in lots),
        {t: closes[sid] for t, sid in security_of.items() if sid in closes},
        tuple(
            PurchaseRow(t, d, float(q or 0), account, created.get(tid))
            for tid, t, d, q, account, _aid in buys
        ),
    )


def _lot_purchases(lots, buys) -> dict[int, int]:
    """Transaction id -> the lot it created: a buy of the lot's security in the lot's own account, on its
    date, of its size; each buy creates at most one lot. A same-day, same-size buy in another account
    (an IRA, say) is a different purchase, and counts for wash sales."""
    created: dict[int, int] = {}
    for lot_id, ticker, _sid, acquired_on, quantity, _cost, _name, account_id in lots:
        for tid, buy_ticker, date, buy_quantity, _account, buy_account in buys:
            if (
                tid not in created
                and buy_account == account_id
                and buy_ticker == ticker
                and date == acquired_on
                and abs(float(buy_quantity or 0) - float(quantity)) < 1e-9
            ):
                created[tid] = lot_id
                break
    return created
