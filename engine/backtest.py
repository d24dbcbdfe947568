"""Backtest: how portfolios of fixed target weights would have done over whole calendar months.

Conventions (docs/backtest.md gives every formula and where it agrees with
Portfolio Visualizer, quantstats and empyrical):

- **Months.** A portfolio is valued at month-ends, on each asset's close on the
  month's last trading day (``engine.data.month_end_closes``): from the close of
  the month *before* the start month to the close of the end month. ``M`` months
  give ``M`` monthly returns. A month whose prices stop before its last weekday
  is not whole and is never used.
- **Within month t** (1..M): every holding grows with its asset's month-end to
  month-end return; the fee takes ``1 - (1 - fee)^(1/12)`` of the value (the
  annual fee over a year); then, at month-ends strictly inside the window, the
  cash flow: a contribution is invested at the target weights, a withdrawal is
  sold in proportion to the holdings (so it does not change the mix); then the
  rebalancing rule (monthly; quarterly in March, June, September and December;
  annually in December; bands: when any weight is more than the band away from
  its target; none). A withdrawal larger than the portfolio takes what is left:
  the portfolio ends at zero in that month (``depleted``).
- **Returns** are time-weighted: ``r_t = V_t(before the flow) / V_{t-1}(after it) - 1``,
  so cash flows do not move them; every statistic comes from them, except the
  money-weighted return (an IRR of the actual flows) and the final value.
- Rates are annual fractions; drawdowns and depths are positive fractions
  (0.25 = a fall of 25 %); the Ulcer index is in percent, as Martin defines it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from engine.data import MONTHS, month_end_closes
from engine.errors import InsufficientDataError, InvalidInputError
from engine.validation import number

REBALANCE_RULES = ("none", "monthly", "quarterly", "annual", "bands")
FREQUENCIES = ("monthly", "annual")
ROLLING_WINDOWS = (12, 36, 60)
LATE_ASSETS = ("refuse", "leave_out")
MAX_PORTFOLIOS = 4
WEIGHT_TOLERANCE = 1e-6


class BacktestInputError(InvalidInputError):
    """A setting that cannot be backtested; ``field`` names the setting (start, end, weights, band...)."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Allocation:
    """A portfolio of target weights (fractions summing to 1), by ticker."""

    name: str
    weights: Mapping[str, float]

    @classmethod
    def of(cls, name: str, weights: Mapping[str, float], what: str = "weights") -> Allocation:
        """Checked: at least one ticker, weights finite, 0..1, summing to 100 % (else the shortfall said)."""
        if not weights:
            raise BacktestInputError(f"{name}: choose at least one asset.", what)
        clean: dict[str, float] = {}
        for ticker, weight in weights.items():
            value = number(weight, f"{name}: the weight of {ticker}", 0.0, 1.0)
            if value > 0:
                clean[str(ticker)] = value
        total = sum(clean.values())
        if abs(total - 1.0) > WEIGHT_TOLERANCE:
            gap = (1.0 - total) * 100
            side = "short of" if gap > 0 else "over"
            raise BacktestInputError(
                f"{name}: the weights sum to {total * 100:.2f} %, {abs(gap):.2f} points {side} 100 %.", what
            )
        return cls(name, clean)


