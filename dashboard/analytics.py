"""The cached engine facade: requests of primitives in, engine results out, through the cache.

Callbacks never import ``engine`` directly; they build a request here (which
validates it), and the facade resolves data (prices from the database,
identified by dataset, tickers and dates), calls the engine and caches the
result under the operation's TTL. The engine (cvxpy, ~2 s to import) is
imported on first use, or by :func:`warm_up` after a gunicorn worker forks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard.access import InvalidInput
from dashboard.extensions import cache, db
from dashboard.market import APPROX_SHARES_BN, BENCHMARK_TICKER, DATASET_ID, SECURITIES, prices_from_db
from dashboard.metrics import track_performance
from engine.validation import number as _number
from engine.validation import optional_number as _optional
from engine.validation import whole as _whole

MAX_ASSETS = 40
# Part of every market-data key: bump when what the facade stores changes shape.
FORMAT = 2
MAX_VIEWS = 20


def warm_up() -> None:
    """Import the heavy engine modules now (called after a worker forks), so no request pays for it."""
    import cvxpy  # noqa: F401
    import pypfopt  # noqa: F401

    import engine.frontier
    import engine.montecarlo
    import engine.optimize  # noqa: F401


# -- validation helpers ----------------------------------------------------------------------


def _date(value, what: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a date (YYYY-MM-DD).")
    try:
        return dt.date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise InvalidInput(f"{what} must be a date (YYYY-MM-DD).") from None


def _tickers(values) -> tuple[str, ...]:
    if not isinstance(values, list | tuple) or not values:
        raise InvalidInput("Choose at least one asset.")
    if len(values) > MAX_ASSETS:
        raise InvalidInput(f"Choose at most {MAX_ASSETS} assets.")
    out = []
    for value in values:
        if not isinstance(value, str) or value not in SECURITIES:
            raise InvalidInput(f"Unknown asset {str(value)[:20]!r}.")
        if value not in out:
            out.append(value)
    return tuple(out)


def _window(tickers, start, end) -> tuple[tuple[str, ...], str | None, str | None]:
    tickers = _tickers(tickers)
    start, end = _date(start, "The start date"), _date(end, "The end date")
    if start and end and start >= end:
        raise InvalidInput("The start date must be before the end date.")
    return tickers, start, end


# -- market data -------------------------------------------------------------------------------


@track_performance("facade.load_prices")
def load_prices(
    tickers: Sequence[str], start: str | None = None, end: str | None = None, refresh: bool = False
) -> pd.DataFrame:
    """Closes of ``tickers`` between ``start`` and ``end`` (cached as market data)."""
    tickers, start, end = _window(list(tickers), start, end)
    request = {"dataset": DATASET_ID, "tickers": list(tickers), "start": start, "end": end, "format": FORMAT}

    def read():
        with db.engine.connect() as conn:
            frame = prices_from_db(
                conn,
                tickers,
                dt.date.fromisoformat(start) if start else None,
                dt.date.fromisoformat(end) if end else None,
            )
        missing = [t for t in tickers if t not in frame.columns or frame[t].isna().all()]
        if missing:
            raise InvalidInput(f"No prices for {', '.join(missing)} in the chosen dates.")
        # The window ends on the last day every asset has a price (SPY's history runs longer).
        return frame.loc[: min(frame[t].last_valid_index() for t in tickers)]

    return cache.get_or_compute("market_data", request, read, refresh=refresh)


def market_caps(tickers: Sequence[str], prices: pd.DataFrame) -> dict[str, float]:
    """Approximate capitalisations (USD) on the last day of ``prices``, for the Black-Litterman prior."""
    last = prices.ffill().iloc[-1]
    return {t: APPROX_SHARES_BN[t] * 1e9 * float(last[t]) for t in tickers}


# -- optimisation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimisationRequest:
    tickers: tuple[str, ...]
    start: str | None = None
    end: str | None = None
    objective: str = "max_sharpe"
    returns_model: str = "mean_historical"
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

    @classmethod
    def build(cls, **raw) -> OptimisationRequest:
        """Validate raw values (from a form or a URL) into a request; InvalidInput on the first problem."""
        from engine.optimize import OBJECTIVES, RETURNS_MODELS, RISK_MODELS

        tickers, start, end = _window(raw.get("tickers"), raw.get("start"), raw.get("end"))
        choice = {
            "objective": OBJECTIVES,
            "returns_model": RETURNS_MODELS,
            "risk_model": RISK_MODELS,
            "bl_objective": OBJECTIVES[:5],
        }
        picked = {}
        for name, allowed in choice.items():
            value = raw.get(name, getattr(cls, name))
            if value not in allowed:
                raise InvalidInput(f"Choose a valid {name.replace('_', ' ')}.")
            picked[name] = value
        sectors = {s[1] for s in SECURITIES.values() if s[1]}

        def limits(name):
            items = raw.get(name) or {}
            if not isinstance(items, dict) or len(items) > 20:
                raise InvalidInput("Sector limits must be a small table of sector -> fraction.")
            for sector, value in items.items():
                if sector not in sectors:
                    raise InvalidInput(f"Unknown sector {str(sector)[:30]!r}.")
                _number(value, f"The limit for {sector}", 0.0, 1.0)
            return tuple(sorted((k, float(v)) for k, v in items.items()))

        views = raw.get("views") or []
        if not isinstance(views, list) or len(views) > MAX_VIEWS:
            raise InvalidInput(f"Give at most {MAX_VIEWS} views.")
        parsed_views = []
        for view in views:
            if not isinstance(view, dict):
                raise InvalidInput("Each view needs an asset, a return and a confidence.")
            asset = view.get("asset")
            versus = view.get("versus") or None
            for name in (asset, versus):
                if name is not None and name not in tickers:
                    raise InvalidInput(
                        f"A view names {str(name)[:20]!r}, which is not among the chosen assets."
                    )
            parsed_views.append(
                (
                    asset,
                    _number(view.get("value"), f"The view on {asset}", -1.0, 2.0),
                    _number(view.get("confidence", 0.5), f"The confidence on {asset}", 0.01, 1.0),
                    versus,
                )
            )
        return cls(
            tickers=tickers,
            start=start,
            end=end,
            **picked,
            risk_free_rate=_number(raw.get("risk_free_rate", 0.0), "The risk-free rate", -0.1, 0.5),
            target_volatility=_optional(raw.get("target_volatility"), "The target volatility", 0.0, 100.0),
            target_return=_optional(raw.get("target_return"), "The target return", -1.0, 100.0),
            risk_aversion=_number(raw.get("risk_aversion", 1.0), "The risk aversion", 0.01, 100.0),
            min_weight=_number(raw.get("min_weight", 0.0), "The minimum weight", -1.0, 1.0),
            max_weight=_number(raw.get("max_weight", 1.0), "The maximum weight", -1.0, 1.0),
            sector_lower=limits("sector_lower"),
            sector_upper=limits("sector_upper"),
            views=tuple(parsed_views),
        )

    def key(self) -> dict:
        return dataclasses.asdict(self)


def statistics(request: OptimisationRequest, refresh: bool = False):
    """Expected returns and covariance for the request's assets, models and dates (cached)."""

    def compute():
        from engine.optimize import estimate

        # "Recompute" recomputes the analysis; market data keep their own (1 h) lifetime.
        prices = load_prices(request.tickers, request.start, request.end)
        benchmark = None
        if request.returns_model == "capm":
            benchmark = load_prices([BENCHMARK_TICKER], request.start, request.end)[BENCHMARK_TICKER]
        return estimate(
            prices,
            request.returns_model,
            request.risk_model,
            benchmark=benchmark,
            risk_free_rate=request.risk_free_rate,
        )

    key = {
        "kind": "statistics",
        "tickers": list(request.tickers),
        "start": request.start,
        "end": request.end,
        "returns_model": request.returns_model,
        "risk_model": request.risk_model,
        "risk_free_rate": request.risk_free_rate if request.returns_model == "capm" else None,
    }
    return cache.get_or_compute("optimisation", key, compute, refresh=refresh)


