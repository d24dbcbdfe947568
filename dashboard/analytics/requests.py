"""The typed requests the analytics facade takes, built by the forms (the one validation boundary).

Frozen dataclasses of primitives: each is its own cache key (``key()``), so
a key never depends on the repr of a DataFrame or an array. The facade trusts
these types; the engine keeps its own guards.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    def key(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class OptimisationRequest(Request):
    tickers: tuple[str, ...]
    start: str | None = None
    end: str | None = None
    objective: str = "max_sharpe"
    returns_model: str = "mean_historical"
    assumptions: int | None = None  # the firm's set, with returns_model "firm"
    risk_model: str = "sample"
    risk_free_rate: float = 0.0
    target_volatility: float | None = None
    target_return: float | None = None
    risk_aversion: float = 1.0
    min_weight: float = 0.0
    max_weight: float = 1.0
    sector_lower: tuple[tuple[str, float], ...] = ()
    sector_upper: tuple[tuple[str, float], ...] = ()
    views: tuple[tuple[str, float, float, str | None], ...] = ()  # asset, return, confidence, versus
    bl_objective: str = "max_sharpe"


@dataclass(frozen=True)
class SimulationRequest(Request):
    """A return model (GBM, or the household's holdings: the firm's assumptions ``assumptions`` (a set
    id), or their history, parametric or bootstrap) and cash flows."""

    model: str = "gbm"
    mu: float = 0.07
    sigma: float = 0.15
    tickers: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    assumptions: int | None = None
    start: str | None = None
    end: str | None = None
    distribution: str = "normal"
    rebalance_months: int = 1
    block_months: int = 12
    initial: float = 1_000_000.0
    monthly_contribution: float = 0.0
    monthly_withdrawal: float = 0.0
    withdrawal_rate: float = 0.0
    withdrawal_start_month: int = 0
    inflation: float = 0.0
    fee: float = 0.0
    months: int = 360
    paths: int = 10_000
    seed: int = 0
    target: float | None = None


@dataclass(frozen=True)
class HoldingsWindow(Request):
    """A household's holdings (tickers and market-value weights) over a date window."""

    tickers: tuple[str, ...]
    weights: tuple[float, ...]
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True)
class RiskRequest(Request):
    window: HoldingsWindow
    risk_free_rate: float = 0.0
    paths: int = 50_000
    seed: int = 0


@dataclass(frozen=True)
class BacktestRequest(Request):
    """Portfolios of target weights ((name, ((ticker, weight), ...)), ...) and a benchmark, over months."""

    portfolios: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]
    benchmark: tuple[tuple[str, float], ...] = ()
    benchmark_name: str = ""
    start: str | None = None
    end: str | None = None
    initial: float = 10_000.0
    rebalance: str = "annual"
    band: float | None = None
    cash_flow: float = 0.0
    frequency: str = "monthly"
    inflation: float = 0.0
    fee: float = 0.0
    risk_free_rate: float = 0.0
    rolling: tuple[int, ...] = (12, 36, 60)
    late_assets: str = "refuse"

    def tickers(self) -> list[str]:
        every = [t for _, weights in self.portfolios for t, _ in weights] + [t for t, _ in self.benchmark]
        return list(dict.fromkeys(every))


@dataclass(frozen=True)
class GoalSpec(Request):
    name: str
    target: float
    months: int
    current_savings: float
    monthly_contribution: float


@dataclass(frozen=True)
class RetirementRequest(Request):
    """A return model, a plan (``engine.retirement.RetirementPlan`` fields) and an optional solve-for."""

    model: SimulationRequest
    plan: Mapping[str, object] = field(default_factory=dict)
    solve_success: float | None = None


@dataclass(frozen=True)
class TaxRequest(Request):
    household_id: int
    data_version: int
    short_term_rate: float
    long_term_rate: float
    min_loss: float
    realised_short: float = 0.0  # gains realised this year (negative: losses)
    realised_long: float = 0.0
    carryover_short: float = 0.0  # losses carried over from last year (>= 0)
    carryover_long: float = 0.0


def exact_weights(weights) -> tuple[float, ...]:
    """Weights rounded to 12 places that still add up to exactly 1 (stable, short cache keys)."""
    rounded = [round(float(w), 12) for w in weights]
    if rounded:
        rounded[0] += 1.0 - sum(rounded)
    return tuple(rounded)
