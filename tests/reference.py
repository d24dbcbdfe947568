"""Expected values computed independently of the code under test.

The "numbers on the page equal the engine" tests must not reach their
expectation through the callback's own helpers, forms, services or cache keys
(a bug there would cancel out). Here a household's holdings are read with a
query of the test's own, valued at the bundled CSV's closes, and handed to the
engine directly with the page's default settings written out by hand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import text

from dashboard.settings import PROJECT_ROOT

MARKET = PROJECT_ROOT / "data" / "market"


def bundled_prices(tickers, start: str | None = None, end: str | None = None) -> pd.DataFrame:
    """Closes from the bundled CSV files (dates x tickers), as the demo data loaded them."""
    stocks = pd.read_csv(MARKET / "stock_prices.csv", parse_dates=["date"], index_col="date")
    spy = pd.read_csv(MARKET / "spy_prices.csv", parse_dates=["date"], index_col="date")
    frame = stocks.join(spy, how="outer").sort_index()[list(tickers)]
    if start:
        frame = frame.loc[start:]
    if end:
        frame = frame.loc[:end]
    frame = frame.dropna(how="all")
    return frame.loc[: min(frame[t].last_valid_index() for t in tickers)]


@dataclass(frozen=True)
class Holdings:
    tickers: list[str]  # largest position first
    weights: list[float]  # by market value on the valuation date
    invested: float
    cash: float
    firm: FirmFigures | None = None  # the firm's assumptions in force, for these holdings


@dataclass(frozen=True)
class FirmFigures:
    """The set of firm assumptions in force, read with a query of the test's own, and what it gives the
    holdings, by the formulas of docs/assumptions.md written out here: ``mu_i = c + b_i (mu_k - c)``,
    ``cov_ij = b_i b_j s_k s_l R_kl + [i = j] e_i^2``."""

    set_id: int
    inflation: float
    mu: list[float]
    cov: list[list[float]]


def firm_figures(connection, tickers: list[str]) -> FirmFigures | None:
    import datetime as dt
    import json

    row = connection.execute(
        text(
            "SELECT id, inflation, cash_rate, default_class, body FROM assumption_sets "
            "WHERE effective_on <= :today ORDER BY effective_on DESC, id DESC LIMIT 1"
        ),
        {"today": dt.date.today()},
    ).first()
    if row is None:
        return None
    set_id, inflation, cash, default, body = row
    body = json.loads(body)
    order = [c["key"] for c in body["classes"]]
    classes = {c["key"]: c for c in body["classes"]}
    listed = {s["ticker"]: s for s in body["securities"]}
    exposure = [
        listed.get(t)
        or {
            "asset_class": default,
            "beta": 1.0,
            "idiosyncratic_volatility": classes[default]["idiosyncratic_volatility"],
        }
        for t in tickers
    ]
    mu = [cash + e["beta"] * (classes[e["asset_class"]]["expected_return"] - cash) for e in exposure]
    cov = []
    for i, a in enumerate(exposure):
        row_ = []
        for j, b in enumerate(exposure):
            ka, kb = a["asset_class"], b["asset_class"]
            rho = body["correlations"][order.index(ka)][order.index(kb)]
            value = a["beta"] * b["beta"] * classes[ka]["volatility"] * classes[kb]["volatility"] * rho
            if i == j:
                value += a["idiosyncratic_volatility"] ** 2
            row_.append(value)
        cov.append(row_)
    return FirmFigures(set_id, inflation, mu, cov)


def holdings(connection, household_id: int) -> Holdings:
    """The household's positions summed over its accounts, valued at the last bundled close."""
    rows = connection.execute(
        text(
            "SELECT s.ticker, SUM(h.quantity) FROM holdings h "
            "JOIN accounts a ON a.id = h.account_id JOIN securities s ON s.id = h.security_id "
            "WHERE a.household_id = :h AND h.quantity > 0 GROUP BY s.ticker"
        ),
        {"h": household_id},
    ).all()
    cash = connection.execute(
        text("SELECT COALESCE(SUM(cash_balance), 0) FROM accounts WHERE household_id = :h"),
        {"h": household_id},
    ).scalar()
    tickers = [t for t, _ in rows]
    last = bundled_prices(tickers).ffill().iloc[-1]
    values: dict[str, float] = defaultdict(float)
    for ticker, quantity in rows:
        values[ticker] += float(quantity) * float(last[ticker])
    ordered = sorted(values, key=lambda t: -values[t])
    invested = sum(values.values())
    weights = [values[t] / invested for t in ordered]
    return Holdings(ordered, weights, invested, float(cash), firm_figures(connection, ordered))


def percent(value: float, decimals: int = 1) -> str:
    """A fraction as the pages print it."""
    return f"{value * 100:.{decimals}f}%"


def money(value: float, decimals: int = 0) -> str:
    """An amount as the pages print it, written here from the convention (US dollars, thousands
    separated, the sign before the dollar sign), not with the app's own formatter: a bug there would
    otherwise cancel out."""
    digits = f"{abs(value):,.{decimals}f}"
    return ("-" if value < 0 and float(digits.replace(",", "")) != 0 else "") + "$" + digits


def parametric_model(held: Holdings, start: str = "2008-04-11"):
    """The household-holdings model every simulation page defaults to: normal, monthly rebalancing.

    Its inputs, computed here by hand: the mean ``m`` and covariance ``S`` of each holding's monthly log
    returns between its closes on each month's last trading day (its own whole months; the bundled data's
    April 2018 is not whole), handed over as the mean and covariance of the simple monthly returns of a
    lognormal step ``N(m, S)`` (x12)."""
    import numpy as np
    import pandas as pd

    from engine.montecarlo import ReturnModel

    prices = bundled_prices(held.tickers, start)
    ends = prices.groupby([prices.index.year, prices.index.month]).tail(1)
    if ends.index[-1] < ends.index[-1] + pd.offsets.BMonthEnd(0):
        ends = ends.iloc[:-1]
    logs = np.log(ends / ends.shift(1)).iloc[1:]
    m, s = logs.mean().to_numpy(), logs.cov().to_numpy()
    a = np.exp(m + np.diag(s) / 2) - 1
    c = np.outer(1 + a, 1 + a) * (np.exp(s) - 1)
    return ReturnModel.parametric(np.array(held.weights), 12 * a, 12 * c, "normal", 1)


def firm_model(held: Holdings):
    """The default model of every simulation page: the holdings under the firm's assumptions in force
    (normal, monthly rebalancing)."""
    import numpy as np

    from engine.montecarlo import ReturnModel

    return ReturnModel.parametric(
        np.array(held.weights), np.array(held.firm.mu), np.array(held.firm.cov), "normal", 1
    )


def monte_carlo(
    held: Holdings,
    paths: int,
    seed: int,
    years: int = 30,
    target: float | None = None,
    historical: bool = False,
):
    """The Monte Carlo page's default scenario: the holdings under the firm's assumptions (``historical``:
    the parametric model from 2008-04-11 with 2.5 % inflation), the set's inflation, 0.5 % fee, no flows."""
    from engine.montecarlo import CashFlows, simulate

    model = parametric_model(held) if historical else firm_model(held)
    inflation = 0.025 if historical else held.firm.inflation
    flows = CashFlows(round(held.invested, 2), 0.0, 0.0, 0.0, 0, inflation, 0.005)
    return simulate(model, flows, years * 12, paths, seed, target)
