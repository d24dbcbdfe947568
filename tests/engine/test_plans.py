"""Goals and retirement: probabilities, solve-for on common random numbers, strategies."""

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import norm

import engine.retirement
from engine import errors
from engine.goals import Goal, goal_probability, solve_monthly_saving
from engine.montecarlo import ReturnModel
from engine.retirement import RetirementPlan, simulate_and_solve, simulate_retirement, solve_spending

GBM = ReturnModel.gbm(0.06, 0.15)


def test_goal001_probability_matches_the_lognormal_closed_form():
    goal = Goal("House", 150_000, 120, 100_000, 0.0)
    result = goal_probability(GBM, goal, 100_000, seed=4)
    years = 10
    p = norm.cdf((math.log(100_000 / 150_000) + (0.06 - 0.15**2 / 2) * years) / (0.15 * math.sqrt(years)))
    assert abs(result.probability - p) < 4 * math.sqrt(p * (1 - p) / 100_000)


def test_goal002_solved_saving_reaches_the_probability_on_the_same_paths():
    goal = Goal("College", 250_000, 144, 40_000, 300)
    solution = solve_monthly_saving(GBM, goal, 0.85, 20_000, seed=7, inflation=0.025)
    assert solution.achieved_probability >= 0.85
    check = goal_probability(
        GBM, replace(goal, monthly_contribution=solution.monthly_saving), 20_000, seed=7, inflation=0.025
    )
    assert check.probability == pytest.approx(solution.achieved_probability, abs=1e-4)
    less = goal_probability(
        GBM,
        replace(goal, monthly_contribution=solution.monthly_saving * 0.97),
        20_000,
        seed=7,
        inflation=0.025,
    )
    assert less.probability < 0.85  # the solution is the smallest saving, not just a sufficient one
    already = solve_monthly_saving(GBM, Goal("Small", 10_000, 120, 100_000, 0), 0.9, 2000, seed=1)
    assert already.monthly_saving == 0.0


def test_goal003_probability_rises_with_saving():
    goal = Goal("Trip", 80_000, 60, 10_000, 0)
    values = [
        goal_probability(GBM, replace(goal, monthly_contribution=c), 5000, seed=3).probability
        for c in (0, 500, 1000, 1500)
    ]
    assert values == sorted(values) and values[-1] > values[0]


PLAN = RetirementPlan(
    55,
    65,
    95,
    1_000_000,
    monthly_contribution=2000,
    annual_spending=60_000,
    annual_pension=20_000,
    pension_start_age=67,
)


@pytest.mark.parametrize("strategy", ["constant_real", "constant_percentage", "guardrails", "vpw"])
def test_ret001_every_strategy_runs_and_reports(strategy):
    result = simulate_retirement(GBM, replace(PLAN, strategy=strategy), 4000, seed=2)
    assert 0 <= result.success_rate <= 1
    assert len(result.ages) == 41 and result.ages[0] == 55
    spending = np.vstack([result.spending_percentiles[p] for p in (5, 50, 95)])
    assert (np.diff(spending, axis=0) >= -1e-6).all()
    assert (spending[:, :10] == 0).all()  # nothing spent before retirement


def test_ret002_constant_real_spends_exactly_the_amount():
    result = simulate_retirement(GBM, PLAN, 4000, seed=2)
    retired = result.spending_percentiles[50][10:12]
    np.testing.assert_allclose(retired, 60_000)  # pension covers part, the portfolio the rest
    assert result.spending_percentiles[50][12] == pytest.approx(60_000)


def test_ret003_solved_spending_is_the_highest_at_the_success_rate():
    solution = solve_spending(GBM, PLAN, 0.9, 4000, seed=5)
    at = simulate_retirement(GBM, replace(PLAN, annual_spending=solution.annual_spending), 4000, seed=5)
    above = simulate_retirement(
        GBM, replace(PLAN, annual_spending=solution.annual_spending + 50), 4000, seed=5
    )
    assert at.success_rate >= 0.9 > above.success_rate


def test_ret004_four_percent_rule_default_and_vpw_spends_down():
    rule = simulate_retirement(GBM, replace(PLAN, annual_spending=None, annual_pension=0), 2000, seed=1)
    first_year = rule.spending_percentiles[50][10]
    assert first_year == pytest.approx(0.04 * rule.wealth_percentiles[50][10], rel=0.05)
    vpw = simulate_retirement(GBM, replace(PLAN, strategy="vpw"), 2000, seed=1)
    assert vpw.wealth_percentiles[50][-1] < 0.01 * vpw.wealth_percentiles[50][10]
    assert vpw.success_rate == 1.0