@dataclass(frozen=True)
class Settings:
    """The window, the amount, its cash flows, fee and rebalancing. Dates are ISO; their months count."""

    start: str | None = None  # None: the first month every portfolio (and the benchmark) can start
    end: str | None = None  # None: the last whole month of the prices
    initial: float = 10_000.0
    rebalance: str = "annual"
    band: float | None = None  # bands: the drift that triggers a rebalance (0.05 = 5 percentage points)
    cash_flow: float = 0.0  # per month or per year: > 0 a contribution, < 0 a withdrawal
    frequency: str = "monthly"  # of the cash flow: monthly, or annual (each December)
    inflation: float = 0.0  # the cash flow grows by this a year (0: a fixed amount)
    fee: float = 0.0  # annual, taken monthly
    risk_free_rate: float = 0.0
    rolling: tuple[int, ...] = ROLLING_WINDOWS
    # an asset with no close at the month-end before the start: "refuse" (named, nothing runs) or
    # "leave_out" (dropped from its portfolio, the rest scaled back to 100 %, and said so)
    late_assets: str = "refuse"

    def checked(self) -> Settings:
        number(self.initial, "The initial amount", 1.0, 1e12)
        number(self.cash_flow, "The cash flow", -1e10, 1e10)
        number(self.inflation, "The cash flows' growth", -0.2, 1.0)
        number(self.fee, "The annual fee", 0.0, 0.2)
        number(self.risk_free_rate, "The risk-free rate", -0.1, 0.5)
        if self.rebalance not in REBALANCE_RULES:
            raise BacktestInputError(
                "Rebalance: choose none, monthly, quarterly, annual or bands.", "rebalance"
            )
        if self.rebalance == "bands":
            if self.band is None or isinstance(self.band, bool) or not self.band > 0:
                raise BacktestInputError(
                    "The rebalancing band must be more than 0 percentage points.", "band"
                )
            number(self.band, "The rebalancing band", 0.0, 1.0)
        if self.late_assets not in LATE_ASSETS:
            raise BacktestInputError("Assets listed after the start: refuse or leave out.", "late_assets")
        if self.frequency not in FREQUENCIES:
            raise BacktestInputError("The cash flow is monthly or annual.", "frequency")
        if not self.rolling or any(
            isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 600 for k in self.rolling
        ):
            raise BacktestInputError("Rolling windows are whole numbers of months (1 to 600).", "rolling")
        return self


@dataclass(frozen=True)
class Window:
    """The months a backtest covers: returns for ``months[1:]``, valued from the close of ``months[0]``."""

    months: pd.PeriodIndex  # M + 1 month-ends, the first the base
    dates: pd.DatetimeIndex  # the trading day of each month-end close
    limited_by: str | None  # with no start asked for: the asset whose history set the first month

    @property
    def first(self) -> pd.Period:
        return self.months[1]

    @property
    def last(self) -> pd.Period:
        return self.months[-1]

    @property
    def count(self) -> int:
        return len(self.months) - 1

    def as_dict(self) -> dict:
        return {
            "first_month": str(self.first),
            "last_month": str(self.last),
            "months": self.count,
            "from_close": self.dates[0].date().isoformat(),
            "to_close": self.dates[-1].date().isoformat(),
            "limited_by": self.limited_by,
        }


@dataclass(frozen=True)
class Drawdown:
    """A fall of the month-end index from a peak, to its trough and back (or not yet)."""

    peak: str  # the month-end of the high before the fall
    start: str  # the first month below it
    trough: str
    recovery: str | None  # the first month-end back at or above the peak; None: not within the window
    depth: float  # trough / peak - 1, as a positive fraction
    length: int  # months from the peak to the recovery (or to the window's end)
    months_to_recover: int | None  # from the trough to the recovery

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PortfolioBacktest:
    name: str
    weights: dict[str, float]
    months: tuple[str, ...]  # M + 1 labels, the base first
    values: np.ndarray  # (M + 1,) month-end values after that month's cash flow
    flows: np.ndarray  # (M + 1,) cash flows made (contributions > 0), 0 at the base and the end
    returns: np.ndarray  # (M,) time-weighted monthly returns; NaN after a depletion
    depleted: str | None  # the month the portfolio ran out, or None
    rebalances: int
    statistics: dict  # see ``statistics``
    annual_returns: dict[int, float]
    partial_years: tuple[int, ...]  # calendar years the window covers only in part
    rolling: dict[int, list[tuple[str, float]]]  # window -> [(last month, annualised return)]
    drawdowns: tuple[Drawdown, ...]  # deepest first
    relative: dict | None = None  # against the benchmark (``relative_statistics``)
    left_out: dict[str, float] = field(default_factory=dict)  # assets left out (their target weights)

    @property
    def index(self) -> np.ndarray:
        """The month-end growth of 1 from the time-weighted returns (M + 1,), through any depletion."""
        return growth_index(self.returns)

    @property
    def underwater(self) -> np.ndarray:
        """The fall of the index from its running peak at each month-end (<= 0)."""
        index = self.index
        return index / np.maximum.accumulate(index) - 1.0

    def as_dict(self, series: bool = True) -> dict:
        out = {
            "name": self.name,
            "weights": dict(self.weights),
            "final_value": float(self.values[-1]),
            "depleted": self.depleted,
            "rebalances": self.rebalances,
            **self.statistics,
            "annual_returns": {str(y): r for y, r in self.annual_returns.items()},
            "partial_years": list(self.partial_years),
            "drawdowns": [d.as_dict() for d in self.drawdowns],
            "left_out": dict(self.left_out),
        }
        for key in ("cagr", "mwr"):  # the CAGR without cash flows, the money-weighted return with them
            if out[key] is None:
                del out[key]
        if self.relative is not None:
            out.update(self.relative)
        if series:
            out["monthly_returns"] = [
                {"month": m, "return": None if math.isnan(r) else float(r)}
                for m, r in zip(self.months[1:], self.returns, strict=True)
            ]
            out["values"] = [
                {"month": m, "value": float(v)} for m, v in zip(self.months, self.values, strict=True)
            ]
            out["rolling"] = {
                str(k): [{"month": m, "return": r} for m, r in rows] for k, rows in self.rolling.items()
            }
        return out


