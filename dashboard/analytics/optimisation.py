"""Optimisation through the cache: statistics, optimal weights, the frontier, discrete allocation."""

from __future__ import annotations

import dataclasses

import numpy as np

from dashboard.analytics.assumptions import FIRM, Basis, bounds_key, compared, firm_basis
from dashboard.analytics.market import load_prices, market_caps, sectors
from dashboard.analytics.requests import OptimisationRequest
from dashboard.data.securities import BENCHMARK_TICKER
from dashboard.errors import InvalidInput
from dashboard.extensions import cache
from dashboard.metrics.store import track_performance
from dashboard.services import assumptions as firm
from engine.frontier import efficient_frontier
from engine.optimize import (
    SectorLimits,
    View,
    black_litterman_posterior,
    discrete_allocation,
    estimate,
    optimize,
    portfolio_performance,
)


def statistics(request: OptimisationRequest, refresh: bool = False):
    """Expected returns and covariance for the request's assets, models and dates (cached). With the
    firm's assumptions, the expected returns are the set's and the covariance the risk model's over
    the dates (history estimates risk far better than it estimates returns)."""

    def compute():
        # "Recompute" recomputes the analysis; market data keep their own (1 h) lifetime.
        prices = load_prices(request.tickers, request.start, request.end)
        if request.returns_model == FIRM:
            stats = estimate(prices, "mean_historical", request.risk_model)
            mu, _ = firm.load(request.assumptions).statistics(stats.tickers)
            return dataclasses.replace(stats, mu=mu, returns_model=FIRM)
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
        "assumptions": request.assumptions,
        "risk_model": request.risk_model,
        "risk_free_rate": request.risk_free_rate if request.returns_model == "capm" else None,
    }
    return cache.get_or_compute("optimisation", key, compute, refresh=refresh)


def shown_statistics(request: OptimisationRequest, refresh: bool = False):
    """The statistics the page draws everything with (frontier, assets, current, a frontier point): the
    request's estimate, or with Black-Litterman its posterior (the market-implied prior moved by the
    views), the returns the optimal portfolio was chosen on, so it is measured like the rest."""
    stats = statistics(request, refresh)
    if not _posterior(request):
        return stats

    def compute():
        prices = load_prices(request.tickers, request.start, request.end)
        mu, cov = black_litterman_posterior(
            stats,
            [View(a, v, c, s) for a, v, c, s in request.views],
            market_caps(request.tickers, prices),
            None,
            request.risk_free_rate,
        )
        return dataclasses.replace(stats, mu=mu, cov=cov, returns_model="black_litterman")

    key = {"kind": "posterior", **request.key()}
    return cache.get_or_compute("optimisation", key, compute, refresh=refresh)


def _sector_limits(request: OptimisationRequest):
    if not (request.sector_lower or request.sector_upper):
        return None
    return SectorLimits(sectors(request.tickers), dict(request.sector_lower), dict(request.sector_upper))


@track_performance("facade.optimise")
def optimise(request: OptimisationRequest, refresh: bool = False):
    """Optimal weights (``engine.optimize.OptimizationResult``) for the request."""

    def compute():
        prices = load_prices(request.tickers, request.start, request.end)
        return optimize(
            statistics(request, refresh),
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
def frontier(request: OptimisationRequest, points: int = 50, refresh: bool = False):
    """The efficient frontier (``engine.frontier.FrontierResult``) for the request's universe and constraints."""

    def compute():
        return efficient_frontier(
            shown_statistics(request, refresh),
            points,
            risk_free_rate=request.risk_free_rate,
            bounds=(request.min_weight, request.max_weight),
            sectors=_sector_limits(request),
        )

    # basis 2: with Black-Litterman, drawn on the posterior (not the prior estimate); 3: keyed by what
    # it is drawn from alone
    drawn = {k: v for k, v in request.key().items() if k not in NOT_DRAWN}
    key = {"kind": "frontier", "points": points, "basis": 3, **drawn, "posterior": _posterior(request)}
    return cache.get_or_compute("optimisation", key, compute, refresh=refresh)


# What the frontier does not depend on: which portfolio on (or off) it the run chose. It is drawn from
# the statistics (the posterior's with Black-Litterman: its views), the rate and the constraints, so
# runs of the same universe with other objectives (minimum volatility, a target, HRP) share it.
NOT_DRAWN = ("objective", "target_volatility", "target_return", "risk_aversion", "bl_objective")


def _posterior(request: OptimisationRequest) -> bool:
    return request.objective == "black_litterman"


def performance(request: OptimisationRequest, weights: dict[str, float]) -> tuple[float, float, float]:
    """(expected return, volatility, Sharpe) of ``weights`` under the statistics the page shows."""

    stats = shown_statistics(request)
    vector = np.array([float(weights.get(t, 0.0)) for t in stats.tickers])
    if not np.isfinite(vector).all() or vector.sum() <= 0:
        raise InvalidInput("The current weights are not valid for these assets.")
    return portfolio_performance(vector / vector.sum(), stats.mu, stats.cov, request.risk_free_rate)


def latest_closes(request: OptimisationRequest) -> dict[str, float]:
    """The last close of each asset in the request's window (kept on their own: every run and frontier
    point prices its allocation with them, and the window's whole history is much larger to read)."""

    def read():
        last = load_prices(request.tickers, request.start, request.end).ffill().iloc[-1]
        return {t: float(v) for t, v in last.items()}

    key = {"latest": list(request.tickers), "start": request.start, "end": request.end}
    return cache.get_or_compute("market_data", key, read)


def allocate(request: OptimisationRequest, weights: dict[str, float], cash: float):
    """Whole shares for ``cash`` at the latest prices of the request's window (``engine.optimize.Allocation``)."""
    latest = latest_closes(request)
    key = {
        "kind": "allocation",
        "weights": {t: round(w, 12) for t, w in weights.items()},
        "cash": cash,
        "tickers": list(request.tickers),
        "start": request.start,
        "end": request.end,
    }
    return cache.get_or_compute("optimisation", key, lambda: discrete_allocation(weights, latest, cash))


def basis(request: OptimisationRequest, weights: dict[str, float], assumptions_id: int | None) -> Basis:
    """What the optimisation's expected returns rest on: the firm's set, or the historical estimate
    compared with the firm's figures for the optimal ``weights`` (cached with the optimisation)."""

    def compute():
        tickers = list(weights)
        vector = [weights[t] for t in tickers]
        if request.returns_model == FIRM:
            return firm_basis(request.assumptions, tickers, vector)
        stats = statistics(request)
        index = {t: i for i, t in enumerate(stats.tickers)}
        w = np.array([weights.get(t, 0.0) for t in stats.tickers])
        figures = (float(w @ stats.mu), float(np.sqrt(max(float(w @ stats.cov @ w), 0.0))))
        days = load_prices(request.tickers, request.start, request.end).index
        months = (days[-1].year - days[0].year) * 12 + days[-1].month - days[0].month
        return compared(
            request.returns_model,
            figures,
            assumptions_id,
            tickers,
            vector,
            history=(f"{days[0]:%Y-%m}", f"{days[-1]:%Y-%m}", months),
            implausible_assets=[(t, float(stats.mu[index[t]])) for t in stats.tickers],
        )

    key = {
        "kind": "basis",
        **request.key(),
        "weights": {t: round(w, 12) for t, w in weights.items()},
        "compared_with": assumptions_id,
        "bounds": bounds_key(),
    }
    return cache.get_or_compute("optimisation", key, compute)
