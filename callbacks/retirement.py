"""Retirement callbacks: the plan through the cached facade (with the solve-for), rendered; CSV."""

from __future__ import annotations

from callbacks.common import register_analysis
from components.retirement import FIELDS, PAGE, csv_rows, results_panel
from dashboard import analytics
from dashboard.extensions import db
from dashboard.households import portfolio_of


def retirement_plan(clean: dict, household, refresh: bool = False):
    """((result, solution), description) for validated settings and a household."""
    with db.session() as session:
        portfolio = portfolio_of(session, household)
    raw = {
        "model": clean["model"],
        "mu": clean["mu"],
        "sigma": clean["sigma"],
        "paths": clean["paths"],
        "seed": clean["seed"],
        "months": 12,
    }
    raw = analytics.with_holdings(raw, portfolio, household.name, clean["start"])
    model = analytics.SimulationRequest.build(**raw)
    savings = (
        clean["savings"] if clean["savings"] is not None else round(portfolio.invested + portfolio.cash, 2)
    )
    plan = {
        "current_age": clean["current_age"],
        "retirement_age": clean["retirement_age"],
        "end_age": clean["end_age"],
        "savings": savings,
        "monthly_contribution": clean["contribution"],
        "annual_spending": clean["spending"],
        "annual_pension": clean["pension"],
        "pension_start_age": clean["pension_age"],
        "inflation": clean["inflation"],
        "annual_fee": clean["fee"],
        "strategy": clean["strategy"],
        "withdrawal_rate": clean["withdrawal_rate"],
        "vpw_real_return": clean["vpw_return"],
        "spending_floor": clean["floor"],
    }
    result, solution = analytics.retirement(
        model, plan, clean["target_success"], household=household.id, refresh=refresh
    )
    described = (
        f"{household.name}: savings of ${savings:,.0f}; {model.paths:,} paths, seed {model.seed}; "
        "amounts in today's money."
    )
    return (result, solution), described


def summarise(out, clean):
    (result, solution), _ = out
    summary = {
        "strategy": result.strategy,
        "success_rate": round(result.success_rate, 6),
        "depletion_rate": round(result.depletion_rate, 6),
        "median_ending_wealth": round(result.median_ending_wealth, 2),
    }
    if solution is not None:
        summary["sustainable_spending"] = round(solution.annual_spending, 2)
    return clean["seed"], summary


run_retirement, download_csv = register_analysis(
    PAGE,
    FIELDS,
    retirement_plan,
    lambda out: results_panel(*out[0], out[1]),
    lambda out: csv_rows(out[0][0]),
    "retirement plan",
    summarise,
)
