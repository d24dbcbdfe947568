"""The bundled market data: reading the CSVs, loading them into the database, reading prices back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, select

from dashboard.data.models import Price, Security
from dashboard.data.securities import ASSET_CLASSES, DATASET_ID, SECURITIES


@lru_cache(maxsize=4)
def read_bundled_prices(market_data_path: Path) -> pd.DataFrame:
    """Wide frame of adjusted closes (dates x tickers, NaN before a security traded).

    Read-only and cached per process: callers must not mutate it.
    """
    stocks = pd.read_csv(market_data_path / "stock_prices.csv", parse_dates=["date"], index_col="date")
    spy = pd.read_csv(market_data_path / "spy_prices.csv", parse_dates=["date"], index_col="date")
    frame = stocks.join(spy, how="outer").sort_index()
    frame.index.name = "date"
    unknown = set(frame.columns) - set(SECURITIES)
    if unknown:
        raise ValueError(f"bundled prices contain unknown tickers: {sorted(unknown)}")
    return frame


def load_securities_and_prices(conn: Connection, market_data_path: Path, bulk_insert) -> int:
    """Insert the bundled securities and their prices; returns the number of price rows."""
    frame = read_bundled_prices(market_data_path)
    securities = [
        (i + 1, ticker, name, sector, ASSET_CLASSES.get(ticker, "equity"), "USD", DATASET_ID)
        for i, (ticker, (name, sector)) in enumerate(SECURITIES.items())
    ]
    bulk_insert(
        conn,
        Security.__table__,
        ("id", "ticker", "name", "sector", "asset_class", "currency", "dataset"),
        securities,
    )
    ids = {ticker: sid for sid, ticker, *_ in securities}
    long = frame.reset_index().melt(id_vars="date", var_name="ticker", value_name="close").dropna()
    long = long.sort_values(["ticker", "date"], kind="stable")
    rows = list(
        zip(
            range(1, len(long) + 1),
            long["ticker"].map(ids).tolist(),
            long["date"].dt.strftime("%Y-%m-%d").tolist(),
            long["close"].astype(float).tolist(),
            strict=True,
        )
    )
    bulk_insert(conn, Price.__table__, ("id", "security_id", "date", "close"), rows)
    return len(rows)


def prices_from_db(
    conn: Connection,
    tickers: Sequence[str],
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Wide frame of closes for ``tickers`` between ``start`` and ``end`` (inclusive), dates x tickers.

    Read with plain SQL into columns: building a frame from ~10^5 ORM rows
    costs seconds, from three columns milliseconds.
    """
    tickers = list(tickers)
    query = select(Price.date, Security.ticker, Price.close).join(Security, Security.id == Price.security_id)
    query = query.where(Security.ticker.in_(tickers))
    if start is not None:
        query = query.where(Price.date >= start)
    if end is not None:
        query = query.where(Price.date <= end)
    compiled = query.compile(conn, compile_kwargs={"render_postcompile": True})
    params = (
        tuple(compiled.params[k] for k in compiled.positiontup) if compiled.positiontup else compiled.params
    )
    result = conn.exec_driver_sql(str(compiled), params)
    rows = result.cursor.fetchall()  # plain DB-API tuples
    result.close()
    dates, names, closes = zip(*rows, strict=True) if rows else ((), (), ())
    frame = pd.DataFrame(
        {"date": pd.to_datetime(pd.Series(dates).astype(str)), "ticker": names, "close": closes}
    )
    wide = frame.pivot(index="date", columns="ticker", values="close").sort_index()
    wide.columns.name = None
    wide.index.name = "date"
    return wide.reindex(columns=[t for t in tickers if t in wide.columns]).astype(float)
