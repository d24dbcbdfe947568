"""Goals: the probability of reaching each goal, and the monthly saving a chosen probability needs.

Conventions as in :mod:`engine.montecarlo`: targets and contributions in
today's money, monthly steps. The solve-for uses common random numbers: with
contributions only, a path's real ending wealth is linear in the monthly
contribution ``C``, ``A_i + C * B_i``, so the saving needed for probability
``p`` is exactly the ``p``-quantile of ``(target - A_i) / B_i`` over the same
simulated paths — no bisection, no noise between trial values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.errors import InvalidInputError
from engine.montecarlo import CashFlows, ReturnModel, chunk_generators, run_paths
from engine.validation import number as _number
from engine.validation import whole as _count

MAX_GOAL_PATHS = 200_000


@dataclass(frozen=True)
class Goal:
    name: str
    target: float  # today's money
    months: int  # until the goal's date
    current_savings: float
    monthly_contribution: float


@dataclass(frozen=True)
class GoalResult:
    name: str
    target: float
    months: int
    probability: float
    median_ending_wealth: float  # today's money
    shortfall_median: float  # median shortfall among failing paths, today's money
    model: dict = field(default_factory=dict)  # ReturnModel.describe(): the model and the history it used

    def as_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass(frozen=True)
class SavingSolution:
    name: str
    probability: float
    monthly_saving: float  # today's money; 0 when already reached at that probability
    achieved_probability: float  # re-measured on the same paths at the solved saving


def _linear_paths(model: ReturnModel, goal: Goal, paths: int, seed: int, inflation: float, fee: float):
    """Per-path (A, B): real ending wealth = A + C * B for monthly contribution C."""
    months = _count(goal.months, f"The horizon of {goal.name}", 1, 1200)
    flows = CashFlows(max(goal.current_savings, 0.0), 0.0, inflation=inflation, annual_fee=fee)
    if goal.current_savings < 0:
        raise InvalidInputError(f"The current savings for {goal.name} cannot be negative.")
    a = np.empty(paths)
    b = np.empty(paths)
    done = 0
    for rng, n in chunk_generators(seed, paths):
        run = run_paths(model, flows, months, n, rng, np.array([months]), sensitivity=True)
        a[done : done + n] = run.ending_without_contributions
        b[done : done + n] = run.contribution_sensitivity
        done += n
    return a, b


def goal_probability(
    model: ReturnModel,
    goal: Goal,
    paths: int = 10_000,
    seed: int = 0,
    inflation: float = 0.0,
    fee: float = 0.0,
) -> GoalResult:
    """Probability that real wealth at the goal's date reaches its target."""
    paths = _count(paths, "The number of paths", 1, MAX_GOAL_PATHS)
    target = _number(goal.target, f"The target of {goal.name}", 0.01, 1e13)
    contribution = _number(goal.monthly_contribution, f"The monthly saving for {goal.name}", 0.0, 1e10)
    a, b = _linear_paths(model, goal, paths, seed, inflation, fee)
    ending = a + contribution * b
    reached = ending >= target
    short = target - ending[~reached]
    return GoalResult(
        goal.name,
        target,
        int(goal.months),
        float(reached.mean()),
        float(np.median(ending)),
        float(np.median(short)) if len(short) else 0.0,
        model.describe(),
    )


def solve_monthly_saving(
    model: ReturnModel,
    goal: Goal,
    probability: float,
    paths: int = 10_000,
    seed: int = 0,
    inflation: float = 0.0,
    fee: float = 0.0,
) -> SavingSolution:
    """The smallest monthly saving (today's money) that reaches the target with ``probability``."""
    p = _number(probability, "The probability", 0.01, 0.99)
    paths = _count(paths, "The number of paths", 100, MAX_GOAL_PATHS)
    target = _number(goal.target, f"The target of {goal.name}", 0.01, 1e13)
    a, b = _linear_paths(model, goal, paths, seed, inflation, fee)
    needed = np.where(b > 0, (target - a) / np.where(b > 0, b, 1.0), np.where(a >= target, -np.inf, np.inf))
    saving = float(np.quantile(needed, p, method="higher"))
    if not np.isfinite(saving):
        raise InvalidInputError(f"{goal.name} cannot reach that probability by saving alone.")
    saving = max(0.0, saving)
    achieved = float((a + saving * b >= target * (1 - 1e-12)).mean())
    return SavingSolution(goal.name, p, saving, achieved)
