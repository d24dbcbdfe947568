"""Tax: unrealised gains by lot, estimated tax, tax-loss-harvesting candidates with wash-sale checks.

Conventions (US rules, simplified and stated):

- Holding period (IRS Publication 544): it starts the day after the purchase
  and the day of sale counts; a lot is long-term when held more than one year,
  i.e. when sold on or after the first anniversary of the day after its
  purchase (a start on 29 February has its anniversary on 1 March). A date
  rule, not a count of days.
- Netting: short- and long-term results are netted within each term, then
  across terms; a net loss offsets up to ``loss_deduction_limit`` of ordinary
  income (taxed at the short-term rate), the rest carries forward keeping its
  character. Losses carried over from earlier years enter their own term.
- This year's position: gains already realised this year and the carryover
  from last year (``TaxPosition``). Harvesting savings are the change in this
  year's estimated tax when the candidates are sold on ``as_of``, so they are
  small or nil when the household already has a net loss; what harvesting adds
  to the carryforward is reported instead.
- Wash sales (Publication 550), share for share: a loss sale is a wash sale to
  the extent that shares of the same security were bought within 30 days
  before or after the sale, in any of the household's accounts (IRAs included,
  Rev. Rul. 2008-5). Only the loss on as many shares as were bought is
  disallowed; that amount is added to the basis of the replacement shares.
  Loss lots take replacement shares in the order they were acquired, earliest
  first, and each replacement share serves one loss share. A lot's own
  purchase is recognised by identity (``Purchase.lot``), never by its date and
  size; lots sold in the same harvest are not replacement shares (their loss is
  realised by the same sale). Rates are fractions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine.errors import InvalidInputError

WASH_SALE_DAYS = 30
LOSS_DEDUCTION_LIMIT = 3000.0


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
    """A buy of ``quantity`` shares; ``lot`` names the lot it created when that lot is in the report."""

    ticker: str
    date: dt.date
    quantity: float
    account: str = ""
    lot: int | str | None = None


@dataclass(frozen=True)
class TaxPosition:
    """This year's realised gains (negative for losses) and the losses carried over from last year (>= 0)."""

    realised_short: float = 0.0
    realised_long: float = 0.0
    carryover_short: float = 0.0
    carryover_long: float = 0.0

    def validate(self) -> TaxPosition:
        for name, value, low in (
            ("Realised short-term gains", self.realised_short, -1e12),
            ("Realised long-term gains", self.realised_long, -1e12),
            ("The short-term loss carryover", self.carryover_short, 0.0),
            ("The long-term loss carryover", self.carryover_long, 0.0),
        ):
            if not low <= float(value) <= 1e12:
                raise InvalidInputError(f"{name} must be between {low:,.0f} and 1,000,000,000,000.")
        return self


@dataclass(frozen=True)
class TaxYear:
    """This year's estimated tax and what carries forward, short- and long-term."""

    short: float  # net short-term result before netting across terms (carryover included)
    long: float
    tax: float  # negative: the deductible loss lowers tax on ordinary income
    carryforward_short: float
    carryforward_long: float

    @property
    def carryforward(self) -> float:
        return self.carryforward_short + self.carryforward_long


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
class Replacement:
    """Replacement shares of a wash sale: ``shares`` of ``purchase`` take ``basis_added`` dollars of disallowed loss."""

    purchase: Purchase
    shares: float
    basis_added: float


@dataclass(frozen=True)
class HarvestCandidate:
    lot_gain: LotGain
    tax_savings: (
        float  # what this lot adds to the harvest's savings (tax with the others sold minus with all)
    )
    wash_sale: bool  # some of its shares were bought back within the window
    conflicting_purchases: tuple[Purchase, ...]
    replaced_shares: float = 0.0
    disallowed_loss: float = 0.0  # >= 0, added to the replacement shares' basis
    replacements: tuple[Replacement, ...] = field(default=())

    @property
    def allowed_loss(self) -> float:
        """The loss that counts this year (>= 0)."""
        return max(-self.lot_gain.gain - self.disallowed_loss, 0.0)


