"""Figures that cannot contradict each other, at the extremes, and silent estimates made explicit
(issue 15, defects 6 and 7)."""

import numpy as np
import pytest

from engine.montecarlo import CashFlows, ReturnModel, simulate
from engine.optimize import SectorLimits, estimate, optimize
from engine.optimize.constraints import clean_weights
from engine.retirement import RetirementPlan, simulate_retirement
from engine.risk import risk_report


@pytest.mark.parametrize(
    "flows",
    [
        CashFlows(100_000, inflation=1.0, annual_fee=0.2),  # no withdrawals: inflation and fees alone
        CashFlows(100_000, inflation=0.5, annual_fee=0.1, withdrawal_rate=0.3),
        CashFlows(100_000, monthly_withdrawal=900, inflation=0.05),
        CashFlows(100_000, monthly_contribution=10, inflation=0.6, annual_fee=0.2),
        CashFlows(100_000),
    ],
)
def test_con001_never_depleted_and_ending_wealth_agree(flows):
    result = simulate(ReturnModel.gbm(0.05, 0.3), flows, 360, 4000, 7)
    median = result.ending_wealth_percentiles[50]
    assert (result.probability_of_success >= 0.5) == (median >= 1.0)
    assert result.probability_of_success == pytest.approx(1 - result.probability_of_depletion)
    # every path not depleted ends with at least a dollar of today's money
    assert (result.ending_wealth_real >= 1.0).mean() == pytest.approx(result.probability_of_success)


def test_con002_retirement_success_and_ending_wealth_agree_at_the_extremes():
    plan = RetirementPlan(
        60, 60, 90, 500_000, strategy="constant_percentage", withdrawal_rate=0.5, inflation=1.0
    )
    result = simulate_retirement(ReturnModel.gbm(0.05, 0.2), plan, 2000, 1)
    assert result.median_ending_wealth < 1.0 and result.success_rate < 0.5


def test_con003_guardrails_losing_year_is_the_portfolios_own_return():
    """Every year returns +0.5 % (a crash, then a recovery, in some order): never a losing year, so real
    spending is held in year two on every path, however the withdrawals fell around the crash."""
    rise = (1.005 / 0.7) ** (1 / 11) - 1
    year = [-0.3] + [rise] * 11
    model = ReturnModel.bootstrap([1.0], np.array(year * 2)[:, None], block_months=12)
    plan = RetirementPlan(
        60, 60, 90, 1_000_000, annual_spending=40_000, strategy="guardrails", inflation=0.02
    )
    result = simulate_retirement(model, plan, 2000, 1)
    for p in (5, 50, 95):
        assert result.spending_percentiles[p][1] == pytest.approx(40_000, rel=1e-9), p


def test_con004_unreachable_target_volatility_is_said(stats):
    result = optimize(stats, "efficient_risk", target_volatility=0.9)
    (note,) = [w for w in result.warnings if "not reached" in w]
    assert "90.00%" in note and f"{result.volatility:.2%}" in note
    reachable = optimize(stats, "efficient_risk", target_volatility=0.2)
    assert reachable.volatility == pytest.approx(0.2, abs=1e-4)
    assert not any("not reached" in w for w in reachable.warnings)


def test_con005_cleaned_weights_honour_caps_and_sector_limits():
    tickers = [f"T{i}" for i in range(14)]
    raw = np.array([0.08] * 12 + [0.04 - 4e-6, 4e-6])  # dust in the last, the rest at or near their cap
    for bounds, sectors in (
        ((0.0, 0.08), None),
        (
            (0.0, 0.1),
            SectorLimits({t: ("a" if i < 7 else "b") for i, t in enumerate(tickers)}, {}, {"a": 0.56}),
        ),
    ):
        cleaned = clean_weights(raw, bounds, sectors, tickers)
        assert cleaned[-1] == 0 and cleaned.sum() == pytest.approx(1.0, abs=1e-15)
        assert (cleaned <= bounds[1] + 1e-15).all() and (cleaned >= 0).all()
        if sectors is not None:
            assert cleaned[:7].sum() <= 0.56 + 1e-15
    # a solver's slight overshoot of the cap is clipped, not rescaled over it
    over = clean_weights(np.array([0.0800007] * 12 + [0.0399916]), (0.0, 0.08), None, tickers[:13])
    assert over.max() <= 0.08 and over.sum() == pytest.approx(1.0, abs=1e-15)


def test_con006_optimised_weights_honour_an_eight_percent_cap(stock_prices):
    stats = estimate(stock_prices.loc["2014":].dropna(axis=1))
    for objective in ("max_sharpe", "min_volatility"):
        result = optimize(stats, objective, bounds=(0.0, 0.08))
        weights = np.array(list(result.weights.values()))
        assert weights.max() <= 0.08 + 1e-15 and weights.sum() == pytest.approx(1.0, abs=1e-12)


def test_con007_beta_needs_the_benchmark_over_the_window(stock_prices, spy):
    window = stock_prices[["AAPL", "XOM"]].loc["2012":]
    full = risk_report(window, [0.5, 0.5], spy, mc_paths=1000)
    assert full.beta is not None and full.beta_observations == full.observations
    assert f"{full.observations:,} of {full.observations:,}" in full.beta_note
    sparse = spy.loc[window.index[-200] :]  # the benchmark covers the last 200 days only
    short = risk_report(window, [0.5, 0.5], sparse, mc_paths=1000)
    assert short.beta is None and short.beta_observations < 200 and "only" in short.beta_note
