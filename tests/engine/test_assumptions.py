"""Capital market assumptions: the multi-index model's figures, the checks on a set, and the seeded set's
derivation, each against a computation written here from the formulas (docs/assumptions.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.assumptions import (
    AssetClass,
    AssumptionsError,
    CapitalMarketAssumptions,
    Derivation,
    Exposure,
    derive,
)
from tests.reference import bundled_prices


def three_classes(**changes) -> CapitalMarketAssumptions:
    base = {
        "name": "Test view",
        "effective": "2026-01-01",
        "inflation": 0.025,
        "cash_rate": 0.03,
        "default_class": "equity",
        "classes": (
            AssetClass("equity", "Equity", 0.075, 0.16, 0.30),
            AssetClass("bonds", "Bonds", 0.04, 0.05, 0.02),
            AssetClass("gold", "Gold", 0.035, 0.15, 0.10),
        ),
        "correlations": ((1.0, 0.1, 0.05), (0.1, 1.0, 0.2), (0.05, 0.2, 1.0)),
        "securities": (
            Exposure("AAA", "equity", 1.2, 0.25),
            Exposure("BND", "bonds", 0.9, 0.01),
            Exposure("GLD", "gold", 1.0, 0.0),
        ),
    }
    base.update(changes)
    return CapitalMarketAssumptions(**base)


def test_cma001_statistics_follow_the_formulas():
    cma = three_classes().validated()
    tickers = ["AAA", "BND", "GLD", "NEW"]  # NEW is not listed: the default class, beta 1
    mu, cov = cma.statistics(tickers)
    c = 0.03
    rows = [("equity", 1.2, 0.25), ("bonds", 0.9, 0.01), ("gold", 1.0, 0.0), ("equity", 1.0, 0.30)]
    sigma = {"equity": 0.16, "bonds": 0.05, "gold": 0.15}
    mean = {"equity": 0.075, "bonds": 0.04, "gold": 0.035}
    rho = {("equity", "bonds"): 0.1, ("equity", "gold"): 0.05, ("bonds", "gold"): 0.2}
    for i, (k, b, _) in enumerate(rows):
        assert mu[i] == pytest.approx(c + b * (mean[k] - c))
    for i, (ki, bi, ei) in enumerate(rows):
        for j, (kj, bj, _) in enumerate(rows):
            r = 1.0 if ki == kj else rho.get((ki, kj), rho.get((kj, ki)))
            expected = bi * bj * sigma[ki] * sigma[kj] * r + (ei**2 if i == j else 0.0)
            assert cov[i, j] == pytest.approx(expected, abs=1e-15)
    assert np.linalg.eigvalsh(cov).min() >= -1e-12
    weights = [0.4, 0.3, 0.2, 0.1]
    expected_return, volatility = cma.portfolio(tickers, weights)
    w = np.array(weights)
    assert expected_return == pytest.approx(float(w @ mu))
    assert volatility == pytest.approx(float(np.sqrt(w @ cov @ w)))
    assert cma.unlisted(tickers) == ["NEW"]
    assert cma.exposure("NEW") == (Exposure("NEW", "equity", 1.0, 0.30), False)


@pytest.mark.parametrize(
    "changes,expected",
    [
        (
            {"correlations": ((1.0, 0.9, -0.9), (0.9, 1.0, 0.9), (-0.9, 0.9, 1.0))},
            "not positive semidefinite",
        ),
        ({"correlations": ((1.0, 0.1, 0.05), (0.2, 1.0, 0.2), (0.05, 0.2, 1.0))}, "differs from"),
        ({"correlations": ((1.0, 1.5, 0.05), (1.5, 1.0, 0.2), (0.05, 0.2, 1.0))}, "between -1 and 1"),
        ({"correlations": ((1.0, 0.1), (0.1, 1.0))}, "must be 3 x 3"),
        ({"inflation": float("nan")}, "inflation"),
        ({"cash_rate": 0.9}, "the cash rate is 90 %"),
        ({"default_class": "crypto"}, "default class 'crypto'"),
        ({"effective": "next year"}, "not a date"),
        ({"name": "  "}, "no name"),
    ],
)
def test_cma002_an_inconsistent_set_is_refused_with_every_reason(changes, expected):
    with pytest.raises(AssumptionsError) as caught:
        three_classes(**changes).validated()
    assert any(expected in p for p in caught.value.problems), caught.value.problems


def test_cma003_classes_and_securities_are_checked_one_by_one():
    bad = three_classes(
        classes=(
            AssetClass("equity", "Equity", 0.075, 0.0, 0.3),  # volatility must be > 0
            AssetClass("bonds", "Bonds", 0.9, 0.05, 0.02),  # 90 % a year: a typing mistake
            AssetClass("Gold!", "Gold", 0.035, 0.15, 0.1),  # not a key
        ),
        securities=(Exposure("AAA", "equity", 12.0, 0.25), Exposure("AAA", "oil", 1.0, -0.1)),
    )
    problems = bad.problems()
    text = " | ".join(problems)
    for expected in (
        "the volatility of equity is 0 %",
        "the expected return of bonds is 90 %",
        "asset class key 'Gold!'",
        "the beta of AAA is 12",
        "security AAA is given more than once",
        "security AAA's class 'oil' is not one of the asset classes",
        "the idiosyncratic volatility of AAA is -10 %",
    ):
        assert expected in text, text
    with pytest.raises(AssumptionsError, match="cannot be used"):
        bad.validated()


def test_cma004_the_seeded_set_is_derived_as_documented():
    """docs/assumptions.md: the market's monthly returns give the class (mean less one standard error);
    each stock's OLS beta on the market, two thirds measured and one third 1; residual volatility."""
    tickers = ["AAPL", "XOM", "FB", "BABA"]
    stocks = bundled_prices(tickers, end="2018-04-11")
    market = bundled_prices(["SPY"], end="2018-04-11")["SPY"]
    cma = derive(stocks, market, name="Derived", effective="2018-04-11")

    def month_ends(series: pd.Series) -> pd.Series:
        s = series.dropna()
        ends = s.groupby([s.index.year, s.index.month]).tail(1)
        if ends.index[-1] < ends.index[-1] + pd.offsets.BMonthEnd(0):  # April 2018 is not whole
            ends = ends.iloc[:-1]
        ends.index = ends.index.to_period("M")
        return ends

    m = month_ends(market).pct_change().dropna()
    years = len(m) / 12
    mean, vol = m.mean() * 12, m.std(ddof=1) * np.sqrt(12)
    (equity,) = cma.classes
    assert equity.expected_return == pytest.approx(0.02 + (mean - 0.02) - vol / np.sqrt(years), abs=1e-6)
    assert equity.volatility == pytest.approx(vol, abs=1e-6)
    assert cma.inflation == 0.025 and cma.cash_rate == 0.02 and cma.correlations == ((1.0,),)
    listed = {s.ticker: s for s in cma.securities}
    assert listed["SPY"] == Exposure("SPY", "us_equity", 1.0, 0.0)
    idios = []
    for t in tickers:
        r = month_ends(stocks[t]).pct_change()
        both = pd.concat([r, m], axis=1, join="inner").dropna()
        if len(both) < 36:
            assert t not in listed  # too short a history: the defaults
            continue
        slope, intercept = np.polyfit(both.iloc[:, 1], both.iloc[:, 0], 1)
        residual = both.iloc[:, 0] - intercept - slope * both.iloc[:, 1]
        idio = np.sqrt((residual**2).sum() / (len(both) - 2)) * np.sqrt(12)
        assert listed[t].beta == pytest.approx(2 / 3 * slope + 1 / 3, abs=1e-4)
        assert listed[t].idiosyncratic_volatility == pytest.approx(idio, abs=1e-4)
        idios.append(idio)
    assert "BABA" in listed  # listed 2014-09: 42 whole months by 2018-03
    assert equity.idiosyncratic_volatility == pytest.approx(float(np.median(idios)), abs=1e-4)
    # prudence is a setting: none gives the historical mean itself
    plain = derive(stocks, market, name="x", effective="2018-04-11", settings=Derivation(prudence=0.0))
    assert plain.classes[0].expected_return == pytest.approx(mean, abs=1e-6)


def test_cma005_a_set_round_trips_through_its_plain_data():
    cma = three_classes().validated()
    again = CapitalMarketAssumptions.from_body(
        cma.body(),
        name=cma.name,
        effective=cma.effective,
        inflation=cma.inflation,
        cash_rate=cma.cash_rate,
        default_class=cma.default_class,
    )
    assert again == cma
