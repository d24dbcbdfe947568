"""Monte Carlo callbacks: validate, simulate through the cached facade (or a background job), render."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from callbacks.common import (
    FormErrors,
    error_alert,
    household_or_none,
    notice,
    read_form,
    register_download,
    run_triggers,
)
from callbacks.threads import register_summary
from components.forms import field_outputs
from components.monte_carlo import BACKGROUND_THRESHOLD, FIELDS, PAGE, csv_rows, results_panel
from components.threads import ids as thread_ids
from dashboard import analytics
from dashboard.access import InvalidInput, authorize_household
from dashboard.extensions import db
from dashboard.forms import to_query, validate
from dashboard.households import portfolio_of

WAITING = "mc-waiting"


def simulation_request(clean: dict, household) -> tuple[analytics.SimulationRequest, str]:
    """The facade request for a validated form and household, and a one-line description."""
    with db.session() as session:
        portfolio = portfolio_of(session, household)
    raw = {
        "model": clean["model"],
        "mu": clean["mu"],
        "sigma": clean["sigma"],
        "initial": clean["initial"] if clean["initial"] is not None else round(portfolio.invested, 2),
        "months": clean["years"] * 12,
        "monthly_contribution": clean["contribution"],
        "monthly_withdrawal": clean["withdrawal"],
        "withdrawal_start_month": clean["withdrawal_start"] * 12,
        "withdrawal_rate": clean["withdrawal_rate"],
        "inflation": clean["inflation"],
        "fee": clean["fee"],
        "paths": clean["paths"],
        "seed": clean["seed"],
        "target": clean["target"],
        "distribution": clean["distribution"],
        "rebalance_months": int(clean["rebalance"]),
        "block_months": clean["block"],
    }
    raw = analytics.with_holdings(raw, portfolio, household.name, clean["start"])
    if clean["model"] != "gbm":
        described = f"{household.name}: {len(portfolio.tickers)} holdings by market value"
    else:
        described = f"GBM with {clean['mu']:.2%} drift and {clean['sigma']:.2%} volatility"
    return analytics.SimulationRequest.build(**raw), described


@dash.callback(
    *field_outputs(PAGE),
    Output("mc-results", "children"),
    Output("mc-alert", "children"),
    Output("mc-url", "search"),
    Output("mc-job", "data"),
    Output(thread_ids("scenario", PAGE), "data"),
    *run_triggers(PAGE),
)
def run_simulation(_run, _recompute, household_id, values, field_ids):
    clean, errors, raw, classes, messages = read_form(FIELDS, values, field_ids)
    try:
        household = household_or_none(household_id)
        if household is None:
            return (
                classes,
                messages,
                notice("Choose a household to simulate."),
                None,
                no_update,
                no_update,
                None,
            )
        if errors:
            raise FormErrors(errors)
        request, described = simulation_request(clean, household)
        search = to_query(FIELDS, raw, household.id)
        refresh = ctx.triggered_id == "mc-recompute"
        if request.paths * request.months >= BACKGROUND_THRESHOLD:
            job = {"household": household.id, "form": raw, "refresh": refresh}
            waiting = notice(
                f"{request.paths:,} paths x {request.months} months run in the background…", WAITING
            )
            return classes, messages, waiting, None, search, job, search
        result = analytics.simulate(request, refresh=refresh, household=household.id)
        return classes, messages, results_panel(result, described), None, search, no_update, search
    except Exception as error:  # noqa: BLE001 - shown on the page; unexpected ones are logged with a reference
        return classes, messages, no_update, error_alert(error), no_update, no_update, None


@dash.callback(
    Output("mc-results", "children", allow_duplicate=True),
    Output("mc-alert", "children", allow_duplicate=True),
    Input("mc-job", "data"),
    background=True,
    progress=[Output("mc-progress", "value"), Output("mc-progress", "label")],
    progress_default=[0, ""],
    running=[
        (Output("mc-job-state", "data"), "running", "ended"),
        (Output("mc-progress-area", "style"), {"display": "block"}, {"display": "none"}),
        (Output("mc-run", "disabled"), True, False),
        (Output("mc-recompute", "disabled"), True, False),
    ],
    cancel=[Input("mc-cancel", "n_clicks")],
    prevent_initial_call=True,
    interval=400,
)
def run_simulation_background(set_progress, job):
    """A large simulation as a background job: progress per 10,000 paths, cancellable."""
    from dashboard.extensions import db as database

    database.dispose()  # a fresh process (diskcache) must not reuse the parent's connections
    try:
        if not isinstance(job, dict) or not isinstance(job.get("form"), dict):
            raise InvalidInput("The simulation request was malformed.")
        household = authorize_household(job.get("household"))
        clean, errors = validate(FIELDS, job["form"])  # the job may have been tampered with: validate again
        if errors:
            raise FormErrors(errors)
        request, described = simulation_request(clean, household)

        def progress(done, total):
            set_progress((round(100 * done / total), f"{done:,} / {total:,} paths"))

        result = analytics.simulate(
            request, refresh=bool(job.get("refresh")), progress=progress, household=household.id
        )
        return results_panel(result, described), None
    except Exception as error:  # noqa: BLE001 - shown on the page
        return no_update, error_alert(error)


@dash.callback(
    Output("mc-results", "children", allow_duplicate=True),
    Output("mc-alert", "children", allow_duplicate=True),
    Input("mc-job-state", "data"),
    Input("mc-cancel", "n_clicks"),
    State("mc-results", "children"),
    prevent_initial_call=True,
)
def watch_background_job(state, _cancel, results):
    """A job that ends without a result (cancelled, or its process died) says so instead of waiting forever."""
    still_waiting = isinstance(results, dict) and results.get("props", {}).get("id") == WAITING
    if not still_waiting:
        raise PreventUpdate
    if ctx.triggered_id == "mc-cancel":
        return notice("The simulation was cancelled."), None
    if state != "ended":
        raise PreventUpdate
    message = "The background simulation stopped before finishing (its worker process ended); nothing was saved. Run it again."
    return notice("No result."), dbc.Alert(message, color="danger", className="page-alert")


def _csv(clean: dict, household):
    request, _ = simulation_request(clean, household)
    return csv_rows(analytics.simulate(request, household=household.id))


download_csv = register_download(PAGE, FIELDS, PAGE, _csv)


def summarise(clean: dict, household) -> tuple[int, dict]:
    request, _ = simulation_request(clean, household)
    result = analytics.simulate(request, household=household.id)
    return request.seed, {
        "probability_of_success": round(result.probability_of_success, 6),
        "median_ending_wealth": round(result.ending_wealth_percentiles[50], 2),
        "mean_ending_wealth": round(result.mean_ending_wealth, 2),
        "probability_of_depletion": round(result.probability_of_depletion, 6),
        "paths": result.paths,
        "years": result.months // 12,
        "model": result.model["model"],
    }


register_summary(PAGE, FIELDS, summarise)