@dataclass(frozen=True)
class Backtest:
    window: Window
    settings: Settings
    portfolios: tuple[PortfolioBacktest, ...]
    benchmark: PortfolioBacktest | None
    notes: tuple[str, ...] = field(default=())

    def as_dict(self, series: bool = True) -> dict:
        return {
            "window": self.window.as_dict(),
            "settings": {
                k: (list(v) if isinstance(v, tuple) else v) for k, v in self.settings.__dict__.items()
            },
            "portfolios": [p.as_dict(series) for p in self.portfolios],
            "benchmark": None if self.benchmark is None else self.benchmark.as_dict(series),
            "notes": list(self.notes),
        }


# -- the window ------------------------------------------------------------------------------------


def _month(raw: str, what: str, name: str) -> pd.Period:
    try:
        return pd.Period(pd.Timestamp(raw), freq="M")
    except (ValueError, TypeError):
        raise BacktestInputError(f"{what} must be a date (YYYY-MM-DD).", name) from None


def _label(month: pd.Period) -> str:
    return month.strftime("%B %Y")


def backtest_window(
    prices: pd.DataFrame, tickers: Sequence[str], settings: Settings
) -> tuple[Window, pd.DataFrame]:
    """The whole months the settings ask for, checked against the prices; and the month-end closes.

    Raises BacktestInputError (naming the field) when the start is after the end, the end is past the
    last whole month, an asset has no close at the month-end before the start (named, with its first
    month: the window is never shortened silently), or the window is shorter than a rolling window.
    """
    missing = [t for t in tickers if t not in prices.columns]
    if missing:
        raise BacktestInputError(f"No prices for {', '.join(missing)}.", "weights")
    closes, dates = month_end_closes(prices[list(tickers)])
    if len(closes) < 2:
        raise InsufficientDataError("The prices cover less than two whole months.")
    present = ~np.isnan(closes.to_numpy())
    seen = present.any(axis=0)
    if not seen.all():
        empty = [t for t, has in zip(tickers, seen, strict=True) if not has]
        raise InsufficientDataError(f"No month-end price for {', '.join(empty)}.")
    firsts = {t: closes.index[int(present[:, i].argmax())] for i, t in enumerate(tickers)}
    available_last = closes.index[-1]
    end = available_last
    if settings.end:
        end = _month(settings.end, "The end", "end")
        if end > available_last:
            last_day = prices.index.max().date().isoformat()
            raise BacktestInputError(
                f"The prices end on {last_day}; the last whole month is {_label(available_last)}. "
                f"Choose an end in {_label(available_last)} or earlier.",
                "end",
            )
    limited_by = None
    if settings.start:
        start = _month(settings.start, "The start", "start")
        if settings.end and start > end:
            raise BacktestInputError("The start must be before the end.", "end")
        base = start - 1
        if base < closes.index[0]:
            raise BacktestInputError(
                f"The prices begin in {_label(closes.index[0])}: the earliest start is "
                f"{_label(closes.index[0] + 1)} (the window is valued from the close of the month before).",
                "start",
            )
        late = [t for t in tickers if firsts[t] > base]
        if late:
            worst = max(late, key=lambda t: firsts[t])
            first_day = prices[worst].first_valid_index().date().isoformat()
            others = f" (also {', '.join(t for t in late if t != worst)})" if len(late) > 1 else ""
            raise BacktestInputError(
                f"{worst} has prices only from {_label(firsts[worst])} (first close {first_day}){others}; "
                f"a start in {_label(start)} needs its close at the end of {_label(base)}. Start in "
                f"{_label(firsts[worst] + 1)} or later, or leave {worst} out.",
                "start",
            )
    else:
        base = max(firsts.values())
        start = base + 1
        if base > closes.index[0]:
            limited_by = max(tickers, key=lambda t: firsts[t])
    if start > end:
        raise BacktestInputError(
            f"No whole month between {_label(start)} and {_label(end)}: the start must be before the end.",
            "end",
        )
    window_closes = closes.loc[base:end]
    holes = [t for t in tickers if window_closes[t].isna().any()]
    if holes:
        gap = window_closes[holes[0]]
        raise BacktestInputError(
            f"{holes[0]} has no month-end price in {_label(gap[gap.isna()].index[0])}, inside the window.",
            "start",
        )
    months = len(window_closes) - 1
    longest = max(settings.rolling)
    if months < longest:
        raise BacktestInputError(
            f"The window has {months} months ({_label(start)} to {_label(end)}), shorter than the "
            f"{longest}-month rolling window: choose a longer window or a shorter rolling window.",
            "rolling",
        )
    position = closes.index.get_loc(base)
    window = Window(window_closes.index, dates[position : position + months + 1], limited_by)
    return window, window_closes


