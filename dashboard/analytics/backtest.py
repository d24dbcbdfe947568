"""Backtests through the cache: portfolios of target weights and a benchmark, month-end to month-end."""

from __future__ import annotations

from dashboard.analytics.market import load_prices
from dashboard.analytics.requests import BacktestRequest
from dashboard.extensions import cache
from dashboard.observability.metrics import track_performance


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
        settings = Settings(
            start=request.start,
            end=request.end,
            initial=request.initial,
            rebalance=request.rebalance,
            band=request.band,
            cash_flow=request.cash_flow,
            frequency=request.frequency,
            inflation=request.inflation,
            fee=request.fee,
            risk_free_rate=request.risk_free_rate,
            rolling=request.rolling,
            late_assets=request.late_assets,
        )
        return run(prices, portfolios, benchmark, settings)

    return cache.get_or_compute("backtest", request.key(), compute, household=household, refresh=refresh)
