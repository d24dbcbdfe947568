import pandas as pd
import pytest

from dashboard.settings import PROJECT_ROOT

MARKET = PROJECT_ROOT / "data" / "market"


@pytest.fixture(scope="session")
def stock_prices() -> pd.DataFrame:
    return pd.read_csv(MARKET / "stock_prices.csv", parse_dates=["date"], index_col="date")


@pytest.fixture(scope="session")
def spy() -> pd.Series:
    return pd.read_csv(MARKET / "spy_prices.csv", parse_dates=["date"], index_col="date")["SPY"]


@pytest.fixture(scope="session")
def stats(stock_prices):
    from engine.optimize import estimate

    return estimate(stock_prices)