# -- valuing a portfolio ---------------------------------------------------------------------------


def cash_flow_schedule(months: pd.PeriodIndex, settings: Settings) -> np.ndarray:
    """The cash flow due at each month-end (M + 1,): strictly inside the window, monthly or each December,
    the first one ``settings.cash_flow`` and each later one grown by ``inflation`` a year."""
    due = np.zeros(len(months))
    if not settings.cash_flow:
        return due
    inside = np.arange(1, len(months) - 1)
    if settings.frequency == "annual":
        inside = inside[np.asarray(months.month)[inside] == 12]
    if len(inside):
        elapsed = (inside - inside[0]) / MONTHS
        due[inside] = settings.cash_flow * (1.0 + settings.inflation) ** elapsed
    return due


def _rebalance_months(months: pd.PeriodIndex, rule: str) -> np.ndarray:
    month = np.asarray(months.month)
    if rule == "monthly":
        return np.ones(len(months), dtype=bool)
    if rule == "quarterly":
        return month % 3 == 0
    if rule == "annual":
        return month == 12
    return np.zeros(len(months), dtype=bool)


def value_portfolio(
    growth: np.ndarray,
    weights: np.ndarray,
    months: pd.PeriodIndex,
    settings: Settings,
    fee: float,
    rule: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int | None, int]:
    """(values, flows made, time-weighted returns, depletion month index or None, rebalances).

    ``growth`` is (M, N): each asset's month-end close over the previous one.
    """
    count = growth.shape[0]
    due = cash_flow_schedule(months, settings)
    keep = (1.0 - fee) ** (1.0 / MONTHS)
    values = np.zeros(count + 1)
    flows = np.zeros(count + 1)
    values[0] = settings.initial
    if rule == "monthly":  # back at the target weights every month: the return is the weighted one
        returns = (growth @ weights) * keep - 1.0
        depleted = _cash_flows(values, flows, returns, due)
        if depleted is not None:
            returns[depleted:] = np.nan
        return values, flows, returns, depleted, max((depleted or count) - 1, 0)
    scheduled = _rebalance_months(months, rule)
    band = settings.band if rule == "bands" else None
    returns = np.full(count, np.nan)
    holdings = settings.initial * weights
    previous = settings.initial
    depleted = None
    rebalances = 0
    for t in range(1, count + 1):
        holdings = holdings * growth[t - 1]
        if keep != 1.0:
            holdings = holdings * keep
        value = float(holdings.sum())
        returns[t - 1] = value / previous - 1.0
        flow = due[t]
        if flow > 0:
            holdings = holdings + flow * weights
            value += flow
        elif flow < 0:
            if -flow >= value:  # the withdrawal takes what is left: the portfolio ends here
                flows[t] = -value
                depleted = t
                break
            holdings = holdings * ((value + flow) / value)
            value += flow
        flows[t] = flow
        if t < count and (
            scheduled[t] or (band is not None and np.abs(holdings / value - weights).max() > band + 1e-12)
        ):
            holdings = value * weights
            rebalances += 1
        values[t] = previous = value
    return values, flows, returns, depleted, rebalances


