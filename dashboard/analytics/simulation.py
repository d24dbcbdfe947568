"""Monte Carlo through the cache: the return model of a request, simulations, goal probabilities and savings."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from dashboard.analytics.assumptions import Basis, bounds_key, compared, firm_basis
from dashboard.analytics.market import load_prices
from dashboard.analytics.requests import GoalSpec, SimulationRequest
from dashboard.extensions import cache
from dashboard.metrics.store import track_performance
from dashboard.services import assumptions as firm
from engine.goals import Goal, goal_probability, solve_monthly_saving
from engine.montecarlo import MONTHS, CashFlows, ReturnModel
from engine.montecarlo import simulate as run

FIRM = "firm"


def firm_model(request: SimulationRequest) -> ReturnModel:
    """The holdings under the firm's set of assumptions ``request.assumptions`` (the parametric model on
    the set's expected returns and covariances; ``describe()`` names the set and its figures)."""
    ref = firm.get_ref(request.assumptions)
    cma = firm.load(request.assumptions)
    mu, cov = cma.statistics(request.tickers)
    model = ReturnModel.parametric(
        np.array(request.weights), mu, cov, request.distribution, request.rebalance_months
    )
    expected, volatility = cma.portfolio(request.tickers, request.weights)
    described = {
        "id": ref.id,
        "name": ref.name,
        "effective": ref.effective.isoformat(),
        "expected_return": expected,
        "volatility": volatility,
        "unlisted": cma.unlisted(request.tickers),
        "default_class": cma.default_class,
    }
    return dataclasses.replace(model, assumptions=described)


def return_model(request: SimulationRequest):
    """The engine's ``ReturnModel`` for a simulation request (asset statistics from the database)."""

    if request.model == "gbm":
        return ReturnModel.gbm(request.mu, request.sigma)
    if request.model == FIRM:
        return firm_model(request)
    prices = load_prices(request.tickers, request.start, request.end)
    weights = np.array(request.weights)
    if request.model == "parametric":
        return ReturnModel.parametric_from_prices(
            weights, prices, request.distribution, request.rebalance_months
        )
    return ReturnModel.bootstrap_from_prices(weights, prices, request.block_months, request.rebalance_months)


@track_performance("facade.simulate")
def simulate(request: SimulationRequest, refresh: bool = False, progress=None, household: int | None = None):
    """Monte Carlo result (``engine.montecarlo.SimulationResult``) for the request."""

    def compute():
        flows = CashFlows(
            request.initial,
            request.monthly_contribution,
            request.monthly_withdrawal,
            request.withdrawal_rate,
            request.withdrawal_start_month,
            request.inflation,
            request.fee,
        )
        return run(
            return_model(request),
            flows,
            request.months,
            request.paths,
            request.seed,
            request.target,
            progress=progress,
        )

    return cache.get_or_compute("monte_carlo", request.key(), compute, refresh=refresh, household=household)


def stored_simulation(request: SimulationRequest, household: int | None = None):
    """The stored result of a simulation made earlier (a background job's, say), or None; never computes."""
    return cache.lookup("monte_carlo", request.key(), household=household)


def _engine_goal(goal: GoalSpec):
    return Goal(goal.name, goal.target, goal.months, goal.current_savings, goal.monthly_contribution)


@track_performance("facade.goals")
def goal_probabilities(
    model: SimulationRequest, goals: Sequence[GoalSpec], household: int | None = None, refresh: bool = False
) -> list:
    """Probability of success of each goal (``engine.goals.GoalResult``), on the model's paths.

    Each goal is its own cache entry (the same seed gives every goal the same paths): a goal added or
    edited is the only one simulated again.
    """
    engine_model = None

    def one(goal: GoalSpec):
        def compute():
            nonlocal engine_model
            if engine_model is None:
                engine_model = return_model(model)
            return goal_probability(
                engine_model, _engine_goal(goal), model.paths, model.seed, model.inflation, model.fee
            )

        key = {"kind": "goal", "model": model.key(), "goal": dataclasses.asdict(goal)}
        return cache.get_or_compute("monte_carlo", key, compute, household=household, refresh=refresh)

    return [one(g) for g in goals]


@track_performance("facade.goal_saving")
def goal_saving(model: SimulationRequest, goal: GoalSpec, probability: float, household: int | None = None):
    """The monthly saving reaching ``goal`` with ``probability`` (``engine.goals.SavingSolution``)."""

    def compute():
        return solve_monthly_saving(
            return_model(model),
            _engine_goal(goal),
            probability,
            model.paths,
            model.seed,
            model.inflation,
            model.fee,
        )

    key = {
        "kind": "goal_saving",
        "model": model.key(),
        "goal": dataclasses.asdict(goal),
        "probability": probability,
    }
    return cache.get_or_compute("monte_carlo", key, compute, household=household)


# -- what a simulation rests on ---------------------------------------------------------------------


def basis(request: SimulationRequest, assumptions_id: int | None, household: int | None = None) -> Basis:
    """The :class:`~dashboard.analytics.assumptions.Basis` of a simulation request, against the firm's
    set ``assumptions_id`` (None: none in force)."""

    def compute():
        if request.model == FIRM:
            return firm_basis(assumptions_id, request.tickers, request.weights)
        if request.model == "gbm":
            return compared(
                "gbm", (request.mu, request.sigma), assumptions_id, request.tickers, request.weights
            )
        model = return_model(request)
        w = model.weights
        if model.kind == "parametric":
            figures = (float(w @ model.asset_mu), math.sqrt(max(float(w @ model.asset_cov @ w), 0.0)))
        else:
            monthly = model.history @ w
            figures = (float(monthly.mean()) * MONTHS, float(monthly.std(ddof=1)) * math.sqrt(MONTHS))
        window = model.window or {}
        return compared(
            request.model,
            figures,
            assumptions_id,
            request.tickers,
            request.weights,
            history=(window.get("first_month"), window.get("last_month"), int(window.get("months") or 0)),
        )

    key = {"kind": "basis", "model": request.key(), "assumptions": assumptions_id, "bounds": bounds_key()}
    return cache.get_or_compute("monte_carlo", key, compute, household=household)
