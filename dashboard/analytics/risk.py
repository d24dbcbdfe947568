"""Risk through the cache: metrics, drawdowns, VaR/CVaR by four methods, stress windows."""

from __future__ import annotations

from dashboard.analytics.market import load_prices
from dashboard.analytics.requests import RiskRequest
from dashboard.data.securities import BENCHMARK_TICKER
from dashboard.extensions import cache
from dashboard.metrics.store import track_performance
from engine.risk import risk_report


@track_performance("facade.risk")
def risk(request: RiskRequest, household: int | None = None, refresh: bool = False):
    """``engine.risk.RiskReport`` of the holdings over the request's window."""

    def compute():
        window = request.window
        prices = load_prices(window.tickers, window.start, window.end)
        full = load_prices(window.tickers)  # the stress windows reach back before the analysis window
        benchmark = load_prices([BENCHMARK_TICKER])[BENCHMARK_TICKER]
        return risk_report(
            prices,
            list(window.weights),
            benchmark,
            request.risk_free_rate,
            request.paths,
            request.seed,
            stress_prices=full,
        )

    return cache.get_or_compute("risk", request.key(), compute, household=household, refresh=refresh)
