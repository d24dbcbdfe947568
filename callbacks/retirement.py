"""Retirement: the plan through the cached facade (with the solve-for), rendered; CSV; thread summary."""

from __future__ import annotations

from callbacks.analysis import AnalysisPage, assumptions_of, pin_assumptions
from components.ids import RET
from components.retirement import csv_rows, results_panel
from dashboard.analytics.retirement import retirement
from dashboard.analytics.simulation import basis
from dashboard.forms import retirement as form
from dashboard.services.households import portfolio


def prepare(clean: dict, household):
    """(``RetirementRequest``, household id, description, the firm's set id or None) for validated
    settings and a household."""
    ref = assumptions_of(clean)
    request = form.request(clean, portfolio(household), household.name, ref)
    model = request.model
    described = (
        f"{household.name}: savings of ${request.plan['savings']:,.0f}; {model.paths:,} paths, seed {model.seed}; "
        f"inflation {request.plan['inflation']:.2%}; amounts in today's money."
    )
    return request, household.id, described, None if ref is None else ref.id


def compute(scenario, refresh: bool):
    """((result, solution), description, ``Basis``) of a prepared scenario."""
    request, household_id, described, assumptions = scenario
    out = retirement(request, household=household_id, refresh=refresh)
    return out, described, basis(request.model, assumptions, household_id)


def summarise(out, clean):
    (result, solution), _, _ = out
    summary = {
        "strategy": result.strategy,
        "success_rate": round(result.success_rate, 6),
        "depletion_rate": round(result.depletion_rate, 6),
        "median_ending_wealth": round(result.median_ending_wealth, 2),
    }
    if solution is not None:
        summary["sustainable_spending"] = round(solution.annual_spending, 2)
    return clean["seed"], summary


PAGE = AnalysisPage(
    frame=RET.frame,
    form=form.FORM,
    path="/retirement",
    name="Retirement",
    noun="retirement plan",
    prepare=prepare,
    compute=compute,
    render=lambda out: results_panel(*out[0], out[1], out[2]),
    table=lambda out: csv_rows(out[0][0]),
    summarise=summarise,
    pin=pin_assumptions,
    pinned=("assumptions",),
    figures=(
        ("success_rate", "Success rate", "percent"),
        ("median_ending_wealth", "Median wealth at the end (today's $)", "money"),
        ("sustainable_spending", "Highest spending at the target success (today's $)", "money"),
        ("strategy", "Strategy", "text"),
        ("depletion_rate", "Runs out of money", "percent"),
    ),
)
