"""Prices from the database, for the analytics facade (which caches them as market data)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from dashboard.data.market import prices_from_db
from dashboard.extensions import db


def read_prices(tickers: Sequence[str], start: str | None, end: str | None) -> pd.DataFrame:
    """Wide frame of closes (dates x tickers) between ISO dates ``start`` and ``end`` (either open)."""
    with db.engine.connect() as conn:
        return prices_from_db(
            conn,
            tickers,
            dt.date.fromisoformat(start) if start else None,
            dt.date.fromisoformat(end) if end else None,
        )