def _cash_flows(values: np.ndarray, flows: np.ndarray, returns: np.ndarray, due: np.ndarray) -> int | None:
    """Fill ``values`` and ``flows`` from the monthly returns and the flows due; the depletion month or None."""
    value = float(values[0])
    for t in range(1, len(values)):
        value *= 1.0 + float(returns[t - 1])
        flow = float(due[t])
        if flow < 0 and -flow >= value:
            flows[t] = -value
            return t
        flows[t] = flow
        value += flow
        values[t] = value
    return None


# -- statistics -----------------------------------------------------------------------------------


def growth_index(returns: np.ndarray) -> np.ndarray:
    """1, then the compounded growth at each month-end; a NaN return (after a depletion) keeps it at 0."""
    r = np.nan_to_num(np.asarray(returns, dtype=float), nan=-1.0)
    return np.concatenate(([1.0], np.cumprod(1.0 + r)))


def monthly_rate(annual: float) -> float:
    """The monthly rate that compounds to ``annual`` over 12 months."""
    return (1.0 + annual) ** (1.0 / MONTHS) - 1.0


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 and math.isfinite(denominator) else float("nan")


def sortino_ratio(returns: np.ndarray, target: float, periods: int) -> float:
    """``periods mean(r - target) / (sqrt(periods) sqrt(mean(min(r - target, 0)^2)))`` (Sortino & Price)."""
    excess = np.asarray(returns, dtype=float) - target
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    return _ratio(periods * float(excess.mean()), math.sqrt(periods) * downside)


def ulcer_index(index: np.ndarray) -> float:
    """Martin's Ulcer index, in percent: the root mean square of the percentage falls from the running peak."""
    index = np.asarray(index, dtype=float)
    falls = 100.0 * (index / np.maximum.accumulate(index) - 1.0)
    return math.sqrt(float(np.mean(falls**2)))


def max_drawdown(index: np.ndarray) -> float:
    index = np.asarray(index, dtype=float)
    return float(-(index / np.maximum.accumulate(index) - 1.0).min())


def statistics(returns: np.ndarray, risk_free_rate: float) -> dict:
    """Every statistic of the time-weighted monthly returns (those before any depletion)."""
    r = np.asarray(returns, dtype=float)
    r = r[~np.isnan(r)]
    count = len(r)
    index = growth_index(r)
    rf = monthly_rate(risk_free_rate)
    sd = float(r.std(ddof=1)) if count > 1 else float("nan")
    annualised = float(index[-1] ** (MONTHS / count) - 1.0) if index[-1] > 0 else -1.0
    deepest = max_drawdown(index)
    return {
        "months": count,
        "annualised_return": annualised,
        "volatility": sd * math.sqrt(MONTHS),
        "sharpe": _ratio(MONTHS * float((r - rf).mean()), math.sqrt(MONTHS) * sd),
        "sortino": sortino_ratio(r, rf, MONTHS),
        "max_drawdown": deepest,
        "calmar": _ratio(annualised, deepest),
        "ulcer_index": ulcer_index(index),
        "best_month": float(r.max()),
        "worst_month": float(r.min()),
        "positive_months": float((r > 0).mean()),
    }


