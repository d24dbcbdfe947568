"""Monte Carlo simulation of a portfolio's wealth, vectorised over paths.

Conventions
-----------
- Monthly steps; ``mu``/``sigma``/covariances are annual fractions and are
  scaled to months inside (12 months a year).
- Cash flows: ``monthly_contribution`` and ``monthly_withdrawal`` are in
  today's money and grow with inflation; ``withdrawal_rate`` is an annual
  fraction of current wealth taken monthly; ``annual_fee`` is charged monthly.
  Contributions and withdrawals are applied pro rata to the holdings, so the
  portfolio's return does not depend on them (rebalancing to the target
  weights happens every ``rebalance_months``).
- Within month t: ``W_t = W_{t-1} * g_t * (1 - fee)^(1/12) * (1 - rate/12) + c_t``;
  a path whose real wealth falls below ``DEPLETED_BELOW`` (one dollar of today's
  money) is depleted and stays at zero, whether withdrawals, fees or inflation
  took it there: so "never depleted" and "ending wealth of $0" cannot both be
  said of a path, and P(never depleted) >= 50 % exactly when the median real
  ending wealth is at least $1.
- Targets are in today's money: success means real ending wealth >= target
  (or, with no target, never depleted).
- Randomness: ``seed`` -> ``SeedSequence(seed).spawn``; paths are drawn in
  fixed chunks of ``CHUNK_PATHS``, so the first 10,000 paths are the same
  whatever the total (common random numbers across runs), and memory stays
  bounded. Everything is float64.

Paths are advanced month by month as vectors over paths, holding only
per-path state, with the wealth recursion in closed form
``W_t = H_t M_t (W_0 + sum_{s<=t} c_s / (H_s M_s))`` (``H`` cumulative returns,
``M`` cumulative fee and percentage-withdrawal factors).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.data import (
    MONTHS,
    check_finite,
    history_window,
    month_end_closes,
    monthly_returns,
    validate_prices,
)
from engine.errors import InsufficientDataError, InvalidInputError
from engine.validation import number as _number
from engine.validation import whole as _count

PERCENTILES = (5, 10, 25, 50, 75, 90, 95)
CHUNK_PATHS = 10_000
MAX_PATHS = 1_000_000
MAX_MONTHS = 1_200
# Wealth kept for percentile paths: at most this many float64 values (~200 MB);
# beyond it the percentile paths are recorded every k-th month.
MAX_RECORDED_VALUES = 25_000_000
# Percentile paths are recorded at up to this many evenly spaced months (quarterly over 30 years).
MAX_RECORDED_POINTS = 120
HISTOGRAM_BINS = 40
MODELS = ("gbm", "parametric", "bootstrap")
DISTRIBUTIONS = ("normal", "lognormal")  # of the parametric model's annual returns
# A path is depleted when its real wealth falls below this (today's dollars).
DEPLETED_BELOW = 1.0


@dataclass(frozen=True)
class ReturnModel:
    """How monthly portfolio returns are drawn. Build with :meth:`gbm`, :meth:`parametric`, :meth:`bootstrap`."""

    kind: str
    mu: float = 0.0
    sigma: float = 0.0
    weights: np.ndarray | None = None
    asset_mu: np.ndarray | None = None
    asset_cov: np.ndarray | None = None
    distribution: str = "normal"
    history: np.ndarray | None = None
    block_months: int = 12
    rebalance_months: int = 1
    window: dict | None = None  # the history the inputs came from (engine.data.history_window)
    assumptions: dict | None = None  # the capital market assumptions the inputs came from (which set)

    @classmethod
    def gbm(cls, mu: float, sigma: float) -> ReturnModel:
        """Geometric Brownian motion: annual drift ``mu`` and volatility ``sigma`` (continuous)."""
        mu = _number(mu, "The drift", -1.0, 1.0)
        sigma = _number(sigma, "The volatility", 0.0, 2.0)
        return cls("gbm", mu=mu, sigma=sigma)

    @classmethod
    def parametric(
        cls, weights, asset_mu, asset_cov, distribution: str = "normal", rebalance_months: int = 1
    ) -> ReturnModel:
        """Multivariate normal (or lognormal) monthly asset returns from annual means and covariance."""
        w = _weights(weights)
        mu = check_finite(asset_mu, "Expected returns")
        cov = check_finite(asset_cov, "The covariance matrix")
        if mu.shape != w.shape or cov.shape != (len(w), len(w)):
            raise InvalidInputError("Weights, expected returns and covariance must cover the same assets.")
        if distribution not in DISTRIBUTIONS:
            raise InvalidInputError("The distribution must be normal or lognormal.")
        return cls(
            "parametric",
            weights=w,
            asset_mu=mu,
            asset_cov=(cov + cov.T) / 2,
            distribution=distribution,
            rebalance_months=_rebalance(rebalance_months),
        )

    @classmethod
    def bootstrap(
        cls, weights, monthly_returns, block_months: int = 12, rebalance_months: int = 1
    ) -> ReturnModel:
        """Historical block bootstrap of monthly asset returns, shape (M, N), circular blocks."""
        w = _weights(weights)
        history = check_finite(np.asarray(monthly_returns, dtype=float), "Historical returns")
        if history.ndim != 2 or history.shape[1] != len(w):
            raise InvalidInputError(
                "Historical returns must be a (months x assets) table matching the weights."
            )
        block = int(block_months)
        if not 1 <= block <= 120:
            raise InvalidInputError("The bootstrap block length must be 1 to 120 months.")
        if history.shape[0] < max(24, block):
            raise InsufficientDataError(
                f"Only {history.shape[0]} months of history; the bootstrap needs at least {max(24, block)}."
            )
        if (history <= -1).any():
            raise InvalidInputError("A historical monthly return of -100 % or worse cannot be resampled.")
        return cls(
            "bootstrap",
            weights=w,
            history=history,
            block_months=block,
            rebalance_months=_rebalance(rebalance_months),
        )

    @classmethod
    def parametric_from_prices(
        cls, weights, prices: pd.DataFrame, distribution: str = "normal", rebalance_months: int = 1
    ) -> ReturnModel:
        """The parametric model estimated from daily prices (ragged starts allowed), consistently with
        how it is simulated: see :func:`parametric_inputs`. Each asset needs a year of history."""
        mu, cov, window = parametric_inputs(prices)
        model = cls.parametric(weights, mu, cov, distribution, rebalance_months)
        return dataclasses.replace(model, window=window)

    @classmethod
    def bootstrap_from_prices(
        cls, weights, prices: pd.DataFrame, block_months: int = 12, rebalance_months: int = 1
    ) -> ReturnModel:
        """The bootstrap over the whole months in which every asset traded (the window is kept)."""
        monthly = monthly_returns(prices)
        model = cls.bootstrap(weights, monthly.to_numpy(dtype=float), block_months, rebalance_months)
        return dataclasses.replace(model, window={**history_window(prices, monthly), "basis": "common"})

    def describe(self) -> dict:
        out = {"model": self.kind, "rebalance_months": self.rebalance_months}
        if self.window is not None:
            out["history"] = self.window
        if self.assumptions is not None:
            out["assumptions"] = self.assumptions
        if self.kind == "gbm":
            out.update(mu=self.mu, sigma=self.sigma)
        elif self.kind == "parametric":
            out.update(distribution=self.distribution)
        else:
            out.update(block_months=self.block_months)
        return out


@dataclass(frozen=True)
class CashFlows:
    initial: float
    monthly_contribution: float = 0.0
    monthly_withdrawal: float = 0.0
    withdrawal_rate: float = 0.0
    withdrawal_start_month: int = 0
    inflation: float = 0.0
    annual_fee: float = 0.0

    def validate(self) -> CashFlows:
        _number(self.initial, "The initial wealth", 0.0, 1e12)
        _number(self.monthly_contribution, "The monthly contribution", 0.0, 1e10)
        _number(self.monthly_withdrawal, "The monthly withdrawal", 0.0, 1e10)
        _number(self.withdrawal_rate, "The withdrawal rate", 0.0, 1.0)
        _number(self.inflation, "Inflation", -0.2, 1.0)
        _number(self.annual_fee, "The annual fee", 0.0, 0.2)
        if isinstance(self.withdrawal_start_month, bool) or int(self.withdrawal_start_month) < 0:
            raise InvalidInputError("The withdrawal start must be 0 or more months.")
        if self.initial <= 0 and self.monthly_contribution <= 0:
            raise InvalidInputError("Start with some wealth or a monthly contribution.")
        return self


@dataclass(frozen=True)
class SimulationResult:
    """Summary of ``paths`` simulated wealth paths over ``months`` months."""

    model: dict
    paths: int
    months: int
    seed: int
    recorded_months: np.ndarray  # (K,) months at which percentiles were recorded (0 = start)
    percentiles: dict[int, np.ndarray]  # nominal wealth, each (K,)
    percentiles_real: dict[int, np.ndarray]  # today's money, each (K,)
    target: float | None
    probability_of_success: float
    probability_of_depletion: float
    mean_ending_wealth: float
    ending_wealth_percentiles: dict[int, float]
    ending_histogram: tuple[np.ndarray, np.ndarray]  # (edges (B+1,), counts (B,)) of real ending wealth
    drawdown: dict[str, float]
    ending_wealth_real: np.ndarray = field(repr=False)  # (paths,)

    def as_dict(self, include_paths: bool = True) -> dict:
        out = {
            **self.model,
            "paths": self.paths,
            "months": self.months,
            "seed": self.seed,
            "target": self.target,
            "probability_of_success": self.probability_of_success,
            "probability_of_depletion": self.probability_of_depletion,
            "mean_ending_wealth": self.mean_ending_wealth,
            "ending_wealth_percentiles": {str(k): v for k, v in self.ending_wealth_percentiles.items()},
            "drawdown": self.drawdown,
            "histogram": {
                "edges": self.ending_histogram[0].tolist(),
                "counts": self.ending_histogram[1].tolist(),
            },
        }
        if include_paths:
            out["recorded_months"] = self.recorded_months.tolist()
            out["percentiles"] = {str(k): v.tolist() for k, v in self.percentiles.items()}
            out["percentiles_real"] = {str(k): v.tolist() for k, v in self.percentiles_real.items()}
        return out


# -- return generation ------------------------------------------------------------------


def chunk_generators(seed: int, paths: int) -> list[tuple[np.random.Generator, int]]:
    """One generator per fixed-size chunk of paths, spawned from ``seed``."""
    seed = check_seed(seed)
    counts = [CHUNK_PATHS] * (paths // CHUNK_PATHS) + ([paths % CHUNK_PATHS] if paths % CHUNK_PATHS else [])
    children = np.random.SeedSequence(seed).spawn(len(counts))
    return [
        (np.random.Generator(np.random.SFC64(child)), n) for child, n in zip(children, counts, strict=True)
    ]


def month_stepper(model: ReturnModel, paths: int, rng: np.random.Generator):
    """A function ``t -> g`` giving month t's gross portfolio returns ``1 + r``, shape (paths,).

    Normal draws use antithetic pairs (path i and path i + paths/2 see opposite
    shocks): half the random numbers, the same distribution per path, lower
    variance of the estimated mean.
    """
    if model.kind == "gbm":
        dt = 1.0 / MONTHS
        scale, shift = model.sigma * math.sqrt(dt), (model.mu - 0.5 * model.sigma**2) * dt

        half = (paths + 1) // 2
        mirror = math.exp(2 * shift)
        g = np.empty(paths)

        def gbm(_t):
            # exp(shift - scale z) = exp(2 shift) / exp(shift + scale z): one exp per antithetic pair
            z = g[:half]
            rng.standard_normal(half, out=z)
            z *= scale
            z += shift
            np.exp(z, out=z)
            np.divide(mirror, g[: paths - half], out=g[half:])
            return g

        return gbm
    w = model.weights
    if model.kind == "parametric" and model.distribution == "normal" and model.rebalance_months == 1:
        # Rebalanced monthly, the portfolio return w'R of normal asset returns is exactly normal.
        mean = 1.0 + float(w @ model.asset_mu) / MONTHS
        std = math.sqrt(max(float(w @ model.asset_cov @ w), 0.0) / MONTHS)

        def normal(_t):
            g = _antithetic_normals(rng, paths)
            g *= std
            g += mean
            return np.maximum(g, 0.0, out=g)  # a month cannot lose more than everything

        return normal
    draw = _asset_sampler(model, paths, rng)
    holdings = np.tile(w, (paths, 1))

    def drifting(t):
        holdings[:] *= 1.0 + draw(t)
        value = holdings.sum(axis=1)
        holdings[:] /= np.where(value > 0, value, 1.0)[:, None]
        if model.rebalance_months and (t + 1) % model.rebalance_months == 0:
            holdings[:] = w
        return value

    return drifting


def _antithetic_normals(rng: np.random.Generator, paths: int) -> np.ndarray:
    half = (paths + 1) // 2
    z = np.empty(paths)
    rng.standard_normal(half, out=z[:half])
    np.negative(z[: paths - half], out=z[half:])
    return z


def _asset_sampler(model: ReturnModel, paths: int, rng: np.random.Generator):
    """A function month -> simple asset returns (paths, N) for that month."""
    n = len(model.weights)
    if model.kind == "parametric":
        a = model.asset_mu / MONTHS
        c = model.asset_cov / MONTHS
        if model.distribution == "lognormal":
            # log(1 + R) ~ N(m, S), moments matched to the simple-return mean a and covariance c.
            s = np.log1p(c / np.outer(1 + a, 1 + a))
            m = np.log1p(a) - np.diag(s) / 2
            factor = _factor(s)
            return lambda _t: np.expm1(m + rng.standard_normal((paths, n)) @ factor.T)
        factor = _factor(c)
        return lambda _t: np.maximum(a + rng.standard_normal((paths, n)) @ factor.T, -1.0)
    history = model.history
    total, block = history.shape[0], model.block_months
    start = np.empty(paths, dtype=np.int64)

    def resample(t):
        if t % block == 0:  # a new block begins: each path jumps to a random month of history
            start[:] = rng.integers(0, total, size=paths)
        return history[(start + t % block) % total]

    return resample


def _factor(cov: np.ndarray) -> np.ndarray:
    """A matrix F with F F' = cov (Cholesky, or eigen for singular PSD matrices)."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(cov)
        return vectors * np.sqrt(np.clip(values, 0.0, None))


