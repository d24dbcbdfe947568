"""Diversification through the cache: clustered correlations, risk contributions, effective bets, sectors."""

from __future__ import annotations

from dashboard.analytics.market import load_prices, sectors
from dashboard.analytics.requests import HoldingsWindow
from dashboard.extensions import cache
from dashboard.metrics.store import track_performance
from engine.diversification import diversification_report


@track_performance("facade.diversification")
def diversification(window: HoldingsWindow, household: int | None = None, refresh: bool = False):
    """``engine.diversification.DiversificationReport`` of the holdings."""

    def compute():
        prices = load_prices(window.tickers, window.start, window.end)
        return diversification_report(prices, list(window.weights), sectors(window.tickers))

    return cache.get_or_compute(
        "diversification", window.key(), compute, household=household, refresh=refresh
    )