def relative_statistics(returns: np.ndarray, benchmark: np.ndarray, risk_free_rate: float) -> dict:
    """Against the benchmark, over the months both have a return (time-weighted, monthly).

    beta = cov(excess r, excess b) / var(excess b); alpha = 12 x the intercept of that regression;
    capture ratios: geometric mean monthly return over the benchmark's up (down) months, the
    portfolio's over the benchmark's; tracking error = sd(r - b) sqrt 12; information ratio =
    12 mean(r - b) / tracking error.
    """
    r = np.asarray(returns, dtype=float)
    b = np.asarray(benchmark, dtype=float)
    both = ~(np.isnan(r) | np.isnan(b))
    r, b = r[both], b[both]
    rf = monthly_rate(risk_free_rate)
    nan = float("nan")
    out = dict.fromkeys(
        (
            "beta",
            "alpha",
            "correlation",
            "r_squared",
            "upside_capture",
            "downside_capture",
            "tracking_error",
            "information_ratio",
        ),
        nan,
    )
    if len(r) < 2:
        return out
    er, eb = r - rf, b - rf
    var_b = float(eb.var(ddof=1))
    if var_b > 0:
        beta = float(np.cov(er, eb, ddof=1)[0, 1]) / var_b
        out["beta"] = beta
        out["alpha"] = MONTHS * (float(er.mean()) - beta * float(eb.mean()))
        sd_r = float(er.std(ddof=1))
        if sd_r > 0:
            correlation = float(np.corrcoef(er, eb)[0, 1])
            out["correlation"] = correlation
            out["r_squared"] = correlation**2
    for key, months in (("upside_capture", b > 0), ("downside_capture", b < 0)):
        if months.any():
            mine = float(np.prod(1.0 + r[months]) ** (1.0 / months.sum()) - 1.0)
            theirs = float(np.prod(1.0 + b[months]) ** (1.0 / months.sum()) - 1.0)
            out[key] = mine / theirs if theirs != 0 else nan
    active = r - b
    tracking = float(active.std(ddof=1)) * math.sqrt(MONTHS)
    out["tracking_error"] = tracking
    out["information_ratio"] = _ratio(MONTHS * float(active.mean()), tracking)
    return out


def money_weighted_return(values: np.ndarray, flows: np.ndarray, end: int | None = None) -> float:
    """The annualised monthly IRR of the investor's flows: the initial amount and each contribution in,
    each withdrawal out, and the value at the end (month ``end``, default the last) out."""
    last = len(values) - 1 if end is None else end
    cash = -np.asarray(flows[: last + 1], dtype=float).copy()
    cash[0] = -values[0]
    cash[last] += values[last]
    t = np.arange(last + 1)

    def npv(x: float) -> float:  # x = log(1 + monthly IRR)
        return float(np.sum(cash * np.exp(-x * t)))

    low, high = -1.0, 1.0  # a monthly log return of +-100 %: wider than any portfolio
    if npv(low) * npv(high) > 0:
        return float("nan")
    x = brentq(npv, low, high, xtol=1e-14, maxiter=200)
    return math.expm1(MONTHS * x)


def calendar_returns(months: pd.PeriodIndex, returns: np.ndarray) -> tuple[dict[int, float], tuple[int, ...]]:
    """Compounded returns per calendar year of the months after the base; and the years covered in part."""
    years = np.asarray(months[1:].year)
    r = np.asarray(returns, dtype=float)
    valid = ~np.isnan(r)
    years, r = years[valid], r[valid]
    if not len(r):
        return {}, ()
    starts = np.flatnonzero(np.concatenate(([True], years[1:] != years[:-1])))
    growth = np.exp(np.add.reduceat(np.log1p(r), starts))
    out = {int(years[i]): float(g - 1.0) for i, g in zip(starts, growth, strict=True)}
    in_window = np.asarray(
        months[1:].year
    )  # a year is partial when the window holds fewer than 12 of its months
    partial = tuple(y for y in out if (in_window == y).sum() < MONTHS)
    return out, partial


