"""The securities Meridian knows: tickers, names, sectors (pure constants, no I/O).

Shared by the forms (the asset choices), the analytics facade (sectors, the
Black-Litterman prior) and the data layer (what the bundled prices hold).
"""

from __future__ import annotations

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

# What a security without a GICS sector (an ETF) is grouped under.
BROAD_MARKET = "Broad market (ETF)"


def sector_of(ticker: str) -> str:
    """The ticker's sector, or ``BROAD_MARKET`` for a fund."""
    return SECURITIES[ticker][1] or BROAD_MARKET


SECTORS: tuple[str, ...] = tuple(sorted({s for _, s in SECURITIES.values() if s}))