# -- wealth -----------------------------------------------------------------------


def inflation_index(months: int, inflation: float) -> np.ndarray:
    """Price level at the end of months 1..T relative to today, shape (T,)."""
    return (1.0 + inflation) ** (np.arange(1, months + 1) / MONTHS)


@dataclass
class PathRun:
    """One chunk of paths: wealth at the recorded months, ending wealth, depletion, drawdowns,
    and the contribution sensitivity (d ending real wealth / d monthly contribution)."""

    kept: np.ndarray  # (K, P) nominal wealth at the recorded months
    ending: np.ndarray  # (P,) nominal
    depleted: np.ndarray  # (P,) bool
    max_drawdown: np.ndarray  # (P,) of the time-weighted index, net of fees
    ending_without_contributions: np.ndarray  # (P,) real, contributions set to zero
    contribution_sensitivity: np.ndarray  # (P,) real ending wealth per unit of monthly contribution


def run_paths(
    model: ReturnModel,
    flows: CashFlows,
    months: int,
    paths: int,
    rng: np.random.Generator,
    recorded: np.ndarray,
    sensitivity: bool = False,
) -> PathRun:
    """Simulate one chunk month by month, holding only per-path state (memory O(paths)).

    The wealth recursion is kept in closed form: with H the cumulative
    returns and M the cumulative deterministic factors (fee, percentage
    withdrawal), ``W_t = H_t M_t (W_0 + sum_{s<=t} c_s / (H_s M_s))``.
    With ``sensitivity``, the contribution's share of ending wealth is kept
    separately (goals solve for the contribution with it).
    """
    step = month_stepper(model, paths, rng)
    fee = (1.0 - flows.annual_fee) ** (1.0 / MONTHS)
    rate = 1.0 - flows.withdrawal_rate / MONTHS
    start = int(flows.withdrawal_start_month)
    price_level = inflation_index(months, flows.inflation)
    can_deplete = bool(flows.monthly_withdrawal or flows.withdrawal_rate) or flows.initial <= 0
    growth = np.ones(paths)  # H_t
    net = np.zeros(paths)  # sum of net flows / (H M)
    units = np.zeros(paths) if sensitivity else None  # sum of real-contribution units / (H M)
    peak = np.ones(paths)
    worst = np.ones(paths)
    ratio = np.empty(paths)
    wealth = np.full(paths, float(flows.initial))
    gone = np.zeros(paths, dtype=bool)
    kept = np.empty((len(recorded), paths))
    slot = {int(m): k for k, m in enumerate(recorded)}
    if 0 in slot:
        kept[slot[0]] = wealth
    factor = 1.0  # M_t
    for t in range(1, months + 1):
        growth *= step(t - 1)
        factor *= fee * (rate if t > start else 1.0)
        # drawdown of the index net of fees, H_t * fee^t
        np.multiply(growth, fee**t, out=ratio)
        np.maximum(peak, ratio, out=peak)
        ratio /= peak
        np.minimum(worst, ratio, out=worst)
        # this month's net cash flow, discounted by the growth so far
        amount = flows.monthly_contribution - (flows.monthly_withdrawal if t > start else 0.0)
        if units is not None:
            np.divide(price_level[t - 1] / factor, growth, out=ratio)
            units += ratio
            net += ratio * amount
        elif amount:
            np.divide(amount * price_level[t - 1] / factor, growth, out=ratio)
            net += ratio
        np.add(net, flows.initial, out=wealth)
        wealth *= growth
        wealth *= factor
        # depleted: below one dollar of today's money (so a path that is "not depleted" never ends at $0)
        floor = DEPLETED_BELOW * price_level[t - 1]
        if can_deplete or wealth.min() < floor:
            gone |= wealth < floor
            np.putmask(wealth, gone, 0.0)
        if t in slot:
            kept[slot[t]] = wealth
    deflate = price_level[-1]
    if units is not None:
        base = growth * factor * (flows.initial + net - units * flows.monthly_contribution) / deflate
        per_unit = growth * factor * units / deflate
    else:
        base = per_unit = np.empty(0)
    return PathRun(kept, wealth.copy(), gone, 1.0 - worst, base, per_unit)