def rolling_returns(labels: Sequence[str], returns: np.ndarray, window: int) -> list[tuple[str, float]]:
    """Annualised returns over each run of ``window`` months, labelled by its last month."""
    r = np.asarray(returns, dtype=float)
    valid = np.isnan(r)
    r = r[: int(valid.argmax())] if valid.any() else r  # depleted: only the windows before it
    if len(r) < window:
        return []
    logs = np.log1p(r)
    sums = np.concatenate(([0.0], np.cumsum(logs)))
    growth = np.exp(sums[window:] - sums[:-window])
    rates = growth ** (MONTHS / window) - 1.0
    return [(labels[i + window - 1], float(v)) for i, v in enumerate(rates)]


def drawdown_episodes(labels: Sequence[str], index: np.ndarray) -> tuple[Drawdown, ...]:
    """Every fall of the index below a running peak, deepest first. ``labels``: the index's month-ends."""
    episodes = []
    peak = 0
    start = trough = None
    for i in range(1, len(index)):
        if index[i] >= index[peak]:
            if start is not None:
                episodes.append(_episode(labels, index, peak, start, trough, i))
                start = None
            peak = i
        else:
            if start is None:
                start = trough = i
            elif index[i] < index[trough]:
                trough = i
    if start is not None:
        episodes.append(_episode(labels, index, peak, start, trough, None))
    return tuple(sorted(episodes, key=lambda d: -d.depth))


def _episode(labels, index, peak: int, start: int, trough: int, recovery: int | None) -> Drawdown:
    end = len(index) - 1 if recovery is None else recovery
    return Drawdown(
        peak=labels[peak],
        start=labels[start],
        trough=labels[trough],
        recovery=None if recovery is None else labels[recovery],
        depth=float(1.0 - index[trough] / index[peak]),
        length=end - peak,
        months_to_recover=None if recovery is None else recovery - trough,
    )


# -- the backtest ---------------------------------------------------------------------------------


