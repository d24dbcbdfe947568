"""Tax: unrealised gains by lot, estimated tax, tax-loss-harvesting candidates with wash-sale checks.

Conventions (US rules, simplified and stated): a lot is long-term when held
more than one year (sold after the first anniversary of its purchase date);
short- and long-term results are netted within each term, then across terms;
a net loss offsets up to ``loss_deduction_limit`` of ordinary income (the rest
carries forward). Rates are fractions. A loss sale is a wash sale when the
same security was bought within 30 days before or after the sale date, in any
of the household's accounts (so lots bought within the last 30 days count).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.errors import InvalidInputError

WASH_SALE_DAYS = 30


@dataclass(frozen=True)
class Lot:
    id: int | str
    ticker: str
    acquired_on: dt.date
    quantity: float
    cost_per_share: float
    account: str = ""


@dataclass(frozen=True)
class Purchase:
    ticker: str
    date: dt.date
    quantity: float


@dataclass(frozen=True)
class LotGain:
    lot: Lot
    price: float
    market_value: float
    cost_basis: float
    gain: float
    term: str  # "short" or "long"
    days_held: int


@dataclass(frozen=True)
class HarvestCandidate:
    lot_gain: LotGain
    tax_savings: float  # if sold today and not a wash sale
    wash_sale: bool
    conflicting_purchases: tuple[Purchase, ...]


@dataclass(frozen=True)
class TaxReport:
    as_of: dt.date
    lots: tuple[LotGain, ...]
    short_term_gain: float
    long_term_gain: float
    estimated_tax: float  # if every lot were sold on as_of
    loss_carryforward: float
    candidates: tuple[HarvestCandidate, ...]
    estimated_savings: float  # from candidates that are not wash sales

    def as_dict(self) -> dict:
        def lot(g: LotGain) -> dict:
            return {
                "id": g.lot.id,
                "ticker": g.lot.ticker,
                "account": g.lot.account,
                "acquired_on": g.lot.acquired_on.isoformat(),
                "quantity": g.lot.quantity,
                "cost_per_share": g.lot.cost_per_share,
                "price": g.price,
                "market_value": g.market_value,
                "cost_basis": g.cost_basis,
                "gain": g.gain,
                "term": g.term,
                "days_held": g.days_held,
            }

        return {
            "as_of": self.as_of.isoformat(),
            "lots": [lot(g) for g in self.lots],
            "short_term_gain": self.short_term_gain,
            "long_term_gain": self.long_term_gain,
            "estimated_tax": self.estimated_tax,
            "loss_carryforward": self.loss_carryforward,
            "candidates": [
                {
                    **lot(c.lot_gain),
                    "tax_savings": c.tax_savings,
                    "wash_sale": c.wash_sale,
                    "conflicting_purchases": [
                        {"ticker": p.ticker, "date": p.date.isoformat(), "quantity": p.quantity}
                        for p in c.conflicting_purchases
                    ],
                }
                for c in self.candidates
            ],
            "estimated_savings": self.estimated_savings,
        }


def is_long_term(acquired_on: dt.date, sold_on: dt.date) -> bool:
    """Held more than one year: sold after the first anniversary of the purchase."""
    try:
        anniversary = acquired_on.replace(year=acquired_on.year + 1)
    except ValueError:  # bought on 29 February
        anniversary = dt.date(acquired_on.year + 1, 3, 1)
    return sold_on > anniversary


def net_tax(
    short: float, long: float, short_rate: float, long_rate: float, loss_deduction_limit: float = 3000.0
) -> tuple[float, float]:
    """(tax, carryforward) after netting short- and long-term results; a deductible loss gives negative tax."""
    if short < 0 < long:
        long, short = max(long + short, 0.0), min(long + short, 0.0)
    elif long < 0 < short:
        short, long = max(short + long, 0.0), min(short + long, 0.0)
    tax = max(short, 0.0) * short_rate + max(long, 0.0) * long_rate
    loss = -(min(short, 0.0) + min(long, 0.0))
    deductible = min(loss, loss_deduction_limit)
    return tax - deductible * short_rate, loss - deductible


def tax_report(
    lots: Sequence[Lot],
    prices: Mapping[str, float],
    as_of: dt.date,
    purchases: Sequence[Purchase] = (),
    short_term_rate: float = 0.37,
    long_term_rate: float = 0.20,
    min_loss: float = 100.0,
) -> TaxReport:
    """Gains per lot on ``as_of`` at ``prices``, estimated tax, and harvesting candidates.

    Parameters
    ----------
    purchases : sequence of Purchase
        Buys of any security in any of the household's accounts (for wash sales).
    min_loss : float
        Smallest unrealised loss (dollars) worth listing as a candidate.
    """
    for name, rate in (("short-term", short_term_rate), ("long-term", long_term_rate)):
        if not 0 <= float(rate) <= 1:
            raise InvalidInputError(f"The {name} tax rate must be between 0 and 100 %.")
    gains = []
    for lot in lots:
        if lot.ticker not in prices:
            raise InvalidInputError(f"No price for {lot.ticker} on {as_of:%Y-%m-%d}.")
        if lot.quantity <= 0 or lot.cost_per_share < 0:
            raise InvalidInputError(
                f"Lot {lot.id} of {lot.ticker} has a non-positive quantity or a negative cost."
            )
        if lot.acquired_on > as_of:
            raise InvalidInputError(f"Lot {lot.id} of {lot.ticker} was bought after {as_of:%Y-%m-%d}.")
        price = float(prices[lot.ticker])
        value = lot.quantity * price
        basis = lot.quantity * lot.cost_per_share
        term = "long" if is_long_term(lot.acquired_on, as_of) else "short"
        gains.append(LotGain(lot, price, value, basis, value - basis, term, (as_of - lot.acquired_on).days))
    short = sum(g.gain for g in gains if g.term == "short")
    long = sum(g.gain for g in gains if g.term == "long")
    tax, carry = net_tax(short, long, short_term_rate, long_term_rate)
    window = dt.timedelta(days=WASH_SALE_DAYS)
    buys = list(purchases) + [Purchase(g.lot.ticker, g.lot.acquired_on, g.lot.quantity) for g in gains]
    candidates = []
    for g in sorted(gains, key=lambda g: g.gain):
        if g.gain > -min_loss:
            continue
        conflicts = tuple(
            sorted(
                {
                    p
                    for p in buys
                    if p.ticker == g.lot.ticker
                    and abs((p.date - as_of).days) <= window.days
                    and not (p.date == g.lot.acquired_on and p.quantity == g.lot.quantity)
                },
                key=lambda p: p.date,
            )
        )
        rate = short_term_rate if g.term == "short" else long_term_rate
        candidates.append(HarvestCandidate(g, -g.gain * rate, bool(conflicts), conflicts))
    savings = sum(c.tax_savings for c in candidates if not c.wash_sale)
    return TaxReport(as_of, tuple(gains), short, long, tax, carry, tuple(candidates), savings)