def _statistics(request: OptimisationRequest, refresh: bool):
    return load_prices(request.tickers, request.start, request.end), statistics(request, refresh)


def _sector_limits(request: OptimisationRequest):
    from engine.optimize import SectorLimits

    if not (request.sector_lower or request.sector_upper):
        return None
    mapper = {t: SECURITIES[t][1] or "Broad market (ETF)" for t in request.tickers}
    return SectorLimits(mapper, dict(request.sector_lower), dict(request.sector_upper))


@track_performance("facade.optimise")
def optimise(request: OptimisationRequest, refresh: bool = False, household: int | None = None):
    """Optimal weights (``engine.optimize.OptimizationResult``) for the request."""
    from engine.optimize import View, optimize

    def compute():
        prices, stats = _statistics(request, refresh)
        return optimize(
            stats,
            request.objective,
            risk_free_rate=request.risk_free_rate,
            target_volatility=request.target_volatility,
            target_return=request.target_return,
            risk_aversion=request.risk_aversion,
            bounds=(request.min_weight, request.max_weight),
            sectors=_sector_limits(request),
            returns=prices.pct_change().iloc[1:],
            views=[View(a, v, c, s) for a, v, c, s in request.views],
            market_caps=market_caps(request.tickers, prices)
            if request.objective == "black_litterman"
            else None,
            bl_objective=request.bl_objective,
        )

    return cache.get_or_compute(
        "optimisation", {"kind": "optimise", **request.key()}, compute, refresh=refresh
    )


