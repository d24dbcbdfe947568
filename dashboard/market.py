"""The bundled market data: reading the CSVs, loading them into the database, reading prices back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, select

from dashboard.models import Price, Security

# Identifies the bundled data in cache keys; change it when the files change.
DATASET_ID = "pypfopt-2018-04-11"
BENCHMARK_TICKER = "SPY"

# Ticker -> (name, GICS sector as of today's classification).
SECURITIES: dict[str, tuple[str, str]] = {
    "GOOG": ("Alphabet Inc. Class C", "Communication Services"),
    "AAPL": ("Apple Inc.", "Information Technology"),
    "FB": ("Meta Platforms, Inc. (Facebook)", "Communication Services"),
    "BABA": ("Alibaba Group Holding Ltd. ADR", "Consumer Discretionary"),
    "AMZN": ("Amazon.com, Inc.", "Consumer Discretionary"),
    "GE": ("General Electric Co.", "Industrials"),
    "AMD": ("Advanced Micro Devices, Inc.", "Information Technology"),
    "WMT": ("Walmart Inc.", "Consumer Staples"),
    "BAC": ("Bank of America Corp.", "Financials"),
    "GM": ("General Motors Co.", "Consumer Discretionary"),
    "T": ("AT&T Inc.", "Communication Services"),
    "UAA": ("Under Armour, Inc. Class A", "Consumer Discretionary"),
    "SHLD": ("Sears Holdings Corp.", "Consumer Discretionary"),
    "XOM": ("Exxon Mobil Corp.", "Energy"),
    "RRC": ("Range Resources Corp.", "Energy"),
    "BBY": ("Best Buy Co., Inc.", "Consumer Discretionary"),
    "MA": ("Mastercard Inc.", "Financials"),
    "PFE": ("Pfizer Inc.", "Health Care"),
    "JPM": ("JPMorgan Chase & Co.", "Financials"),
    "SBUX": ("Starbucks Corp.", "Consumer Discretionary"),
    "SPY": ("SPDR S&P 500 ETF Trust", None),
}
ASSET_CLASSES = {"SPY": "equity_etf"}

# Approximate shares outstanding in early 2018 (billions; all share classes), used only to
# weight the market-implied prior of Black-Litterman: capitalisation = shares x close on the
# valuation day. For SPY, the fund's approximate assets (~$260 bn) expressed the same way.
APPROX_SHARES_BN: dict[str, float] = {
    "GOOG": 0.695,
    "AAPL": 5.07,
    "FB": 2.90,
    "BABA": 2.57,
    "AMZN": 0.485,
    "GE": 8.68,
    "AMD": 0.97,
    "WMT": 2.95,
    "BAC": 10.2,
    "GM": 1.40,
    "T": 6.14,
    "UAA": 0.445,
    "SHLD": 0.108,
    "XOM": 4.24,
    "RRC": 0.245,
    "BBY": 0.29,
    "MA": 1.05,
    "PFE": 5.95,
    "JPM": 3.43,
    "SBUX": 1.40,
    "SPY": 0.98,
}


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