@dataclass(frozen=True)
class TaxReport:
    as_of: dt.date
    lots: tuple[LotGain, ...]
    short_term_gain: float  # unrealised
    long_term_gain: float
    estimated_tax: float  # this year's tax if every lot were sold on as_of (position included)
    loss_carryforward: float  # carried to next year if every lot were sold
    candidates: tuple[HarvestCandidate, ...]
    estimated_savings: float  # this year's tax now minus after selling every candidate on as_of
    position: TaxPosition = TaxPosition()
    this_year: TaxYear | None = None  # realised gains and carryover only
    after_harvest: TaxYear | None = None  # ... plus the candidates' allowed losses

    @property
    def added_carryforward(self) -> float:
        """What harvesting adds to the loss carried into next year."""
        if self.this_year is None or self.after_harvest is None:
            return 0.0
        return self.after_harvest.carryforward - self.this_year.carryforward

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

        def purchase(p: Purchase) -> dict:
            return {
                "ticker": p.ticker,
                "date": p.date.isoformat(),
                "quantity": p.quantity,
                "account": p.account,
            }

        def year(y: TaxYear | None) -> dict | None:
            return (
                None
                if y is None
                else {
                    "tax": y.tax,
                    "carryforward_short": y.carryforward_short,
                    "carryforward_long": y.carryforward_long,
                }
            )

        return {
            "as_of": self.as_of.isoformat(),
            "lots": [lot(g) for g in self.lots],
            "short_term_gain": self.short_term_gain,
            "long_term_gain": self.long_term_gain,
            "estimated_tax": self.estimated_tax,
            "loss_carryforward": self.loss_carryforward,
            "position": self.position.__dict__,
            "this_year": year(self.this_year),
            "after_harvest": year(self.after_harvest),
            "candidates": [
                {
                    **lot(c.lot_gain),
                    "tax_savings": c.tax_savings,
                    "wash_sale": c.wash_sale,
                    "replaced_shares": c.replaced_shares,
                    "disallowed_loss": c.disallowed_loss,
                    "allowed_loss": c.allowed_loss,
                    "conflicting_purchases": [purchase(p) for p in c.conflicting_purchases],
                    "replacements": [
                        {**purchase(r.purchase), "shares": r.shares, "basis_added": r.basis_added}
                        for r in c.replacements
                    ],
                }
                for c in self.candidates
            ],
            "estimated_savings": self.estimated_savings,
            "added_carryforward": self.added_carryforward,
        }


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def is_long_term(acquired_on: dt.date, sold_on: dt.date) -> bool:
    """Held more than one year (Publication 544): the holding period starts the day after the purchase,
    so the lot is long-term when sold on or after the first anniversary of that day."""
    return sold_on >= add_years(acquired_on + dt.timedelta(days=1), 1)


def tax_year(
    short: float,
    long: float,
    short_rate: float,
    long_rate: float,
    loss_deduction_limit: float = LOSS_DEDUCTION_LIMIT,
) -> TaxYear:
    """Net ``short`` and ``long`` (carryovers already subtracted): tax and the carryforward by term.

    A net loss is deducted from ordinary income (at ``short_rate``) up to the limit, short-term first.
    """
    if short < 0 < long:
        long, short = max(long + short, 0.0), min(long + short, 0.0)
    elif long < 0 < short:
        short, long = max(short + long, 0.0), min(short + long, 0.0)
    tax = max(short, 0.0) * short_rate + max(long, 0.0) * long_rate
    short_loss, long_loss = -min(short, 0.0), -min(long, 0.0)
    from_short = min(short_loss, loss_deduction_limit)
    from_long = min(long_loss, loss_deduction_limit - from_short)
    return TaxYear(
        short,
        long,
        tax - (from_short + from_long) * short_rate,
        short_loss - from_short,
        long_loss - from_long,
    )


def net_tax(
    short: float,
    long: float,
    short_rate: float,
    long_rate: float,
    loss_deduction_limit: float = LOSS_DEDUCTION_LIMIT,
) -> tuple[float, float]:
    """(tax, carryforward) after netting short- and long-term results; a deductible loss gives negative tax."""
    year = tax_year(short, long, short_rate, long_rate, loss_deduction_limit)
    return year.tax, year.carryforward


