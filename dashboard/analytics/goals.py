"""Goals evaluated: each goal of a household simulated with one model (cached per goal, so adding or
editing a goal simulates only that goal), and what the returns rest on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dashboard.analytics.requests import GoalSpec, SimulationRequest
from dashboard.analytics.simulation import Basis, basis, goal_probabilities
from dashboard.services.access import HouseholdRef
from dashboard.services.households import GoalSummary, HouseholdSnapshot


@dataclass(frozen=True)
class Evaluation:
    """A household's goals, the model they are simulated with, and each goal's probability."""

    household: HouseholdRef
    goals: list[GoalSummary]
    as_of: dt.date | None  # the valuation date
    model: SimulationRequest
    specs: list[GoalSpec]
    results: list  # engine.goals.GoalResult, one per goal
    basis: Basis  # what the returns rest on (the firm's assumptions, or history compared with them)

    def by_goal(self) -> dict:
        return {g.id: r for g, r in zip(self.goals, self.results, strict=True)}


def evaluate_goals(
    household: HouseholdRef,
    snap: HouseholdSnapshot,
    model: SimulationRequest,
    specs: list[GoalSpec],
    assumptions: int | None,
    refresh: bool = False,
) -> Evaluation:
    """Every goal of ``snap`` (``specs``, one per goal) simulated with ``model``; ``assumptions``: the id of
    the set of firm assumptions the model's returns come from (None: history)."""
    results = goal_probabilities(model, specs, household=household.id, refresh=refresh)
    used = basis(model, assumptions, household.id)
    return Evaluation(household, snap.goals, snap.as_of, model, specs, results, used)