@track_performance("facade.frontier")
def frontier(
    request: OptimisationRequest, points: int = 50, refresh: bool = False, household: int | None = None
):
    """The efficient frontier (``engine.frontier.FrontierResult``) for the request's universe and constraints."""
    from engine.frontier import efficient_frontier

    points = _whole(points, "The number of frontier points", 2, 200)

    def compute():
        _, stats = _statistics(request, refresh)
        return efficient_frontier(
            stats,
            points,
            risk_free_rate=request.risk_free_rate,
            bounds=(request.min_weight, request.max_weight),
            sectors=_sector_limits(request),
        )

    key = {"kind": "frontier", "points": points, **request.key()}
    return cache.get_or_compute("optimisation", key, compute, refresh=refresh, household=household)


# -- Monte Carlo ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimulationRequest:
    model: str = "gbm"
    mu: float = 0.07
    sigma: float = 0.15
    tickers: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
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

    @classmethod
    def build(cls, **raw) -> SimulationRequest:
        from engine.montecarlo import MAX_MONTHS, MAX_PATHS, MODELS

        model = raw.get("model", "gbm")
        if model not in MODELS:
            raise InvalidInput("Choose a model: gbm, parametric or bootstrap.")
        tickers: tuple[str, ...] = ()
        weights: tuple[float, ...] = ()
        start = end = None
        if model != "gbm":
            tickers, start, end = _window(raw.get("tickers"), raw.get("start"), raw.get("end"))
            raw_weights = raw.get("weights")
            if not isinstance(raw_weights, list | tuple) or len(raw_weights) != len(tickers):
                raise InvalidInput("Give one weight per asset.")
            weights = tuple(_number(w, "A weight", 0.0, 1.0) for w in raw_weights)
            if abs(sum(weights) - 1.0) > 1e-6:
                raise InvalidInput(f"Weights must add up to 100 % (they add up to {sum(weights):.1%}).")
        if raw.get("distribution", "normal") not in ("normal", "lognormal"):
            raise InvalidInput("Choose a normal or lognormal distribution.")
        if raw.get("rebalance_months", 1) not in (0, 1, 3, 6, 12):
            raise InvalidInput("Rebalance monthly, quarterly, half-yearly, yearly or never.")
        return cls(
            model=model,
            tickers=tickers,
            weights=weights,
            start=start,
            end=end,
            mu=_number(raw.get("mu", 0.07), "The expected return", -1.0, 1.0),
            sigma=_number(raw.get("sigma", 0.15), "The volatility", 0.0, 2.0),
            distribution=raw.get("distribution", "normal"),
            rebalance_months=raw.get("rebalance_months", 1),
            block_months=_whole(raw.get("block_months", 12), "The block length", 1, 120),
            initial=_number(raw.get("initial", 1_000_000.0), "The initial wealth", 0.0, 1e12),
            monthly_contribution=_number(
                raw.get("monthly_contribution", 0.0), "The monthly contribution", 0.0, 1e10
            ),
            monthly_withdrawal=_number(
                raw.get("monthly_withdrawal", 0.0), "The monthly withdrawal", 0.0, 1e10
            ),
            withdrawal_rate=_number(raw.get("withdrawal_rate", 0.0), "The withdrawal rate", 0.0, 1.0),
            withdrawal_start_month=_whole(
                raw.get("withdrawal_start_month", 0), "The withdrawal start", 0, MAX_MONTHS
            ),
            inflation=_number(raw.get("inflation", 0.0), "Inflation", -0.2, 1.0),
            fee=_number(raw.get("fee", 0.0), "The fee", 0.0, 0.2),
            months=_whole(raw.get("months", 360), "The horizon in months", 1, MAX_MONTHS),
            paths=_whole(raw.get("paths", 10_000), "The number of paths", 100, MAX_PATHS),
            seed=_whole(raw.get("seed", 0), "The seed", 0, 2**31 - 1),
            target=_optional(raw.get("target"), "The target", 0.0, 1e13),
        )

    def key(self) -> dict:
        return dataclasses.asdict(self)