def test_ret005_bad_plans_have_messages():
    with pytest.raises(errors.InvalidInputError, match="Ages"):
        simulate_retirement(GBM, replace(PLAN, retirement_age=50), 100)
    with pytest.raises(errors.InvalidInputError, match="strategy"):
        simulate_retirement(GBM, replace(PLAN, strategy="yolo"), 100)
    with pytest.raises(errors.InvalidInputError, match="spending follows the portfolio"):
        solve_spending(GBM, replace(PLAN, strategy="vpw"), 0.9, 1000)


def _bisected(model, plan, target, paths, seed, tolerance=1.0):
    """The solve-for as its docstring states it, each trial a whole simulation of the plan at that spending
    (the same seed: the same paths): start at 5 % of savings plus pension and a year's saving, double while
    the success rate is at least the target, then halve the bracket to the tolerance."""

    def rate(spending):
        return simulate_retirement(model, replace(plan, annual_spending=spending), paths, seed).success_rate

    low, high = 0.0, max(plan.savings, 1.0) * 0.05 + plan.annual_pension + plan.monthly_contribution * 12
    while rate(high) >= target and high < 1e10:
        low, high = high, high * 2
    if rate(low) < target:
        return 0.0, rate(0.0)
    while high - low > tolerance:
        middle = (low + high) / 2
        if rate(middle) >= target:
            low = middle
        else:
            high = middle
    return low, rate(low)


BOOTSTRAP = ReturnModel.bootstrap(
    [0.7, 0.3], np.random.default_rng(3).normal([0.007, 0.003], [0.045, 0.012], size=(240, 2)), 12
)
PARAMETRIC = ReturnModel.parametric([0.6, 0.4], [0.07, 0.03], [[0.03, 0.002], [0.002, 0.004]])


@pytest.mark.parametrize(
    "model, change, target, paths",
    [
        (GBM, {}, 0.9, 2000),
        (GBM, {"annual_pension": 0.0, "pension_start_age": None, "savings": 279_000.0}, 0.9, 2000),
        (PARAMETRIC, {"pension_start_age": 75, "inflation": 0.06}, 0.5, 1000),
        (PARAMETRIC, {"inflation": -0.01, "annual_fee": 0.01, "retirement_age": 55}, 0.99, 500),
        (BOOTSTRAP, {"current_age": 40, "end_age": 100, "monthly_contribution": 0.0}, 0.75, 300),
        (GBM, {"savings": 1_000.0, "monthly_contribution": 100.0}, 0.9, 100),  # a few paths at a time
        (GBM, {"spending_floor": 30_000.0}, 0.9, 1000),  # a floor: every trial runs every path
        (GBM, {"strategy": "guardrails"}, 0.7, 1000),
    ],
)
def test_ret006_solved_spending_is_the_bisection_of_whole_simulations(model, change, target, paths):
    """The solve (which runs only the paths earlier trials left open, and only what decides them) gives
    the very figures of a bisection whose every trial simulates the whole plan; and simulated with it
    (:func:`simulate_and_solve`, the paths drawn once), the plan's own figures are those of
    :func:`simulate_retirement`."""
    plan = replace(PLAN, **change)
    solution = solve_spending(model, plan, target, paths, seed=11)
    assert (solution.annual_spending, solution.achieved_success) == _bisected(model, plan, target, paths, 11)
    result, solved = simulate_and_solve(model, plan, target, paths, seed=11)
    assert solved == solution
    alone = simulate_retirement(model, plan, paths, seed=11)
    assert result.success_rate == alone.success_rate
    for p in alone.wealth_percentiles:
        np.testing.assert_array_equal(result.wealth_percentiles[p], alone.wealth_percentiles[p])
        np.testing.assert_array_equal(result.spending_percentiles[p], alone.spending_percentiles[p])


def test_ret007_the_solve_runs_only_the_undecided_paths(monkeypatch):
    """Under a constant real spending and no floor the solve's trials leave the plan's full run alone
    (one, for the plan's own figures) and run ever fewer paths; under guardrails every trial runs all."""
    counted = []
    run = engine.retirement._Scenario.run
    lasting = engine.retirement._Trials._lasting

    def counting_run(self, plan):
        counted.append(("run", self.gross.shape[1]))
        return run(self, plan)

    def counting_lasting(self, spending, columns):
        counted.append(("trial", len(columns)))
        return lasting(self, spending, columns)

    monkeypatch.setattr(engine.retirement._Scenario, "run", counting_run)
    monkeypatch.setattr(engine.retirement._Trials, "_lasting", counting_lasting)
    simulate_and_solve(GBM, PLAN, 0.9, 2000, seed=3)
    assert [c for c in counted if c[0] == "run"] == [("run", 2000)]
    trials = [n for kind, n in counted if kind == "trial"]
    assert len(trials) >= 10 and trials[0] == 2000 and trials[-1] < 20
    counted.clear()
    simulate_and_solve(GBM, replace(PLAN, strategy="guardrails"), 0.9, 2000, seed=3)
    assert len(counted) >= 10 and set(counted) == {("run", 2000)}