def backtest(
    prices: pd.DataFrame,
    portfolios: Sequence[Allocation],
    benchmark: Allocation | None = None,
    settings: Settings | None = None,
) -> Backtest:
    """Value each portfolio (and the benchmark: the same amount and cash flows, rebalanced monthly, no
    fee) over the settings' whole months and compute its statistics.

    Parameters
    ----------
    prices : DataFrame
        Daily closes (dates x tickers), ragged starts allowed; every asset of every portfolio.
    portfolios : sequence of Allocation
        One to ``MAX_PORTFOLIOS``, each with weights summing to 1.
    benchmark : Allocation, optional
        A ticker (weight 1) or a fixed mix.
    settings : Settings

    Raises
    ------
    BacktestInputError
        A setting that cannot be used (its ``field`` says which).
    """
    settings = (settings or Settings()).checked()
    if not 1 <= len(portfolios) <= MAX_PORTFOLIOS:
        raise InvalidInputError(f"Backtest 1 to {MAX_PORTFOLIOS} portfolios.")
    notes = []
    left_out: dict[str, dict[str, float]] = {}
    if settings.late_assets == "leave_out" and settings.start:
        portfolios, left_out, notes = _without_late_assets(prices, portfolios, settings)
    every = [*portfolios, *([benchmark] if benchmark is not None else [])]
    tickers = list(dict.fromkeys(t for p in every for t in p.weights))
    window, closes = backtest_window(prices, tickers, settings)
    values = closes.to_numpy(dtype=float)
    growth = values[1:] / values[:-1]
    labels = tuple(str(m) for m in window.months)
    column = {t: i for i, t in enumerate(tickers)}

    def run(allocation: Allocation, fee: float, rule: str) -> PortfolioBacktest:
        chosen = [column[t] for t in allocation.weights]
        weights = np.array(list(allocation.weights.values()))
        v, flows, r, depleted, rebalances = value_portfolio(
            growth[:, chosen], weights, window.months, settings, fee, rule
        )
        stats = statistics(r, settings.risk_free_rate)
        has_flows = bool(np.any(flows != 0))
        stats["cagr"] = None if has_flows else stats["annualised_return"]
        stats["mwr"] = money_weighted_return(v, flows, depleted) if has_flows else None
        annual, partial = calendar_returns(window.months, r)
        stats["best_year"] = max(annual.values())
        stats["worst_year"] = min(annual.values())
        stats["final_value"] = float(v[-1])
        stats["total_contributions"] = float(flows[flows > 0].sum())
        stats["total_withdrawals"] = float(abs(flows[flows < 0].sum()))
        index = growth_index(r)
        return PortfolioBacktest(
            name=allocation.name,
            weights=dict(allocation.weights),
            months=labels,
            values=v,
            flows=flows,
            returns=r,
            depleted=None if depleted is None else labels[depleted],
            rebalances=rebalances,
            statistics=stats,
            annual_returns=annual,
            partial_years=partial,
            rolling={k: rolling_returns(labels[1:], r, k) for k in settings.rolling},
            drawdowns=drawdown_episodes(labels, index[: (depleted or window.count) + 1]),
        )

    bench = run(benchmark, 0.0, "monthly") if benchmark is not None else None
    results = []
    for allocation in portfolios:
        result = run(allocation, settings.fee, settings.rebalance)
        if bench is not None:
            result = _with_relative(result, bench, settings.risk_free_rate)
        results.append(replace(result, left_out=left_out.get(allocation.name, {})))
    if window.limited_by is not None:
        notes.append(
            f"The window starts in {_label(window.first)}: {window.limited_by} has no earlier month-end price."
        )
    for result in [*results, *([bench] if bench is not None else [])]:
        if result.depleted is not None:
            notes.append(f"{result.name} ran out in {_label(pd.Period(result.depleted, freq='M'))}.")
    return Backtest(window, settings, tuple(results), bench, tuple(notes))


def _without_late_assets(
    prices: pd.DataFrame, portfolios: Sequence[Allocation], settings: Settings
) -> tuple[list[Allocation], dict[str, dict[str, float]], list[str]]:
    """Each portfolio without the assets that have no close at the month-end before the start, the rest
    scaled back to 100 %; what was left out, and the notes saying so."""
    start = _month(settings.start, "The start", "start")
    base = start - 1
    tickers = list(dict.fromkeys(t for p in portfolios for t in p.weights if t in prices.columns))
    closes, _ = month_end_closes(prices[tickers])
    listed = closes.loc[:base].notna().any() if base >= closes.index[0] else pd.Series(False, index=tickers)
    kept, dropped, notes = [], {}, []
    for allocation in portfolios:
        late = {t: w for t, w in allocation.weights.items() if t in listed.index and not listed[t]}
        if not late:
            kept.append(allocation)
            continue
        rest = {t: w for t, w in allocation.weights.items() if t not in late}
        if not rest:
            raise BacktestInputError(
                f"{allocation.name}: none of its assets has a price before {_label(start)}.", "start"
            )
        total = sum(rest.values())
        kept.append(Allocation(allocation.name, {t: w / total for t, w in rest.items()}))
        dropped[allocation.name] = late
        firsts = {t: closes[t].first_valid_index() for t in late}
        named = ", ".join(
            f"{t} ({w * 100:.1f} %, prices from {_label(firsts[t]) if firsts[t] is not None else 'never'})"
            for t, w in sorted(late.items(), key=lambda kv: -kv[1])
        )
        notes.append(
            f"{allocation.name}: left out {named}, which had no price at the end of {_label(base)}; "
            f"the other {len(rest)} scaled from {total * 100:.1f} % to 100 %."
        )
    return kept, dropped, notes


def _with_relative(
    result: PortfolioBacktest, bench: PortfolioBacktest, risk_free_rate: float
) -> PortfolioBacktest:
    return replace(result, relative=relative_statistics(result.returns, bench.returns, risk_free_rate))
