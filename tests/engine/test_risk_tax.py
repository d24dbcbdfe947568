"""Risk, diversification and tax against independent computations."""

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from engine import errors
from engine.diversification import diversification_report, effective_bets, risk_contributions
from engine.risk import STRESS_WINDOWS, risk_report, var_table
from engine.tax import Lot, Purchase, is_long_term, net_tax, tax_report

TICKERS = ["AAPL", "XOM", "JPM", "PFE"]
W = np.array([0.4, 0.2, 0.25, 0.15])


@pytest.fixture(scope="module")
def window(stock_prices):
    return stock_prices[TICKERS].loc["2012":]


def test_risk001_metrics_against_independent_computations(window, spy):
    report = risk_report(window, W, spy, risk_free_rate=0.01, mc_paths=50_000, seed=1)
    r = window.pct_change().iloc[1:].to_numpy() @ W
    assert report.volatility == pytest.approx(r.std(ddof=1) * np.sqrt(252), rel=1e-9)
    years = len(r) / 252
    assert report.annual_return == pytest.approx(np.prod(1 + r) ** (1 / years) - 1, rel=1e-9)
    market = spy.reindex(window.index).pct_change().iloc[1:].to_numpy()
    assert report.beta == pytest.approx(np.cov(r, market)[0, 1] / np.var(market, ddof=1), rel=1e-6)
    index = np.cumprod(1 + r)
    assert report.max_drawdown == pytest.approx(
        np.max(1 - index / np.maximum.accumulate(np.maximum(index, 1))), rel=1e-9
    )
    downside = np.minimum(r - ((1.01) ** (1 / 252) - 1), 0)
    assert report.sortino == pytest.approx(
        (report.annual_return - 0.01) / (np.sqrt((downside**2).mean()) * np.sqrt(252))
    )


def test_risk002_var_methods_agree_with_definitions(window):
    r = window.pct_change().iloc[1:].to_numpy() @ W
    rows = {(row.method, row.confidence): row for row in var_table(r)}
    assert rows["historical", 0.95].var == pytest.approx(-np.quantile(r, 0.05))
    z = sps.norm.ppf(0.01)
    assert rows["parametric", 0.99].var == pytest.approx(-(r.mean() + r.std(ddof=1) * z))
    # Cornish-Fisher equals the normal VaR when skew and excess kurtosis vanish
    normal = np.random.default_rng(0).normal(0.0005, 0.01, 200_000)
    rows_n = {(row.method, row.confidence): row for row in var_table(normal)}
    assert rows_n["cornish_fisher", 0.95].var == pytest.approx(rows_n["parametric", 0.95].var, rel=0.02)
    assert rows_n["cornish_fisher", 0.95].cvar == pytest.approx(rows_n["parametric", 0.95].cvar, rel=0.02)


def test_risk005_monte_carlo_var_from_numpys_multivariate_normal(window):
    """The Monte Carlo rows are the quantile and tail mean of numpy's joint-normal draws of the assets'
    daily returns (sample mean and covariance, eigen factor), held at the weights."""
    daily = window.pct_change().iloc[1:].to_numpy()
    r = daily @ W
    rng = np.random.default_rng(7)
    drawn = (
        rng.multivariate_normal(daily.mean(axis=0), np.cov(daily, rowvar=False), 50_000, method="eigh") @ W
    )
    rows = {
        (row.method, row.confidence): row
        for row in var_table(r, asset_returns=daily, weights=W, paths=50_000, seed=7)
    }
    for confidence in (0.95, 0.99):
        cut = np.quantile(drawn, 1 - confidence)
        assert rows["monte_carlo", confidence].var == pytest.approx(-cut, rel=1e-9)
        assert rows["monte_carlo", confidence].cvar == pytest.approx(-drawn[drawn <= cut].mean(), rel=1e-9)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), df=st.floats(2.5, 30))
def test_risk003_var_never_exceeds_cvar(seed, df):
    r = sps.t.rvs(df, size=1500, random_state=seed) * 0.01
    rows = var_table(r)
    for row in rows:
        if row.method == "cornish_fisher" and np.isnan(row.var):
            continue  # outside the expansion's domain: reported as unavailable
        assert row.var <= row.cvar + 1e-12, row
    assert not np.isnan([row.var for row in rows if row.method != "cornish_fisher"]).any()


