"""Backtests through the cache: portfolios of target weights and a benchmark, month-end to month-end."""

from __future__ import annotations

import dataclasses

from dashboard.analytics.market import load_prices
from dashboard.analytics.requests import BacktestRequest
from dashboard.extensions import cache
from dashboard.metrics.store import track_performance


@track_performance("facade.backtest")
def backtest(request: BacktestRequest, household: int | None = None, refresh: bool = False):
    """``engine.backtest.Backtest`` of the request (its own prices: each asset's whole history, so the
    engine can name an asset that cannot cover the window instead of the window shrinking)."""
    from engine.backtest import Allocation, Settings
    from engine.backtest import backtest as run

    def compute():
        prices = load_prices(request.tickers())
        portfolios = [Allocation(name, dict(weights)) for name, weights in request.portfolios]
        benchmark = Allocation(request.benchmark_name, dict(request.benchmark)) if request.benchmark else None
        settings = Settings(**{f.name: getattr(request, f.name) for f in dataclasses.fields(Settings)})
        return run(prices, portfolios, benchmark, settings)

    return cache.get_or_compute("backtest", request.key(), compute, household=household, refresh=refresh)