def simulate(
    model: ReturnModel,
    flows: CashFlows,
    months: int,
    paths: int = 10_000,
    seed: int = 0,
    target: float | None = None,
    progress=None,
) -> SimulationResult:
    """Simulate ``paths`` wealth paths over ``months`` months.

    Parameters
    ----------
    model : ReturnModel
    flows : CashFlows
    months : int
        Horizon, 1..1200 months.
    paths : int
        1..1,000,000; drawn in chunks of 10,000 (memory stays bounded).
    seed : int
        Non-negative; the same seed gives the same result.
    target : float, optional
        Ending wealth in today's money; success = real ending wealth >= target.
        Without a target, success = never depleted.
    progress : callable(done_paths, total_paths), optional
        Called after each chunk (background jobs report it).
    """
    months = _count(months, "The horizon in months", 1, MAX_MONTHS)
    paths = _count(paths, "The number of paths", 1, MAX_PATHS)
    flows = flows.validate()
    if target is not None:
        target = _number(target, "The target", 0.0, 1e13)
    step = max(
        1, math.ceil(months / MAX_RECORDED_POINTS), math.ceil((months + 1) * paths / MAX_RECORDED_VALUES)
    )
    recorded = np.unique(np.r_[np.arange(0, months + 1, step), months])
    kept = np.empty((len(recorded), paths))
    ending = np.empty(paths)
    depleted = np.empty(paths, dtype=bool)
    drawdowns = np.empty(paths)
    done = 0
    for rng, n in chunk_generators(seed, paths):
        run = run_paths(model, flows, months, n, rng, recorded)
        kept[:, done : done + n] = run.kept
        ending[done : done + n] = run.ending
        depleted[done : done + n] = run.depleted
        drawdowns[done : done + n] = run.max_drawdown
        done += n
        if progress is not None:
            progress(done, paths)
    deflator = (1.0 + flows.inflation) ** (recorded / MONTHS)
    ending_real = ending / deflator[-1]
    success = ~depleted if target is None else ending_real >= target
    # rows no longer follow paths: only the order statistics the percentiles read are put in place
    # (a partition, linear in the paths, where sorting every row was most of a large run's time)
    kept.partition(_percentile_positions(paths), axis=1)
    pct = {p: _row_percentile(kept, p) for p in PERCENTILES}
    return SimulationResult(
        model=model.describe(),
        paths=paths,
        months=months,
        seed=int(seed),
        recorded_months=recorded,
        percentiles=pct,
        percentiles_real={p: v / deflator for p, v in pct.items()},
        target=target,
        probability_of_success=float(success.mean()),
        probability_of_depletion=float(depleted.mean()),
        mean_ending_wealth=float(ending_real.mean()),
        ending_wealth_percentiles={p: float(np.percentile(ending_real, p)) for p in PERCENTILES},
        ending_histogram=_histogram(ending_real),
        drawdown=_drawdown_summary(drawdowns),
        ending_wealth_real=ending_real,
    )