def return_model(request: SimulationRequest):
    """The engine's ``ReturnModel`` for a simulation request (asset statistics from the database)."""
    import numpy as np

    from engine.montecarlo import ReturnModel, monthly_history
    from engine.optimize import estimate

    if request.model == "gbm":
        return ReturnModel.gbm(request.mu, request.sigma)
    prices = load_prices(request.tickers, request.start, request.end)
    weights = np.array(request.weights)
    if request.model == "parametric":
        stats = estimate(prices)
        return ReturnModel.parametric(
            weights, stats.mu, stats.cov, request.distribution, request.rebalance_months
        )
    return ReturnModel.bootstrap(
        weights, monthly_history(prices), request.block_months, request.rebalance_months
    )


@track_performance("facade.simulate")
def simulate(request: SimulationRequest, refresh: bool = False, progress=None, household: int | None = None):
    """Monte Carlo result (``engine.montecarlo.SimulationResult``) for the request."""
    from engine.montecarlo import CashFlows
    from engine.montecarlo import simulate as run

    def compute():
        flows = CashFlows(
            request.initial,
            request.monthly_contribution,
            request.monthly_withdrawal,
            request.withdrawal_rate,
            request.withdrawal_start_month,
            request.inflation,
            request.fee,
        )
        return run(
            return_model(request),
            flows,
            request.months,
            request.paths,
            request.seed,
            request.target,
            progress=progress,
        )

    return cache.get_or_compute("monte_carlo", request.key(), compute, refresh=refresh, household=household)


def performance(request: OptimisationRequest, weights: dict[str, float]) -> tuple[float, float, float]:
    """(expected return, volatility, Sharpe) of ``weights`` under the request's statistics."""
    import numpy as np

    from engine.optimize import portfolio_performance

    stats = statistics(request)
    vector = np.array([float(weights.get(t, 0.0)) for t in stats.tickers])
    if not np.isfinite(vector).all() or vector.sum() <= 0:
        raise InvalidInput("The current weights are not valid for these assets.")
    return portfolio_performance(vector / vector.sum(), stats.mu, stats.cov, request.risk_free_rate)


def allocate(
    request: OptimisationRequest, weights: dict[str, float], cash: float, household: int | None = None
):
    """Whole shares for ``cash`` at the latest prices of the request's window (``engine.optimize.Allocation``)."""
    from engine.optimize import discrete_allocation

    cash = _number(cash, "The cash amount", 1.0, 1e10)
    latest = {
        t: float(v)
        for t, v in load_prices(request.tickers, request.start, request.end).ffill().iloc[-1].items()
    }
    key = {
        "kind": "allocation",
        "weights": {t: round(w, 12) for t, w in weights.items()},
        "cash": cash,
        "tickers": list(request.tickers),
        "start": request.start,
        "end": request.end,
    }
    allocation = cache.get_or_compute(
        "optimisation", key, lambda: discrete_allocation(weights, latest, cash), household=household
    )
    return allocation, latest


# -- goals -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalSpec:
    name: str
    target: float
    months: int
    current_savings: float
    monthly_contribution: float


@track_performance("facade.goals")
def goal_probabilities(
    model: SimulationRequest, goals: Sequence[GoalSpec], household: int | None = None, refresh: bool = False
) -> list:
    """Probability of success of each goal (``engine.goals.GoalResult``), on the model's paths."""
    from engine.goals import Goal, goal_probability

    def compute():
        engine_model = return_model(model)
        return [
            goal_probability(
                engine_model,
                Goal(g.name, g.target, g.months, g.current_savings, g.monthly_contribution),
                model.paths,
                model.seed,
                model.inflation,
                model.fee,
            )
            for g in goals
        ]

    key = {"kind": "goals", "model": model.key(), "goals": [dataclasses.asdict(g) for g in goals]}
    return cache.get_or_compute("monte_carlo", key, compute, household=household, refresh=refresh)


