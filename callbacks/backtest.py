"""Backtest: the household's portfolios through the cached facade, rendered; CSV; thread summary; the saved
optimisations the form offers; the growth chart's log scale."""

from __future__ import annotations

from dataclasses import dataclass

import dash
from dash import ClientsideFunction, Input, Output, State

from callbacks.analysis import AnalysisPage
from callbacks.optimisation import PAGE as OPTIMISATION
from components import ids
from components.backtest import csv_rows, results_panel
from components.ids import BT
from dashboard.analytics.backtest import backtest
from dashboard.analytics.requests import BacktestRequest
from dashboard.errors import InvalidInput
from dashboard.forms import backtest as form
from dashboard.forms.fields import FormErrors, parse_search
from dashboard.services.access import HouseholdRef, household_or_none
from dashboard.services.households import portfolio
from dashboard.services.threads import RunSummary, household_threads
from engine.backtest import BacktestInputError

SAVED = ids.field(form.FORM.key, "saved")


@dataclass(frozen=True)
class Scenario:
    request: BacktestRequest
    household_id: int
    described: str


def saved_optimisations(household_id: int) -> list[tuple[RunSummary, str]]:
    """The household's saved optimisation runs, newest first, with their thread's title."""
    return [
        (run, thread.title)
        for thread in household_threads(household_id)
        for run in thread.items
        if run.page == OPTIMISATION.key
    ]


def saved_weights(run_id: str, household: HouseholdRef) -> tuple[str, dict[str, float]] | None:
    """(name, optimal weights) of a saved optimisation of the household: its scenario run again (cached),
    so the weights are the run's own, in full, not the summary's five largest."""
    if not run_id:
        return None
    run = next((r for r, _ in saved_optimisations(household.id) if str(r.id) == str(run_id)), None)
    if run is None:
        raise FormErrors({"saved": "That optimisation is not saved in this household's threads (deleted?)."})
    query = parse_search(run.params)
    query.pop("household", None)
    try:
        out = OPTIMISATION.result(OPTIMISATION.form.clean(query), household)
    except FormErrors as error:
        raise FormErrors({"saved": f"Run #{run.id} cannot be run again: {error}"}) from None
    kept = {t: w for t, w in out.optimal.weights.items() if w > 1e-9}
    total = sum(kept.values())
    return f"Optimised (run #{run.id})", {t: w / total for t, w in kept.items()}


def prepare(clean: dict, household) -> Scenario:
    request = form.request(
        clean, portfolio(household), household.name, saved_weights(clean["saved"], household)
    )
    names = ", ".join(name for name, _ in request.portfolios)
    return Scenario(request, household.id, f"{household.name}: {names}")


def compute(scenario: Scenario, refresh: bool):
    try:
        result = backtest(scenario.request, household=scenario.household_id, refresh=refresh)
    except BacktestInputError as error:
        field = error.field if error.field in form.FORM.by_name else None
        if field is None:  # an engine-side field with no control of its own (the weights): the portfolio's
            raise InvalidInput(str(error)) from None
        raise FormErrors({field: str(error)}) from None
    return result, scenario.described, scenario.request.rolling[0]


def summarise(out, clean):
    result = out[0]
    first = result.portfolios[0]
    stats = first.statistics
    summary = {
        "portfolio": first.name,
        "window": f"{result.window.first} to {result.window.last}",
        "annual_return": round(stats["annualised_return"], 6),
        "volatility": round(stats["volatility"], 6),
        "max_drawdown": round(stats["max_drawdown"], 6),
        "sharpe": round(stats["sharpe"], 4) if stats["sharpe"] == stats["sharpe"] else None,
        "final_value": round(stats["final_value"], 2),
    }
    if result.benchmark is not None:
        summary["benchmark_annual_return"] = round(result.benchmark.statistics["annualised_return"], 6)
    return None, summary


PAGE = AnalysisPage(
    frame=BT.frame,
    form=form.FORM,
    path="/backtest",
    name="Backtest",
    noun="backtest",
    prepare=prepare,
    compute=compute,
    render=lambda out: results_panel(*out),
    table=lambda out: csv_rows(out[0]),
    summarise=summarise,
    figures=(
        ("portfolio", "Portfolio", "text"),
        ("window", "Months", "text"),
        ("annual_return", "Annualised return", "percent"),
        ("volatility", "Volatility", "percent"),
        ("max_drawdown", "Max drawdown", "percent"),
        ("sharpe", "Sharpe", "ratio"),
        ("final_value", "Final value", "money"),
        ("benchmark_annual_return", "Benchmark annualised", "percent"),
    ),
)


@dash.callback(
    Output(SAVED, "options"),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    State(SAVED, "value"),
)
def saved_options(household_id, chosen):
    """The chosen household's saved optimisations as the form's choices (a link's choice kept, marked if gone)."""
    options = [{"label": "None", "value": ""}]
    try:
        household = household_or_none(household_id)
    except Exception:  # noqa: BLE001 - the run callback says why; the choices stay empty
        return options
    if household is None:
        return options
    for run, title in saved_optimisations(household.id):
        objective = run.summary.get("objective", "optimisation")
        options.append(
            {"label": f"#{run.id} · {title} · {objective} · {run.created_at:%Y-%m-%d}", "value": str(run.id)}
        )
    if chosen and all(o["value"] != chosen for o in options):
        options.append(
            {"label": f"#{chosen} (not in this household's threads)", "value": chosen, "disabled": True}
        )
    return options


dash.clientside_callback(
    ClientsideFunction("meridian", "axisType"),
    Output(ids.chart_figure(BT.GROWTH), "data"),
    Input(BT.LOG_SCALE, "value"),
    State(ids.chart_figure(BT.GROWTH), "data"),
    prevent_initial_call=True,
)
