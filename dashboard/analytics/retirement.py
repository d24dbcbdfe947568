"""Retirement through the cache: a plan simulated under its withdrawal strategy, and the solve-for."""

from __future__ import annotations

from dashboard.analytics.requests import RetirementRequest
from dashboard.analytics.simulation import return_model
from dashboard.extensions import cache
from dashboard.metrics.store import track_performance
from engine.retirement import SOLVABLE, RetirementPlan, simulate_and_solve, simulate_retirement


@track_performance("facade.retirement")
def retirement(request: RetirementRequest, household: int | None = None, refresh: bool = False):
    """(``RetirementResult``, ``SpendingSolution`` or None) for the request."""
    plan = RetirementPlan(**request.plan).validate()
    model = request.model

    def compute():
        engine_model = return_model(model)
        if request.solve_success is not None and plan.strategy in SOLVABLE:  # one draw of the paths for both
            return simulate_and_solve(engine_model, plan, request.solve_success, model.paths, model.seed)
        return simulate_retirement(engine_model, plan, model.paths, model.seed), None

    key = {
        "kind": "retirement",
        "model": model.key(),
        "plan": dict(request.plan),
        "solve": request.solve_success,
    }
    return cache.get_or_compute("monte_carlo", key, compute, household=household, refresh=refresh)
