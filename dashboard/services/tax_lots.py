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
            select(Security.ticker, Transaction.date, Transaction.quantity)
            .join(Account, Account.id == Transaction.account_id)
            .join(Security, Security.id == Transaction.security_id)
            .where(
                Account.household_id == household_id,
                Transaction.type == "buy",
                Transaction.date >= as_of - window,
                Transaction.date <= as_of + window,
            )
        ).all()
    security_of = {ticker: sid for _, ticker, sid, *_ in lots}
    return TaxPosition(
        as_of,
        tuple(LotRow(i, t, d, float(q), float(c), account) for i, t, _sid, d, q, c, account in lots),
        {t: closes[sid] for t, sid in security_of.items() if sid in closes},
        tuple(PurchaseRow(t, d, float(q or 0)) for t, d, q in buys),
    )
