"""Monte Carlo against closed forms (within sampling error), a sequential reference, and invariants."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from engine import errors
from engine.montecarlo import CHUNK_PATHS, PERCENTILES, CashFlows, ReturnModel, simulate

W0 = 1_000_000.0


def test_mc001_gbm_matches_closed_forms():
    mu, sigma, years, paths = 0.07, 0.15, 30, 200_000
    result = simulate(ReturnModel.gbm(mu, sigma), CashFlows(W0), years * 12, paths, seed=11, target=5e6)
    mean = W0 * math.exp(mu * years)
    # standard error of the sample mean of a lognormal
    se = W0 * math.exp(mu * years) * math.sqrt(math.exp(sigma**2 * years) - 1) / math.sqrt(paths)
    assert abs(result.mean_ending_wealth - mean) < 4 * se
    median = W0 * math.exp((mu - sigma**2 / 2) * years)
    assert result.ending_wealth_percentiles[50] == pytest.approx(median, rel=0.01)
    p = norm.cdf((math.log(W0 / 5e6) + (mu - sigma**2 / 2) * years) / (sigma * math.sqrt(years)))
    assert abs(result.probability_of_success - p) < 4 * math.sqrt(p * (1 - p) / paths)


def test_mc002_parametric_normal_mean_matches_compounding():
    w = np.array([0.6, 0.4])
    model = ReturnModel.parametric(w, np.array([0.08, 0.03]), np.array([[0.04, 0.002], [0.002, 0.0025]]))
    result = simulate(model, CashFlows(W0), 120, 100_000, seed=3)
    expected = W0 * (1 + 0.06 / 12) ** 120
    assert result.mean_ending_wealth == pytest.approx(expected, rel=0.005)


def test_mc003_buy_and_hold_mean_is_the_weighted_asset_means():
    w = np.array([0.5, 0.5])
    model = ReturnModel.parametric(w, np.array([0.10, 0.02]), np.diag([0.03, 0.001]), rebalance_months=0)
    result = simulate(model, CashFlows(W0), 120, 60_000, seed=5)
    expected = W0 * (0.5 * (1 + 0.10 / 12) ** 120 + 0.5 * (1 + 0.02 / 12) ** 120)
    assert result.mean_ending_wealth == pytest.approx(expected, rel=0.01)


def test_mc004_cash_flows_match_a_sequential_simulation():
    """The closed-form recursion equals the month-by-month loop, path by path."""
    from engine.montecarlo import chunk_generators, month_stepper, run_paths

    flows = CashFlows(
        200_000,
        monthly_contribution=1500,
        monthly_withdrawal=2500,
        withdrawal_rate=0.01,
        withdrawal_start_month=24,
        inflation=0.03,
        annual_fee=0.01,
    )
    model = ReturnModel.gbm(0.05, 0.2)
    months, n = 180, 500
    ((rng, _),) = chunk_generators(9, n)
    run = run_paths(model, flows, months, n, rng, np.array([months]))
    ((rng, _),) = chunk_generators(9, n)
    step = month_stepper(model, n, rng)
    wealth = np.full(n, flows.initial)
    dead = np.zeros(n, dtype=bool)
    for t in range(1, months + 1):
        price = (1 + flows.inflation) ** (t / 12)
        wealth = wealth * step(t - 1) * (1 - flows.annual_fee) ** (1 / 12)
        if t > flows.withdrawal_start_month:
            wealth = wealth * (1 - flows.withdrawal_rate / 12) - flows.monthly_withdrawal * price
        wealth = wealth + flows.monthly_contribution * price
        dead |= wealth <= 0
        wealth = np.where(dead, 0.0, wealth)
    np.testing.assert_allclose(run.ending, wealth, rtol=1e-9, atol=1e-6)
    np.testing.assert_array_equal(run.depleted, dead)
    assert dead.any() and not dead.all()


def test_mc005_seeded_and_reproducible_and_chunk_independent():
    model = ReturnModel.gbm(0.06, 0.18)
    a = simulate(model, CashFlows(W0), 60, 25_000, seed=42)
    b = simulate(model, CashFlows(W0), 60, 25_000, seed=42)
    c = simulate(model, CashFlows(W0), 60, 25_000, seed=43)
    np.testing.assert_array_equal(a.ending_wealth_real, b.ending_wealth_real)
    assert not np.array_equal(a.ending_wealth_real, c.ending_wealth_real)
    small = simulate(model, CashFlows(W0), 60, CHUNK_PATHS, seed=42)
    np.testing.assert_array_equal(small.ending_wealth_real, a.ending_wealth_real[:CHUNK_PATHS])
    assert a.ending_wealth_real.dtype == np.float64


def test_mc006_large_runs_stay_memory_bounded():
    result = simulate(ReturnModel.gbm(0.06, 0.18), CashFlows(W0), 600, 100_000, seed=1)
    assert len(result.recorded_months) <= 121 and result.recorded_months[-1] == 600


def test_mc007_bootstrap_resamples_history_in_blocks():
    rng = np.random.default_rng(0)
    history = rng.normal(0.006, 0.04, size=(240, 2))
    w = np.array([0.7, 0.3])
    result = simulate(ReturnModel.bootstrap(w, history, 12), CashFlows(W0), 120, 40_000, seed=2)
    expected = W0 * (1 + (history @ w).mean()) ** 120
    assert result.mean_ending_wealth == pytest.approx(expected, rel=0.03)
    with pytest.raises(errors.InsufficientDataError):
        ReturnModel.bootstrap(w, history[:10], 12)


def test_mc008_drawdowns_and_depletion():
    quiet = simulate(ReturnModel.gbm(0.05, 1e-9), CashFlows(W0), 120, 100, seed=0)
    assert quiet.drawdown["worst"] < 1e-6
    draining = simulate(
        ReturnModel.gbm(0.0, 0.1), CashFlows(100_000, monthly_withdrawal=2000), 120, 2000, seed=0
    )
    assert draining.probability_of_depletion > 0.9
    assert draining.probability_of_success == pytest.approx(1 - draining.probability_of_depletion)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"months": 0}, "horizon"),
        ({"paths": 0}, "paths"),
        ({"paths": 2_000_000}, "paths"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"target": float("nan")}, "target"),
    ],
)
def test_mc009_bad_inputs_have_messages(kwargs, message):
    args = {"months": 12, "paths": 100, "seed": 0, "target": None, **kwargs}
    with pytest.raises(errors.InvalidInputError, match=message):
        simulate(ReturnModel.gbm(0.05, 0.1), CashFlows(W0), **args)
    with pytest.raises(errors.InvalidInputError):
        CashFlows(-5).validate()
    with pytest.raises(errors.InvalidInputError, match="sum to 100"):
        ReturnModel.parametric([0.5, 0.6], [0.1, 0.1], np.eye(2))
    with pytest.raises(errors.InvalidDataError):
        ReturnModel.parametric([0.5, 0.5], [0.1, np.nan], np.eye(2))


@settings(max_examples=15, deadline=None)
@given(target=st.floats(1e5, 2e7), delta=st.floats(1e4, 5e6), seed=st.integers(0, 1000))
def test_mc010_percentiles_ordered_and_success_monotone_in_target(target, delta, seed):
    model = ReturnModel.gbm(0.06, 0.2)
    low = simulate(model, CashFlows(W0, monthly_contribution=500), 60, 2000, seed=seed, target=target)
    high = simulate(
        model, CashFlows(W0, monthly_contribution=500), 60, 2000, seed=seed, target=target + delta
    )
    stacked = np.vstack([low.percentiles[p] for p in PERCENTILES])
    assert (np.diff(stacked, axis=0) >= -1e-6).all()
    assert high.probability_of_success <= low.probability_of_success


@pytest.mark.parametrize(
    ("paths", "flows"),
    [
        (20_001, CashFlows(W0)),  # more than a chunk, an odd count
        (4_000, CashFlows(W0, monthly_withdrawal=9_000.0)),  # many paths end depleted: ties at $0
        (3, CashFlows(W0)),
        (1, CashFlows(W0)),
    ],
)
def test_mc011_percentile_paths_are_the_percentiles_of_the_paths(paths, flows):
    """The percentile paths (order statistics put in place by a partition, not a sort) end at numpy's
    linear percentiles of the paths' own ending wealth, computed here from the paths."""
    result = simulate(ReturnModel.gbm(0.07, 0.15), flows, 240, paths, seed=5)
    nominal = result.ending_wealth_real * (1.0 + flows.inflation) ** (result.months / 12)
    for p in PERCENTILES:
        assert result.percentiles[p][-1] == pytest.approx(np.percentile(nominal, p), rel=1e-12, abs=1e-9)
        assert result.percentiles_real[p][-1] == pytest.approx(
            np.percentile(result.ending_wealth_real, p), rel=1e-12, abs=1e-9
        )
    if flows.monthly_withdrawal:
        assert result.probability_of_depletion > 0.05  # the ties are there
