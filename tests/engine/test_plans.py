"""Goals and retirement: probabilities, solve-for on common random numbers, strategies."""

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import norm

from engine import errors
from engine.goals import Goal, goal_probability, solve_monthly_saving
from engine.montecarlo import ReturnModel
from engine.retirement import RetirementPlan, simulate_retirement, solve_spending

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
