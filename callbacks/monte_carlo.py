"""Monte Carlo: simulate through the cached facade, or as a background job for large runs; render; CSV."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.analysis import (
    AnalysisPage,
    assumptions_of,
    attempt,
    error_alert,
    notice,
    pin_assumptions,
    refreshing,
    run_inputs,
    without_result,
)
from components import ids
from components.forms import field_outputs
from components.ids import MC
from components.monte_carlo import csv_rows, results_panel
from dashboard.analytics.simulation import basis, simulate, stored_simulation
from dashboard.background import NoWorker, cancelled, ensure_worker, in_job_process
from dashboard.errors import InvalidInput
from dashboard.forms import monte_carlo as form
from dashboard.forms.simulation import describe_model
from dashboard.services.access import acting_for, authorize_household, job_grant
from dashboard.services.households import portfolio

# paths x months: 100,000 paths over 10 years and beyond run in the background
BACKGROUND_THRESHOLD = 12_000_000


def prepare(clean: dict, household):
    """(``SimulationRequest``, household id, description, the firm's set id or None) for a validated
    form and household."""
    holdings = portfolio(household)
    ref = assumptions_of(clean)
    request = form.request(clean, holdings, household.name, ref)
    described = describe_model(clean, household.name, len(holdings.tickers))
    return request, household.id, described, None if ref is None else ref.id


def compute(scenario, refresh: bool, progress=None):
    """(result, description, ``Basis``) of a prepared scenario."""
    request, household_id, described, assumptions = scenario
    result = simulate(request, refresh=refresh, progress=progress, household=household_id)
    return result, described, basis(request, assumptions, household_id)


def panel(clean: dict, household, refresh: bool, progress=None):
    """The results panel of a validated form for ``household`` (simulated through the cached facade)."""
    return results_panel(*compute(prepare(clean, household), refresh, progress))


def large(clean: dict) -> bool:
    return clean["paths"] * clean["years"] * 12 >= BACKGROUND_THRESHOLD


def stored(clean: dict, household):
    """A large run's result from the store (a web worker never simulates it), or None for a small run."""
    if not large(clean):
        return None
    request, household_id, described, assumptions = prepare(clean, household)
    result = stored_simulation(request, household_id)
    if result is None:
        raise InvalidInput(
            "This simulation's result is not stored (it is still running, or it has expired); "
            "run it again, then download or save it."
        )
    return result, described, basis(request, assumptions, household_id)


def summarise(out, clean) -> tuple[int, dict]:
    result, _, used = out
    return result.seed, {
        "probability_of_success": round(result.probability_of_success, 6),
        "median_ending_wealth": round(result.ending_wealth_percentiles[50], 2),
        "mean_ending_wealth": round(result.mean_ending_wealth, 2),
        "probability_of_depletion": round(result.probability_of_depletion, 6),
        "paths": result.paths,
        "years": result.months // 12,
        "model": clean["model"],
        **({"assumptions": used.assumptions["label"]} if used.assumptions else {}),
    }


PAGE = AnalysisPage(
    frame=MC.frame,
    form=form.FORM,
    path="/monte-carlo",
    name="Monte Carlo",
    noun="simulation",
    prepare=prepare,
    compute=compute,
    table=lambda out: csv_rows(out[0]),
    summarise=summarise,
    stored=stored,
    pin=pin_assumptions,
    pinned=("assumptions",),
    figures=(
        ("probability_of_success", "Probability of success", "percent"),
        ("median_ending_wealth", "Median ending wealth (today's $)", "money"),
        ("years", "Years", "count"),
        ("paths", "Paths", "count"),
        ("mean_ending_wealth", "Mean ending wealth (today's $)", "money"),
        ("probability_of_depletion", "Probability of depletion", "percent"),
        ("model", "Model", "text"),
        ("assumptions", "Firm assumptions", "text"),
    ),
)


@dataclass(frozen=True)
class Deferred:
    """A simulation too large for a web request: it runs as a background job."""

    paths: int
    months: int


@dash.callback(
    *field_outputs(form.FORM.key),
    Output(MC.frame.results, "children"),
    Output(MC.frame.alert, "children"),
    Output(MC.frame.url, "search"),
    Output(MC.JOB, "data"),
    Output(ids.thread_save("scenario", PAGE.key), "data"),
    *run_inputs(MC.frame, form.FORM),
    State(MC.CANCEL, "n_clicks"),
)
def run_simulation(_run, _recompute, household_id, values, field_ids, cancels=None):
    refresh = refreshing(MC.frame)

    def run_or_defer(clean, household):
        paths, months = clean["paths"], clean["years"] * 12
        if large(clean):
            PAGE.prepare(clean, household)  # a form the household cannot run is refused now, not in the job
            # a large run already made (by anyone, for this household as it is now) is shown at once
            shown = None if refresh else PAGE.already_shown(clean, household)
            if shown is not None:
                return shown
            try:
                ensure_worker()  # queued with nobody to take it, the run would wait for ever
            except NoWorker:
                raise InvalidInput(
                    f"No background worker is running, so {paths:,} paths x {months} months cannot start: "
                    f"runs of {BACKGROUND_THRESHOLD:,} path-months or more go to the background worker. "
                    "Run fewer paths, or ask the operator to start the worker."
                ) from None
            return Deferred(paths, months)
        return PAGE.shown(clean, household, lambda: panel(clean, household, refresh), refresh)

    done = attempt(PAGE, household_id, values, field_ids, run_or_defer)
    ended = without_result(done, "Choose a household to simulate.", extras=(no_update,))
    if ended is not None:
        return ended
    if isinstance(done.outcome, Deferred):
        request = done.outcome
        # the form as it ran, its assumptions pinned (the set in force now, not when the job starts)
        raw = {**form.FORM.read(values, field_ids).raw, **PAGE.pinned_in(done.search)}
        # "run": Dash keys a background job's result by its arguments, and the first poller to collect a
        # result deletes it; two analysts starting the same run at once would take each other's answer
        job = {
            "household": done.household.id,
            "form": raw,
            "refresh": refresh,
            "run": uuid.uuid4().hex,
            # the job runs outside this request (another process): it acts for this user, by a signed grant
            "grant": job_grant(done.household),
            "cancels": cancels or 0,  # the Cancel button's clicks before this job (``cancelled``)
        }
        # the last finished run stays on screen, in the address bar and in what Download and Save act
        # on, until this one finishes (a cancelled run replaces nothing)
        waiting = dbc.Alert(
            f"{request.paths:,} paths x {request.months} months run in the background…",
            id=MC.WAITING,
            color="info",
            className="py-1 small",
        )
        return done.classes, done.messages, no_update, waiting, no_update, job, no_update
    return (
        done.classes,
        done.messages,
        done.outcome,
        None,
        done.search,
        no_update,
        done.search,
    )


@dash.callback(
    Output(MC.frame.results, "children", allow_duplicate=True),
    Output(MC.frame.alert, "children", allow_duplicate=True),
    Output(MC.frame.url, "search", allow_duplicate=True),
    Output(ids.thread_save("scenario", PAGE.key), "data", allow_duplicate=True),
    Input(MC.JOB, "data"),
    background=True,
    progress=[Output(MC.PROGRESS, "value"), Output(MC.PROGRESS_TEXT, "children")],
    progress_default=[0, ""],
    running=[
        (Output(MC.JOB_STATE, "data"), "running", "ended"),
        (Output(MC.PROGRESS_AREA, "style"), {"display": "block"}, {"display": "none"}),
        (Output(MC.frame.run, "disabled"), True, False),
        (Output(MC.frame.recompute, "disabled"), True, False),
    ],
    cancel=[Input(MC.CANCEL, "n_clicks")],
    prevent_initial_call=True,
    interval=400,
)
def run_simulation_background(set_progress, job):
    """A large simulation as a background job: progress per 10,000 paths, cancellable."""
    in_job_process()
    try:
        if not isinstance(job, dict) or not isinstance(job.get("form"), dict):
            raise InvalidInput("The simulation request was malformed.")
        with acting_for(job.get("grant"), job.get("household")):
            household = authorize_household(job.get("household"))
            # the job may have been tampered with: its form is validated again, like any other request
            clean = PAGE.pinned_clean(form.FORM.clean(job["form"]))
            refresh = bool(job.get("refresh"))

            def progress(done, total):
                set_progress((round(100 * done / total), f"{done:,} of {total:,} paths"))

            shown = PAGE.shown(clean, household, lambda: panel(clean, household, refresh, progress), refresh)
            # finished: now it is the run on screen (the address bar and what Download and Save act on)
            search = PAGE.form.to_query(job["form"], household.id)
            return shown, None, search, search
    except Exception as error:  # noqa: BLE001 - shown on the page
        return no_update, error_alert(error), no_update, no_update


@dash.callback(
    Output(MC.frame.results, "children", allow_duplicate=True),
    Output(MC.frame.alert, "children", allow_duplicate=True),
    Input(MC.JOB_STATE, "data"),
    Input(MC.CANCEL, "n_clicks"),
    State(MC.frame.alert, "children"),
    State(ids.thread_save("scenario", PAGE.key), "data"),
    State(MC.JOB, "data"),
    prevent_initial_call=True,
)
def watch_background_job(state, cancel, alert, on_screen, job):
    """A job that ends without a result (cancelled, or its process died) says so instead of waiting
    forever; the last finished run, if any, stays on screen and says it is the last finished one."""
    still_waiting = isinstance(alert, dict) and alert.get("props", {}).get("id") == MC.WAITING
    if not still_waiting:
        raise PreventUpdate
    kept = " The results shown are the last finished run's (its settings are in the address bar)."
    if cancelled(cancel, job):
        if not on_screen:
            return notice("The simulation was cancelled."), None
        return no_update, dbc.Alert(
            "The new simulation was cancelled." + kept, color="info", className="py-1 small"
        )
    if state != "ended":
        raise PreventUpdate
    message = (
        "The background simulation stopped before finishing: its worker process ended, or no worker "
        "was left to take it. Nothing was saved. Run it again."
    )
    if on_screen:
        return no_update, dbc.Alert(message + kept, color="danger", className="page-alert")
    return notice("No result."), dbc.Alert(message, color="danger", className="page-alert")
