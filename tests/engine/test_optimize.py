"""Optimisation: the reference values, objectives, constraints, Black-Litterman, allocation, errors."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.data.securities import SECURITIES
from engine import errors
from engine.frontier import efficient_frontier, naive_frontier
from engine.optimize import SectorLimits, View, discrete_allocation, estimate, make_psd, optimize


def test_opt001_max_sharpe_reference_values(stats):
    result = optimize(stats, "max_sharpe", risk_free_rate=0.02)
    np.testing.assert_allclose(
        [result.expected_return, result.volatility, result.sharpe], [0.30478, 0.22166, 1.28477], atol=5e-5
    )


def test_opt002_min_volatility_reference_values(stats):
    result = optimize(stats, "min_volatility", risk_free_rate=0.02)
    np.testing.assert_allclose(
        [result.expected_return, result.volatility, result.sharpe], [0.15057, 0.15915, 0.82041], atol=5e-5
    )


def test_opt003_every_objective_gives_valid_weights(stats, stock_prices):
    returns = stock_prices.pct_change().iloc[1:]
    cases = {
        "max_sharpe": {},
        "min_volatility": {},
        "efficient_risk": {"target_volatility": 0.2},
        "efficient_return": {"target_return": 0.2},
        "max_quadratic_utility": {"risk_aversion": 2},
        "hrp": {"returns": returns},
    }
    for objective, kwargs in cases.items():
        result = optimize(stats, objective, **kwargs)
        w = np.array(list(result.weights.values()))
        assert abs(w.sum() - 1) < 1e-9 and (w >= -1e-9).all(), objective
    assert optimize(stats, "efficient_risk", target_volatility=0.2).volatility == pytest.approx(0.2, abs=1e-4)
    assert optimize(stats, "efficient_return", target_return=0.2).expected_return == pytest.approx(
        0.2, abs=1e-4
    )


def test_opt004_sector_limits_and_bounds_hold(stats):
    mapper = {t: SECURITIES[t][1] for t in stats.tickers}
    limits = SectorLimits(mapper, lower={"Energy": 0.1}, upper={"Consumer Discretionary": 0.2})
    result = optimize(stats, "max_sharpe", bounds=(0.0, 0.15), sectors=limits)
    assert result.sector_weights["Consumer Discretionary"] <= 0.2 + 1e-6
    assert result.sector_weights["Energy"] >= 0.1 - 1e-6
    assert max(result.weights.values()) <= 0.15 + 1e-6


def test_opt005_returns_models_and_risk_models(stock_prices, spy):
    frame = stock_prices[["AAPL", "XOM", "JPM", "PFE"]].loc["2010":]
    for returns_model in ("mean_historical", "ema", "capm"):
        for risk_model in ("sample", "ledoit_wolf", "exponential"):
            stats = estimate(frame, returns_model, risk_model, benchmark=spy)
            assert np.isfinite(stats.mu).all() and np.linalg.eigvalsh(stats.cov).min() >= -1e-12
    with pytest.raises(errors.InvalidInputError):
        estimate(frame, "capm")  # no benchmark


def test_opt006_black_litterman_moves_towards_views(stats):
    caps = {t: 100.0 for t in stats.tickers}
    bullish = optimize(stats, "black_litterman", views=[View("XOM", 0.30, 0.9)], market_caps=caps)
    bearish = optimize(stats, "black_litterman", views=[View("XOM", -0.10, 0.9)], market_caps=caps)
    assert bullish.implied_returns["XOM"] > bearish.implied_returns["XOM"]
    assert bullish.weights["XOM"] > bearish.weights["XOM"]
    relative = optimize(
        stats, "black_litterman", views=[View("AAPL", 0.05, 0.8, versus="GE")], market_caps=caps
    )
    assert relative.implied_returns["AAPL"] > relative.implied_returns["GE"]
    with pytest.raises(errors.InvalidInputError, match="market capitalisations"):
        optimize(stats, "black_litterman", views=[View("XOM", 0.1)])
    with pytest.raises(errors.InvalidInputError, match="not in the portfolio"):
        optimize(stats, "black_litterman", views=[View("MSFT", 0.1)], market_caps=caps)


def test_opt007_discrete_allocation_spends_the_cash(stats, stock_prices):
    weights = optimize(stats, "max_sharpe").weights
    latest = stock_prices.iloc[-1].to_dict()
    allocation = discrete_allocation(weights, latest, 250_000)
    spent = sum(n * latest[t] for t, n in allocation.shares.items())
    assert spent == pytest.approx(allocation.invested, rel=1e-9)
    assert 0 <= allocation.leftover < 0.02 * 250_000
    with pytest.raises(errors.InvalidInputError):
        discrete_allocation(weights, latest, -5)


def test_opt008_frontier_matches_a_fresh_optimiser_per_point(stats):
    frontier = efficient_frontier(stats, 20)
    assert np.all(np.diff(frontier.returns) > 0)
    assert np.all(np.diff(frontier.volatilities) >= -1e-9)  # volatility rises along the frontier
    reference = naive_frontier(stats, frontier.returns[:-1])
    np.testing.assert_allclose(frontier.weights[:-1], reference, atol=2e-3)
    assert frontier.volatilities[0] == pytest.approx(0.15915, abs=5e-5)
    assert frontier.max_sharpe.sharpe >= frontier.sharpe.max() - 1e-6


def test_opt009_frontier_respects_sector_limits(stats):
    mapper = {t: SECURITIES[t][1] for t in stats.tickers}
    limits = SectorLimits(mapper, upper={"Financials": 0.1})
    frontier = efficient_frontier(stats, 10, sectors=limits, bounds=(0, 0.3))
    financials = [i for i, t in enumerate(stats.tickers) if mapper[t] == "Financials"]
    assert frontier.weights[:, financials].sum(axis=1).max() <= 0.1 + 1e-6
    assert frontier.weights.max() <= 0.3 + 1e-6


# -- every failure mode has its message -------------------------------------------


def test_opt010_infeasible_constraints(stats):
    with pytest.raises(errors.InfeasibleConstraintsError, match="more than 100"):
        optimize(stats, "max_sharpe", bounds=(0.1, 1.0))
    with pytest.raises(errors.InfeasibleConstraintsError, match="less than 100"):
        optimize(stats, "max_sharpe", bounds=(0.0, 0.04))
    mapper = {t: SECURITIES[t][1] for t in stats.tickers}
    with pytest.raises(errors.InfeasibleConstraintsError):
        optimize(
            stats, "min_volatility", sectors=SectorLimits(mapper, lower={"Energy": 0.6, "Financials": 0.6})
        )


def test_opt011_all_returns_below_risk_free(stats):
    with pytest.raises(errors.ReturnsBelowRiskFreeError, match="risk-free rate"):
        optimize(stats, "max_sharpe", risk_free_rate=0.45)


def test_opt012_target_volatility_below_minimum(stats):
    with pytest.raises(errors.TargetVolatilityTooLowError, match=r"lowest achievable volatility 15\.9"):
        optimize(stats, "efficient_risk", target_volatility=0.157)


def test_opt013_target_return_above_maximum(stats):
    with pytest.raises(errors.TargetReturnTooHighError, match="highest achievable return"):
        optimize(stats, "efficient_return", target_return=0.9)


@pytest.mark.parametrize(
    "objective,kwargs",
    [
        ("efficient_risk", {"target_volatility": 15}),
        ("efficient_return", {"target_return": 20}),
    ],
)
def test_opt014_integer_targets_read_as_percentages_are_refused(stats, objective, kwargs):
    with pytest.raises(errors.InvalidInputError, match="looks like a percentage"):
        optimize(stats, objective, **kwargs)


def test_opt015_too_few_observations(stock_prices):
    with pytest.raises(errors.InsufficientDataError, match="at least 21 needed"):
        estimate(stock_prices.loc["2018-03-20":])


def test_opt016_nan_and_bad_prices(stock_prices):
    frame = stock_prices[["AAPL", "XOM"]].loc["2017"].copy()
    holed = frame.copy()
    holed.iloc[50, 0] = np.nan
    with pytest.raises(errors.InvalidDataError, match="gaps"):
        estimate(holed)
    infinite = frame.copy()
    infinite.iloc[5, 1] = np.inf
    with pytest.raises(errors.InvalidDataError, match="infinite"):
        estimate(infinite)
    negative = frame.copy()
    negative.iloc[5, 1] = -3
    with pytest.raises(errors.InvalidDataError, match="positive"):
        estimate(negative)


def test_opt017_non_psd_covariance_is_repaired_or_refused():
    broken = np.array([[1.0, 2.0], [2.0, 1.0]])  # eigenvalues 3 and -1
    repaired, changed = make_psd(broken)
    assert changed and np.linalg.eigvalsh(repaired).min() >= -1e-12
    with pytest.raises(errors.NonPSDCovarianceError):
        make_psd(np.array([[np.nan, 0.0], [0.0, 1.0]]))


def test_opt018_solver_failure_after_the_whole_chain(stats, monkeypatch):
    from pypfopt import base_optimizer
    from pypfopt.exceptions import OptimizationError

    def broken(self, *args, **kwargs):
        raise OptimizationError("solver exploded")

    monkeypatch.setattr(base_optimizer.BaseConvexOptimizer, "_solve_cvxpy_opt_problem", broken)
    with pytest.raises(errors.SolverError, match="Every solver failed"):
        optimize(stats, "min_volatility")


def test_opt019_ragged_histories_are_kept(stock_prices):
    # FB starts in 2012 and BABA in 2014: mean historical uses each asset's own history.
    stats = estimate(stock_prices[["AAPL", "FB", "BABA"]])
    own = (stock_prices["AAPL"].iloc[-1] / stock_prices["AAPL"].iloc[0]) ** (
        252 / (len(stock_prices) - 1)
    ) - 1
    assert stats.mu[0] == pytest.approx(own, rel=1e-9)
    assert stats.observations < 1000  # the overlap starts with BABA


# -- properties ------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(3, 8),
    seed=st.integers(0, 10_000),
    low=st.floats(0.0, 0.1),
    objective=st.sampled_from(["max_sharpe", "min_volatility", "max_quadratic_utility"]),
)
def test_opt020_weights_sum_to_one_and_respect_bounds(n, seed, low, objective):
    rng = np.random.default_rng(seed)
    high = max(low * 1.5, 1.0 / n + 0.2)
    daily = rng.normal(0.0008, 0.015, size=(600, n)) + rng.normal(0, 0.01, size=(600, 1))
    prices = pd.DataFrame(
        100 * np.cumprod(1 + daily, axis=0),
        columns=[f"A{i}" for i in range(n)],
        index=pd.bdate_range("2015-01-01", periods=600),
    )
    stats = estimate(prices)
    try:
        result = optimize(stats, objective, bounds=(low, min(high, 1.0)))
    except errors.ReturnsBelowRiskFreeError:
        # only when even the best portfolio within the bounds earns nothing above the risk-free rate
        # (for box bounds the best portfolio fills the highest returns first: exact)
        upper = min(high, 1.0)
        w = np.full(n, low)
        left = 1 - n * low
        for i in np.argsort(-stats.mu):
            w[i] += min(upper - low, left)
            left -= w[i] - low
        assert objective == "max_sharpe" and w @ stats.mu <= 1e-6
        return
    w = np.array(list(result.weights.values()))
    assert abs(w.sum() - 1) < 1e-9
    assert (w >= low - 1e-6).all() and (w <= min(high, 1.0) + 1e-6).all()