@track_performance("facade.goal_saving")
def goal_saving(model: SimulationRequest, goal: GoalSpec, probability: float, household: int | None = None):
    """The monthly saving reaching ``goal`` with ``probability`` (``engine.goals.SavingSolution``)."""
    from engine.goals import Goal, solve_monthly_saving

    probability = _number(probability, "The probability", 0.01, 0.99)

    def compute():
        return solve_monthly_saving(
            return_model(model),
            Goal(goal.name, goal.target, goal.months, goal.current_savings, goal.monthly_contribution),
            probability,
            model.paths,
            model.seed,
            model.inflation,
            model.fee,
        )

    key = {
        "kind": "goal_saving",
        "model": model.key(),
        "goal": dataclasses.asdict(goal),
        "probability": probability,
    }
    return cache.get_or_compute("monte_carlo", key, compute, household=household)


# -- risk, diversification, retirement, tax ------------------------------------------------------


@dataclass(frozen=True)
class HoldingsWindow:
    """A household's holdings (tickers and market-value weights) over a date window."""

    tickers: tuple[str, ...]
    weights: tuple[float, ...]
    start: str | None = None
    end: str | None = None

    @classmethod
    def build(cls, tickers, weights, start=None, end=None) -> HoldingsWindow:
        tickers, start, end = _window(list(tickers), start, end)
        if len(weights) != len(tickers):
            raise InvalidInput("Give one weight per holding.")
        values = tuple(_number(w, "A weight", 0.0, 1.0) for w in weights)
        if abs(sum(values) - 1.0) > 1e-6:
            raise InvalidInput("Holding weights must add up to 100 %.")
        return cls(tickers, values, start, end)

    def key(self) -> dict:
        return dataclasses.asdict(self)


def exact_weights(weights) -> list[float]:
    """Weights rounded to 12 places that still add up to exactly 1 (stable, short cache keys)."""
    rounded = [round(float(w), 12) for w in weights]
    if rounded:
        rounded[0] += 1.0 - sum(rounded)
    return rounded


def with_holdings(raw: dict, portfolio, name: str, start: str | None) -> dict:
    """A raw simulation request plus the household's holdings, unless the model is GBM (which needs none)."""
    if raw.get("model", "gbm") == "gbm":
        return raw
    if not portfolio.tickers:
        raise InvalidInput(f"{name} holds no securities; use the GBM model.")
    return {
        **raw,
        "tickers": list(portfolio.tickers),
        "weights": exact_weights(portfolio.weights),
        "start": start,
    }


def holdings_window(portfolio, start: str | None = None, end: str | None = None) -> HoldingsWindow:
    """The window of a ``households.Portfolio``; InvalidInput when it holds nothing."""
    if not portfolio.tickers:
        raise InvalidInput("This household holds no securities.")
    return HoldingsWindow.build(list(portfolio.tickers), exact_weights(portfolio.weights), start, end)


@track_performance("facade.risk")
def risk(
    window: HoldingsWindow,
    risk_free_rate: float = 0.0,
    paths: int = 50_000,
    seed: int = 0,
    household: int | None = None,
    refresh: bool = False,
):
    """``engine.risk.RiskReport`` of the holdings: metrics, VaR/CVaR by four methods, stress windows."""
    from engine.risk import risk_report

    risk_free_rate = _number(risk_free_rate, "The risk-free rate", -0.1, 0.5)
    paths = _whole(paths, "The Monte Carlo VaR paths", 1_000, 1_000_000)
    seed = _whole(seed, "The seed", 0, 2**31 - 1)

    def compute():
        prices = load_prices(window.tickers, window.start, window.end)
        full = load_prices(window.tickers)  # the stress windows reach back before the analysis window
        benchmark = load_prices([BENCHMARK_TICKER])[BENCHMARK_TICKER]
        return risk_report(
            prices, list(window.weights), benchmark, risk_free_rate, paths, seed, stress_prices=full
        )

    key = {"window": window.key(), "risk_free_rate": risk_free_rate, "paths": paths, "seed": seed}
    return cache.get_or_compute("risk", key, compute, household=household, refresh=refresh)


