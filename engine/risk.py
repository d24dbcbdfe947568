"""Risk of a portfolio with given weights: volatility, Sharpe, Sortino, beta, drawdowns, VaR/CVaR, stress.

Conventions: daily data, 252 trading days a year; the portfolio is held at
constant weights (rebalanced daily) over the assets' common history; returns,
volatilities and rates are annual fractions. VaR and CVaR are one-day losses
expressed as positive fractions of the portfolio (0.021 = a 2.1 % loss).

VaR/CVaR methods
----------------
historical
    Empirical quantile of the daily portfolio returns; CVaR is the mean
    return beyond it.
parametric (normal)
    ``-(mu + sigma z_a)``; CVaR ``-(mu - sigma phi(z_a) / a)``.
cornish_fisher
    The normal quantile corrected for sample skewness and excess kurtosis;
    CVaR integrates the corrected quantile function over the tail. When the
    moments are outside the expansion's domain (the corrected quantile is not
    increasing), the figures are NaN: reported as unavailable, not wrong.
monte_carlo
    Daily asset returns drawn from a multivariate normal with the sample mean
    and covariance (seeded), aggregated with the weights.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

from engine.data import TRADING_DAYS, common_history, validate_prices
from engine.errors import InsufficientDataError, InvalidInputError

CONFIDENCES = (0.95, 0.99)
VAR_METHODS = ("historical", "parametric", "cornish_fisher", "monte_carlo")

# Historical stress windows (peak to trough of the S&P 500, or the episode's span).
STRESS_WINDOWS: tuple[tuple[str, str, str], ...] = (
    ("1998 LTCM / Russia crisis", "1998-07-17", "1998-10-08"),
    ("2000-02 dot-com crash", "2000-03-24", "2002-10-09"),
    ("2008-09 global financial crisis", "2007-10-09", "2009-03-09"),
    ("2010 flash crash / euro stress", "2010-04-23", "2010-07-02"),
    ("2011 US downgrade / euro crisis", "2011-04-29", "2011-10-03"),
    ("2015-16 China and oil sell-off", "2015-05-21", "2016-02-11"),
    ("2018 Q1 volatility spike", "2018-01-26", "2018-02-08"),
)


@dataclass(frozen=True)
class VaRRow:
    method: str
    confidence: float
    var: float
    cvar: float
    note: str = ""  # why there is no number (NaN var and cvar)


@dataclass(frozen=True)
class StressResult:
    name: str
    start: dt.date
    end: dt.date
    portfolio_return: float
    benchmark_return: float | None
    max_drawdown: float
    proxied: tuple[str, ...]  # assets without prices in the window, stood in for by the benchmark


@dataclass(frozen=True)
class RiskReport:
    tickers: tuple[str, ...]
    weights: tuple[float, ...]
    start: dt.date
    end: dt.date
    observations: int
    annual_return: float  # geometric (CAGR)
    volatility: float
    sharpe: float
    sortino: float
    beta: float | None
    max_drawdown: float
    drawdown_dates: tuple[dt.date, ...]
    drawdown: np.ndarray  # (T,) fall from the running peak, <= 0
    var: tuple[VaRRow, ...]
    stress: tuple[StressResult, ...]
    risk_free_rate: float
    beta_observations: int = 0  # daily returns on which both the portfolio and the benchmark moved
    beta_note: str = ""  # why beta is not shown, or over what it was measured

    def as_dict(self, include_series: bool = False) -> dict:
        out = {
            "tickers": list(self.tickers),
            "weights": list(self.weights),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "observations": self.observations,
            "annual_return": self.annual_return,
            "volatility": self.volatility,
            "sharpe": self.sharpe,
            "sortino": self.sortino,
            "beta": self.beta,
            "beta_observations": self.beta_observations,
            "beta_note": self.beta_note,
            "max_drawdown": self.max_drawdown,
            "risk_free_rate": self.risk_free_rate,
            "var": [row.__dict__ for row in self.var],
            "stress": [
                {
                    **s.__dict__,
                    "start": s.start.isoformat(),
                    "end": s.end.isoformat(),
                    "proxied": list(s.proxied),
                }
                for s in self.stress
            ],
        }
        if include_series:
            out["drawdown"] = {
                "dates": [d.isoformat() for d in self.drawdown_dates],
                "values": self.drawdown.tolist(),
            }
        return out


def portfolio_returns(prices: pd.DataFrame, weights) -> pd.Series:
    """Daily returns of a constant-weight portfolio over the common history."""
    frame = common_history(prices)
    w = _weights(weights, frame.shape[1])
    daily = frame.pct_change().iloc[1:]
    return pd.Series(daily.to_numpy() @ w, index=daily.index, name="portfolio")


def var_table(
    returns: np.ndarray,
    confidences=CONFIDENCES,
    asset_returns: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    paths: int = 100_000,
    seed: int = 0,
) -> tuple[VaRRow, ...]:
    """One-day VaR and CVaR of daily ``returns`` (T,) by each method at each confidence."""
    r = np.asarray(returns, dtype=float)
    if len(r) < 30:
        raise InsufficientDataError("At least 30 daily returns are needed for VaR.")
    mu, sigma = r.mean(), r.std(ddof=1)
    skew, kurt = sps.skew(r), sps.kurtosis(r)  # excess kurtosis
    simulated = None
    if asset_returns is not None and weights is not None:
        simulated = _simulated_portfolio(asset_returns, weights, paths, seed)
    rows = []
    for c in confidences:
        a = 1.0 - c
        cut = np.quantile(r, a)
        rows.append(VaRRow("historical", c, float(-cut), float(-r[r <= cut].mean())))
        z = sps.norm.ppf(a)
        rows.append(
            VaRRow("parametric", c, float(-(mu + sigma * z)), float(-(mu - sigma * sps.norm.pdf(z) / a)))
        )
        if _cf_valid(skew, kurt):
            rows.append(
                VaRRow(
                    "cornish_fisher",
                    c,
                    float(-(mu + sigma * _cornish_fisher(z, skew, kurt))),
                    float(-(mu + sigma * _cf_tail_mean(a, skew, kurt))),
                )
            )
        else:  # the expansion is not a quantile function for such skew/kurtosis: no number rather than a wrong one
            why = (
                f"Cornish-Fisher is not defined for these returns: their skewness ({skew:.2f}) and excess "
                f"kurtosis ({kurt:.2f}) lie outside the range where its expansion rises over the tail, so it "
                "gives no valid quantile; read the historical and Monte Carlo rows."
            )
            rows.append(VaRRow("cornish_fisher", c, float("nan"), float("nan"), why))
        if simulated is not None:
            cut = np.quantile(simulated, a)
            rows.append(VaRRow("monte_carlo", c, float(-cut), float(-simulated[simulated <= cut].mean())))
    return tuple(rows)


def _simulated_portfolio(asset_returns: np.ndarray, weights: np.ndarray, paths: int, seed: int) -> np.ndarray:
    """``paths`` one-day portfolio returns, the assets' returns drawn jointly normal with their sample mean
    and covariance: the draws of ``rng.multivariate_normal(mean, cov, paths, method="eigh") @ weights``
    (the same standard normals, the same eigen factor A with A A' = cov), with the weights applied to the
    factor first - (paths x n) @ n instead of (paths x n) @ (n x n) - so equal up to rounding, in half
    the time (a risk report's largest cost)."""
    rng = np.random.default_rng(seed)
    mean = asset_returns.mean(axis=0)
    cov = np.cov(asset_returns, rowvar=False).reshape(len(mean), len(mean))
    values, vectors = np.linalg.eigh(cov)
    factor = vectors * np.sqrt(np.abs(values))
    return mean @ weights + rng.standard_normal((paths, len(mean))) @ (factor.T @ weights)


def _cornish_fisher(z, skew, kurt):
    return z + (z**2 - 1) * skew / 6 + (z**3 - 3 * z) * kurt / 24 - (2 * z**3 - 5 * z) * skew**2 / 36


def _cf_valid(skew: float, kurt: float) -> bool:
    """The Cornish-Fisher quantile is increasing over the tail (else the moments are outside its domain)."""
    z = sps.norm.ppf(np.linspace(1e-5, 0.5, 400))
    return bool(np.all(np.diff(_cornish_fisher(z, skew, kurt)) > 0))


def _cf_tail_mean(a: float, skew: float, kurt: float, points: int = 2000) -> float:
    """Mean of the Cornish-Fisher quantile function over (0, a): the standardised expected shortfall."""
    u = (np.arange(points) + 0.5) / points * a
    return float(_cornish_fisher(sps.norm.ppf(u), skew, kurt).mean())


def drawdown_series(returns: pd.Series) -> pd.Series:
    """Fall of the growth index from its running peak, each day (<= 0)."""
    index = (1.0 + returns).cumprod()
    peak = np.maximum(index.cummax(), 1.0)
    return index / peak - 1.0


def risk_report(
    prices: pd.DataFrame,
    weights,
    benchmark: pd.Series | None = None,
    risk_free_rate: float = 0.0,
    mc_paths: int = 100_000,
    seed: int = 0,
    stress_prices: pd.DataFrame | None = None,
    stressed: tuple[StressResult, ...] | None = None,
) -> RiskReport:
    """Risk of ``weights`` over ``prices`` (T, N); beta and stress against ``benchmark`` (SPY).

    ``stress_prices`` (default: ``prices``) is the full history used to
    replay the stress windows, which may start before the analysis window;
    ``stressed``: those windows already replayed (``stress_tests`` of these
    weights), which depend on neither the seed nor the window nor the rate.
    """
    if not -0.5 <= float(risk_free_rate) <= 0.5:
        raise InvalidInputError("The risk-free rate must be a fraction between -0.5 and 0.5.")
    frame = common_history(prices)
    w = _weights(weights, frame.shape[1])
    daily = frame.pct_change().iloc[1:]
    r = pd.Series(daily.to_numpy() @ w, index=daily.index)
    years = len(r) / TRADING_DAYS
    growth = float((1.0 + r).prod())
    annual = growth ** (1.0 / years) - 1.0 if growth > 0 else -1.0
    vol = float(r.std(ddof=1) * np.sqrt(TRADING_DAYS))
    daily_rf = (1.0 + risk_free_rate) ** (1.0 / TRADING_DAYS) - 1.0
    downside = np.minimum(r - daily_rf, 0.0)
    downside_dev = float(np.sqrt((downside**2).mean()) * np.sqrt(TRADING_DAYS))
    sharpe = (annual - risk_free_rate) / vol if vol > 0 else float("nan")
    sortino = (annual - risk_free_rate) / downside_dev if downside_dev > 0 else float("nan")
    beta, beta_observations, beta_note = _beta(r, benchmark, frame.index)
    drawdown = drawdown_series(r)
    table = var_table(r.to_numpy(), asset_returns=daily.to_numpy(), weights=w, paths=mc_paths, seed=seed)
    stress = (
        stress_tests(stress_prices if stress_prices is not None else prices, w, benchmark)
        if stressed is None
        else tuple(stressed)
    )
    return RiskReport(
        tickers=tuple(map(str, frame.columns)),
        weights=tuple(map(float, w)),
        start=frame.index[0].date(),
        end=frame.index[-1].date(),
        observations=len(r),
        annual_return=float(annual),
        volatility=vol,
        sharpe=float(sharpe),
        sortino=float(sortino),
        beta=beta,
        max_drawdown=float(-drawdown.min()),
        drawdown_dates=tuple(d.date() for d in drawdown.index),
        drawdown=drawdown.to_numpy(),
        var=table,
        stress=stress,
        risk_free_rate=float(risk_free_rate),
        beta_observations=beta_observations,
        beta_note=beta_note,
    )


# Beta needs the benchmark on at least this share of the window's daily returns.
BETA_MIN_COVERAGE = 0.9


def _beta(r: pd.Series, benchmark: pd.Series | None, index: pd.Index) -> tuple[float | None, int, str]:
    """(beta, overlapping returns, note): measured only where the benchmark covers the window."""
    if benchmark is None:
        return None, 0, "No benchmark prices."
    market = benchmark.reindex(index).pct_change(fill_method=None).iloc[1:]
    both = pd.concat([r, market], axis=1).dropna()
    overlap, needed = len(both), max(30, int(np.ceil(BETA_MIN_COVERAGE * len(r))))
    if overlap < needed:
        return (
            None,
            overlap,
            f"The benchmark has prices on only {overlap:,} of the window's {len(r):,} daily returns "
            f"(at least {needed:,} needed).",
        )
    if not both.iloc[:, 1].var() > 0:
        return None, overlap, "The benchmark did not move in the window."
    beta = float(both.cov().iloc[0, 1] / both.iloc[:, 1].var())
    return beta, overlap, f"Over {overlap:,} of {len(r):,} daily returns."


def stress_tests(
    prices: pd.DataFrame, weights, benchmark: pd.Series | None, windows=STRESS_WINDOWS
) -> tuple[StressResult, ...]:
    """Today's weights held through each historical window (buy and hold from its first day).

    An asset without prices for the whole window is stood in for by the
    benchmark (and named in ``proxied``); windows the data do not cover are left out.
    """
    frame = validate_prices(prices)
    w = _weights(weights, frame.shape[1])
    out = []
    for name, start, end in windows:
        window = frame.loc[start:end]
        if len(window) < 2:
            continue
        market = None
        if benchmark is not None:
            market = benchmark.loc[start:end].reindex(window.index).ffill().bfill()
            if market.isna().any():
                market = None
        # each asset's growth over the window, from its first day; one without prices every day follows
        # the benchmark's instead (all columns at once: this runs for every risk report)
        values = window.to_numpy(dtype=float)
        complete = ~np.isnan(values).any(axis=0)
        if not complete.all() and market is None:
            continue
        growth = values / values[0]
        if not complete.all():
            growth[:, ~complete] = (market.to_numpy(dtype=float) / market.iloc[0])[:, None]
        proxied = [str(ticker) for ticker, whole in zip(frame.columns, complete, strict=True) if not whole]
        value = growth @ w
        peak = np.maximum.accumulate(value)
        out.append(
            StressResult(
                name,
                window.index[0].date(),
                window.index[-1].date(),
                float(value[-1] - 1.0),
                float(market.iloc[-1] / market.iloc[0] - 1.0) if market is not None else None,
                float((1.0 - value / peak).max()),
                tuple(proxied),
            )
        )
    return tuple(out)


def _weights(weights, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise InvalidInputError(f"Expected {n} weights, one per asset.")
    if not np.isfinite(w).all():
        raise InvalidInputError("Weights must be finite numbers.")
    if abs(w.sum() - 1.0) > 1e-6:
        raise InvalidInputError(f"Weights must sum to 100 % (they sum to {w.sum():.2%}).")
    return w
