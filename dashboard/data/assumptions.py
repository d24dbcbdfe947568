"""The seeded capital market assumptions: derived from the bundled prices (docs/assumptions.md), written
with the demo data so a fresh database forecasts with the firm's figures from the start."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from sqlalchemy import Connection, insert

from dashboard.data.models import AssumptionSet
from dashboard.data.securities import BENCHMARK_TICKER
from engine.assumptions import CapitalMarketAssumptions, derive

SEEDED_NAME = "Meridian house view (derived from 1993-2018 prices)"
SEEDED_SOURCE = "derived from the bundled prices (docs/assumptions.md)"


def seeded_set(prices: pd.DataFrame, as_of: dt.date) -> CapitalMarketAssumptions:
    """The set :func:`engine.assumptions.derive` makes from ``prices`` (dates x tickers, the benchmark
    among them) up to ``as_of``, effective that day."""
    window = prices.loc[: pd.Timestamp(as_of)]
    stocks = window.drop(columns=[BENCHMARK_TICKER])
    return derive(stocks, window[BENCHMARK_TICKER], name=SEEDED_NAME, effective=as_of.isoformat())


def insert_set(
    conn: Connection,
    assumptions: CapitalMarketAssumptions,
    source: str,
    created_by: str,
    created_at: dt.datetime,
) -> None:
    """Write a set as a new row (sets are never changed once written)."""
    conn.execute(
        insert(AssumptionSet).values(
            name=assumptions.name,
            effective_on=dt.date.fromisoformat(assumptions.effective),
            inflation=assumptions.inflation,
            cash_rate=assumptions.cash_rate,
            default_class=assumptions.default_class,
            body=json.dumps(assumptions.body(), sort_keys=True),
            method=assumptions.method,
            source=source,
            created_by=created_by,
            created_at=created_at,
        )
    )