def test_risk004_stress_windows_replay_todays_weights(stock_prices, spy):
    report = risk_report(
        stock_prices[["AAPL", "FB"]].loc["2016":], [0.5, 0.5], spy, stress_prices=stock_prices[["AAPL", "FB"]]
    )
    by_name = {s.name: s for s in report.stress}
    gfc = by_name["2008-09 global financial crisis"]
    a = stock_prices["AAPL"]
    aapl = a.loc[gfc.end.isoformat()] / a.loc[gfc.start.isoformat()] - 1
    market = spy.loc[gfc.end.isoformat()] / spy.loc[gfc.start.isoformat()] - 1
    assert gfc.proxied == ("FB",)  # FB did not trade yet: the benchmark stands in
    assert gfc.portfolio_return == pytest.approx(0.5 * aapl + 0.5 * market, rel=1e-9)
    assert len(report.stress) == len(STRESS_WINDOWS)


def test_div001_contributions_hhi_and_bets(window):
    report = diversification_report(
        window, W, {"AAPL": "Tech", "XOM": "Energy", "JPM": "Fin", "PFE": "Health"}
    )
    assert sum(report.risk_contributions.values()) == pytest.approx(1.0)
    assert report.hhi == pytest.approx((W**2).sum())
    assert report.effective_holdings == pytest.approx(1 / (W**2).sum())
    assert 1.0 <= report.effective_bets <= len(W)
    assert sorted(report.tickers) == sorted(TICKERS)
    corr = window.pct_change().iloc[1:][list(report.tickers)].corr().to_numpy()
    np.testing.assert_allclose(report.correlation, corr, atol=1e-9)
    assert report.sector_exposure["Tech"] == pytest.approx(0.4)


def test_div002_effective_bets_limits():
    independent = np.diag([0.04, 0.04, 0.04, 0.04])
    assert effective_bets(np.full(4, 0.25), independent) == pytest.approx(4.0)
    one_factor = np.full((4, 4), 0.04)
    assert effective_bets(np.full(4, 0.25), one_factor) == pytest.approx(1.0)
    np.testing.assert_allclose(risk_contributions(np.full(4, 0.25), independent), 0.25)


AS_OF = dt.date(2018, 4, 11)


def test_tax001_terms_gains_and_netting():
    assert is_long_term(dt.date(2017, 4, 10), AS_OF)
    assert not is_long_term(dt.date(2017, 4, 11), AS_OF)  # exactly one year is still short-term
    lots = [
        Lot(1, "AAPL", dt.date(2015, 1, 2), 10, 100.0),  # long-term gain
        Lot(2, "XOM", dt.date(2018, 1, 2), 20, 90.0),  # short-term loss
        Lot(3, "GE", dt.date(2016, 5, 2), 50, 30.0),  # long-term loss
    ]
    report = tax_report(
        lots,
        {"AAPL": 170.0, "XOM": 75.0, "GE": 13.0},
        AS_OF,
        short_term_rate=0.35,
        long_term_rate=0.15,
        min_loss=0,
    )
    assert report.long_term_gain == pytest.approx(700 - 850)
    assert report.short_term_gain == pytest.approx(-300)
    tax, carry = net_tax(-300, -150, 0.35, 0.15)
    assert report.estimated_tax == pytest.approx(tax) and report.loss_carryforward == pytest.approx(carry)
    assert net_tax(1000, -400, 0.35, 0.15) == (pytest.approx(600 * 0.35), 0.0)


def test_tax002_harvesting_and_wash_sales():
    lots = [Lot(1, "XOM", dt.date(2017, 6, 1), 20, 90.0), Lot(2, "GE", dt.date(2016, 5, 2), 50, 30.0)]
    purchases = [Purchase("XOM", dt.date(2018, 3, 25), 5)]  # within 30 days before the sale
    report = tax_report(lots, {"XOM": 75.0, "GE": 13.0}, AS_OF, purchases, 0.35, 0.15)
    by_ticker = {c.lot_gain.lot.ticker: c for c in report.candidates}
    assert by_ticker["XOM"].wash_sale and by_ticker["XOM"].conflicting_purchases[0].date == dt.date(
        2018, 3, 25
    )
    # 5 of the 20 shares were bought back: the loss on 5 is disallowed, the rest counts
    assert by_ticker["XOM"].disallowed_loss == pytest.approx(5 * 15)
    assert not by_ticker["GE"].wash_sale
    # 850 long-term + 225 short-term loss, no gains this year: deducted from ordinary income
    assert report.estimated_savings == pytest.approx((850 + 225) * 0.35)
    # a purchase 31 days before is outside the window
    clean = tax_report(lots, {"XOM": 75.0, "GE": 13.0}, AS_OF, [Purchase("XOM", dt.date(2018, 3, 11), 5)])
    assert not {c.lot_gain.lot.ticker: c for c in clean.candidates}["XOM"].wash_sale
    with pytest.raises(errors.InvalidInputError, match="No price"):
        tax_report(lots, {"XOM": 75.0}, AS_OF)