@track_performance("facade.diversification")
def diversification(window: HoldingsWindow, household: int | None = None, refresh: bool = False):
    """``engine.diversification.DiversificationReport`` of the holdings."""
    from engine.diversification import diversification_report

    def compute():
        prices = load_prices(window.tickers, window.start, window.end)
        sectors = {t: SECURITIES[t][1] or "Broad market (ETF)" for t in window.tickers}
        return diversification_report(prices, list(window.weights), sectors)

    return cache.get_or_compute(
        "diversification", window.key(), compute, household=household, refresh=refresh
    )


@track_performance("facade.retirement")
def retirement(
    model: SimulationRequest,
    plan: dict,
    solve_success: float | None = None,
    household: int | None = None,
    refresh: bool = False,
):
    """(``RetirementResult``, ``SpendingSolution`` or None) for a plan (a dict of primitives)."""
    from engine.retirement import RetirementPlan, simulate_retirement, solve_spending

    engine_plan = RetirementPlan(**plan).validate()
    if solve_success is not None:
        solve_success = _number(solve_success, "The target success rate", 0.01, 0.99)

    def compute():
        engine_model = return_model(model)
        result = simulate_retirement(engine_model, engine_plan, model.paths, model.seed)
        solution = None
        if solve_success is not None and engine_plan.strategy in ("constant_real", "guardrails"):
            solution = solve_spending(engine_model, engine_plan, solve_success, model.paths, model.seed)
        return result, solution

    key = {"kind": "retirement", "model": model.key(), "plan": plan, "solve": solve_success}
    return cache.get_or_compute("monte_carlo", key, compute, household=household, refresh=refresh)


@track_performance("facade.tax")
def tax(
    household_id: int,
    data_version: int,
    short_term_rate: float,
    long_term_rate: float,
    min_loss: float,
    refresh: bool = False,
):
    """``engine.tax.TaxReport`` of a household's taxable lots on its valuation date (read from the database).

    Lots in retirement accounts (IRA, Roth, 401(k)) are left out — selling them
    is not a taxable event — but purchases in every account count for wash sales.
    """
    from engine.tax import Lot, Purchase, tax_report

    short_term_rate = _number(short_term_rate, "The short-term rate", 0.0, 1.0)
    long_term_rate = _number(long_term_rate, "The long-term rate", 0.0, 1.0)
    min_loss = _number(min_loss, "The smallest loss to list", 0.0, 1e9)

    def compute():
        from sqlalchemy import select

        from dashboard.households import latest_prices
        from dashboard.models import Account, Holding, Security, TaxLot, Transaction

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
                # gains in retirement accounts are not taxed on sale: taxable accounts only
                .where(Account.household_id == household_id, Account.account_type == "taxable")
                .order_by(Security.ticker, TaxLot.acquired_on)
            ).all()
            as_of, closes = latest_prices(session, sorted({row[2] for row in lots}))
            if as_of is None:
                raise InvalidInput("This household has no lots in taxable accounts.")
            window_start = as_of - dt.timedelta(days=30)
            buys = session.execute(
                select(Security.ticker, Transaction.date, Transaction.quantity)
                .join(Account, Account.id == Transaction.account_id)
                .join(Security, Security.id == Transaction.security_id)
                .where(
                    Account.household_id == household_id,
                    Transaction.type == "buy",
                    Transaction.date >= window_start,
                    Transaction.date <= as_of + dt.timedelta(days=30),
                )
            ).all()
        ids = {ticker: sid for _, ticker, sid, *_ in lots}
        return tax_report(
            [Lot(i, t, d, q, c, account) for i, t, _sid, d, q, c, account in lots],
            {t: closes[sid] for t, sid in ids.items() if sid in closes},
            as_of,
            [Purchase(t, d, float(q or 0)) for t, d, q in buys],
            short_term_rate,
            long_term_rate,
            min_loss,
        )

    key = {
        "household": household_id,
        "data_version": data_version,
        "short": short_term_rate,
        "long": long_term_rate,
        "min_loss": min_loss,
    }
    return cache.get_or_compute("tax", key, compute, household=household_id, refresh=refresh)