def _allocate_replacements(losers: Sequence[LotGain], buys: Sequence[Purchase]) -> dict:
    """Replacement shares per loss lot, share for share: loss lots earliest acquired first, purchases by date."""
    left = {i: p.quantity for i, p in enumerate(buys)}
    taken: dict = {}
    for g in sorted(losers, key=lambda g: (g.lot.acquired_on, str(g.lot.id))):
        need = g.lot.quantity
        rows = []
        for i, p in sorted(enumerate(buys), key=lambda item: (item[1].date, item[0])):
            if need <= 1e-12:
                break
            if p.ticker != g.lot.ticker or left[i] <= 1e-12 or p.lot == g.lot.id:
                continue
            shares = min(need, left[i])
            left[i] -= shares
            need -= shares
            rows.append((p, shares))
        taken[g.lot.id] = rows
    return taken


def tax_report(
    lots: Sequence[Lot],
    prices: Mapping[str, float],
    as_of: dt.date,
    purchases: Sequence[Purchase] = (),
    short_term_rate: float = 0.37,
    long_term_rate: float = 0.20,
    min_loss: float = 100.0,
    position: TaxPosition = TaxPosition(),
) -> TaxReport:
    """Gains per lot on ``as_of`` at ``prices``, this year's estimated tax, and harvesting candidates.

    Parameters
    ----------
    purchases : sequence of Purchase
        Buys of any security in any of the household's accounts (for wash sales). A buy that created
        one of ``lots`` names it in ``Purchase.lot``; lots bought in the window without such a buy
        count as purchases themselves.
    min_loss : float
        Smallest unrealised loss (dollars) worth listing as a candidate.
    position : TaxPosition
        Gains already realised this year and last year's loss carryover.
    """
    for name, rate in (("short-term", short_term_rate), ("long-term", long_term_rate)):
        if not 0 <= float(rate) <= 1:
            raise InvalidInputError(f"The {name} tax rate must be between 0 and 100 %.")
    position = position.validate()
    ids = [lot.id for lot in lots]
    if len(set(ids)) != len(ids):
        raise InvalidInputError("Each tax lot may appear only once.")
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
    base_short = position.realised_short - position.carryover_short
    base_long = position.realised_long - position.carryover_long

    def year(extra_short: float, extra_long: float) -> TaxYear:
        return tax_year(base_short + extra_short, base_long + extra_long, short_term_rate, long_term_rate)

    everything = year(short, long)
    this_year = year(0.0, 0.0)
    losers = [g for g in gains if g.gain <= -min_loss and g.gain < 0]
    harvested = {g.lot.id for g in losers}
    named = {p.lot for p in purchases if p.lot is not None}
    window = WASH_SALE_DAYS
    buys = [
        p
        for p in list(purchases)
        + [
            Purchase(g.lot.ticker, g.lot.acquired_on, g.lot.quantity, g.lot.account, g.lot.id)
            for g in gains
            if g.lot.id not in named
        ]
        if abs((p.date - as_of).days) <= window
        and p.quantity > 0
        and (p.lot is None or p.lot not in harvested)
    ]
    taken = _allocate_replacements(losers, buys)
    rows = []
    for g in losers:
        replaced = sum(shares for _, shares in taken[g.lot.id])
        per_share = -g.gain / g.lot.quantity
        replacements = tuple(Replacement(p, shares, shares * per_share) for p, shares in taken[g.lot.id])
        rows.append((g, replaced, replaced * per_share, replacements))

    def allowed(term: str, skip=None) -> float:
        return -sum(
            max(-g.gain - disallowed, 0.0)
            for g, _, disallowed, _ in rows
            if g.term == term and g.lot.id != skip
        )

    after = year(allowed("short"), allowed("long"))
    candidates = []
    for g, replaced, disallowed, replacements in sorted(rows, key=lambda row: row[0].gain):
        without = year(allowed("short", g.lot.id), allowed("long", g.lot.id))
        candidates.append(
            HarvestCandidate(
                g,
                without.tax - after.tax,
                replaced > 1e-9,
                tuple(r.purchase for r in replacements),
                replaced,
                disallowed,
                replacements,
            )
        )
    return TaxReport(
        as_of,
        tuple(gains),
        short,
        long,
        everything.tax,
        everything.carryforward,
        tuple(candidates),
        this_year.tax - after.tax,
        position,
        this_year,
        after,
    )