def _bracket(count: int, p: float) -> tuple[int, int, float]:
    """The two order statistics (0-based) a linear-interpolated percentile ``p`` of ``count`` values lies
    between, and its fraction of the way from the lower to the upper."""
    position = (count - 1) * p / 100.0
    low = int(math.floor(position))
    return low, min(low + 1, count - 1), position - low


def _percentile_positions(count: int) -> list[int]:
    """Every order statistic :func:`_row_percentile` reads for ``PERCENTILES`` of ``count`` values."""
    return sorted({i for p in PERCENTILES for i in _bracket(count, p)[:2]})


def _row_percentile(rows: np.ndarray, p: float) -> np.ndarray:
    """Linear-interpolated percentile of each row of a (K, P) matrix whose rows hold their order statistics
    at :func:`_percentile_positions` (sorted, or partitioned there)."""
    low, high, frac = _bracket(rows.shape[1], p)
    return rows[:, low] * (1 - frac) + rows[:, high] * frac


def _histogram(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    low, high = np.percentile(values, [0.5, 99.5])
    if not high > low:
        high = low + max(abs(low), 1.0) * 1e-6
    edges = np.linspace(low, high, HISTOGRAM_BINS + 1)
    counts, _ = np.histogram(np.clip(values, low, high), bins=edges)
    return edges, counts


def _drawdown_summary(drawdowns: np.ndarray) -> dict[str, float]:
    return {
        "median": float(np.median(drawdowns)),
        "mean": float(drawdowns.mean()),
        "p95": float(np.percentile(drawdowns, 95)),
        "worst": float(drawdowns.max()),
        "probability_over_20pct": float((drawdowns > 0.2).mean()),
    }


# -- validation helpers --------------------------------------------------------------


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= int(seed) < 2**63:
        raise InvalidInputError("The seed must be a whole number from 0 to 2^63 - 1.")
    return int(seed)


def _weights(weights) -> np.ndarray:
    w = check_finite(weights, "Weights")
    if w.ndim != 1 or len(w) == 0:
        raise InvalidInputError("Weights must be a list of numbers.")
    if abs(w.sum() - 1.0) > 1e-6:
        raise InvalidInputError(f"Weights must sum to 100 % (they sum to {w.sum():.2%}).")
    return w


def _rebalance(months) -> int:
    value = int(months)
    if value not in (0, 1, 3, 6, 12):
        raise InvalidInputError(
            "Rebalance monthly (1), quarterly (3), half-yearly (6), yearly (12) or never (0)."
        )
    return value


def monthly_history(prices: pd.DataFrame) -> np.ndarray:
    """Whole-month simple returns (M, N) from daily prices over the common history (for the bootstrap)."""
    return monthly_returns(prices).to_numpy(dtype=float)


def parametric_inputs(prices: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, dict]:
    """Annual inputs of :meth:`ReturnModel.parametric` from daily prices, and the history used.

    Estimated from **month-end closes** (``engine.data.month_end_closes``, the convention the backtest
    uses too), in log returns, each asset over its own whole months (covariances pairwise over the
    months both have): ``m = mean(log(1 + r_month))`` and ``S = cov(log(1 + r_month))``. The model steps
    monthly, so these are the moments it simulates: handed over as the arithmetic mean and covariance
    of simple monthly returns that a monthly lognormal step ``N(m, S)`` has (x12), the lognormal model
    reproduces the monthly history it was fitted on (median growth the compound rate ``exp(12 m) - 1``,
    mean growth ``exp(12 m + 6 diag S) - 1``). Daily variance annualised is not monthly variance
    annualised (returns are not independent from day to day): estimating from daily returns overstated
    a portfolio's mean growth by about 2 points a year. The normal model draws simple returns with the
    same mean and covariance.

    Raises InsufficientDataError when an asset has less than a year (12) of whole-month returns.
    """
    frame = validate_prices(prices)
    closes, _ = month_end_closes(frame)
    logs = np.log(closes / closes.shift(1)).iloc[1:]
    counts = logs.count()
    short = {str(c): int(n) for c, n in counts.items() if n < MONTHS}
    if short:
        firsts = {c: logs[c].first_valid_index() for c in short}
        listed = [
            f"{c} ({n}{f' from {firsts[c]}' if firsts[c] is not None else ''})" for c, n in short.items()
        ]
        named = ", ".join(listed[:5]) + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
        raise InsufficientDataError(
            f"Less than a year of whole-month returns for {named}; at least {MONTHS} are needed to "
            "estimate the return model. Choose an earlier start or leave the asset out."
        )
    m = logs.mean().to_numpy()
    s = logs.cov(min_periods=2).to_numpy()
    if not (np.isfinite(m).all() and np.isfinite(s).all()):
        raise InsufficientDataError(
            "Some pairs of assets never traded in the same months; estimates are undefined."
        )
    s = (s + s.T) / 2
    values, vectors = np.linalg.eigh(s)
    if values.min() < 0:
        s = vectors @ np.diag(np.clip(values, 0.0, None)) @ vectors.T
    a = np.expm1(m + np.diag(s) / 2)
    c = np.outer(1 + a, 1 + a) * np.expm1(s)
    window = {**history_window(prices), "basis": "own", "frequency": "monthly"}
    window.update(first_month=str(logs.index[0]), last_month=str(logs.index[-1]), months=len(logs))
    return a * MONTHS, c * MONTHS, window
