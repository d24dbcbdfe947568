"""Risk through the cache: metrics, drawdowns, VaR/CVaR by four methods, stress windows."""

from __future__ import annotations

from dashboard.analytics.market import load_prices
from dashboard.analytics.requests import RiskRequest
from dashboard.data.securities import BENCHMARK_TICKER
from dashboard.extensions import cache
from dashboard.metrics.store import track_performance
from engine.risk import risk_report, stress_tests


@track_performance("facade.risk")
def risk(request: RiskRequest, household: int | None = None, refresh: bool = False):
    """``engine.risk.RiskReport`` of the holdings over the request's window."""

    def compute():
        window = request.window
        benchmark = load_prices([BENCHMARK_TICKER])[BENCHMARK_TICKER]
        return risk_report(
            load_prices(window.tickers, window.start, window.end),
            list(window.weights),
            benchmark,
            request.risk_free_rate,
            request.paths,
            request.seed,
            stressed=stressed(window.tickers, window.weights, benchmark, household, refresh),
        )

    return cache.get_or_compute("risk", request.key(), compute, household=household, refresh=refresh)


def stressed(tickers: tuple[str, ...], weights: tuple[float, ...], benchmark, household, refresh: bool):
    """The stress windows replayed for these holdings, over their whole history (before the analysis
    window too): kept on their own, since they depend on neither the seed, the window nor the rate - a
    run of the same holdings with another seed (most of the scenarios asked) computes them once."""

    def compute():
        return stress_tests(load_prices(tickers), list(weights), benchmark)

    key = {"stress": tickers, "weights": weights}
    return cache.get_or_compute("risk", key, compute, household=household, refresh=refresh)
