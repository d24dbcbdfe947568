"""Market data for the engine: prices by tickers and dates (cached), sectors, capitalisations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from dashboard.data.securities import APPROX_SHARES_BN, DATASET_ID
from dashboard.errors import InvalidInput
from dashboard.extensions import cache
from dashboard.metrics.store import track_performance
from dashboard.services.catalogue import sector_of
from dashboard.services.prices import read_prices

# Part of every market-data key: bump when what the facade stores changes shape.
FORMAT = 2


@track_performance("facade.load_prices")
def load_prices(
    tickers: Sequence[str], start: str | None = None, end: str | None = None, refresh: bool = False
) -> pd.DataFrame:
    """Closes of ``tickers`` between ISO dates ``start`` and ``end`` (cached as market data).

    The window ends on the last day every asset has a price (SPY's history runs longer).
    """
    tickers = list(tickers)
    request = {"dataset": DATASET_ID, "tickers": tickers, "start": start, "end": end, "format": FORMAT}

    def read():
        frame = history(tickers, refresh)
        if start is not None or end is not None:  # inclusive, as the database reads them
            frame = frame.loc[_day(start) : _day(end)]
        missing = [t for t in tickers if t not in frame.columns or frame[t].isna().all()]
        if missing:
            raise InvalidInput(f"No prices for {', '.join(missing)} in the chosen dates.")
        return frame.loc[: min(frame[t].last_valid_index() for t in tickers)]

    return cache.get_or_compute("market_data", request, read, refresh=refresh)


def _day(iso: str | None) -> pd.Timestamp | None:
    return None if iso is None else pd.Timestamp(dt.date.fromisoformat(iso))


def history(tickers: Sequence[str], refresh: bool = False) -> pd.DataFrame:
    """Every close of ``tickers`` the database holds (cached): each window of them is cut from it, not
    read again (the same frame as the window read from the database: the dates where any of them
    traded, inclusive bounds)."""
    tickers = list(tickers)
    request = {"dataset": DATASET_ID, "history": tickers, "format": FORMAT}
    return cache.get_or_compute(
        "market_data", request, lambda: read_prices(tickers, None, None), refresh=refresh
    )


def market_caps(tickers: Sequence[str], prices: pd.DataFrame) -> dict[str, float]:
    """Approximate capitalisations (USD) on the last day of ``prices``, for the Black-Litterman prior."""
    missing = [t for t in tickers if t not in APPROX_SHARES_BN]
    if missing:
        raise InvalidInput(
            f"Black-Litterman weighs its market-implied prior by capitalisation, and {', '.join(missing)} "
            "has none (imported prices carry no shares outstanding): leave it out or choose another "
            "expected-returns model."
        )
    last = prices.ffill().iloc[-1]
    return {t: APPROX_SHARES_BN[t] * 1e9 * float(last[t]) for t in tickers}


def sectors(tickers: Sequence[str]) -> dict[str, str]:
    return {t: sector_of(t) for t in tickers}
