"""Threads: "save to thread" on every analysis page (MATCH callbacks) and the Threads page itself.

A saved run is the page's scenario as its address bar shows it; its summary
is computed again on the server from those parameters (through the cache,
normally a hit), never taken from the browser.
"""

from __future__ import annotations

from collections.abc import Callable

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.common import error_alert, household_or_none, notice
from components import ids as shell_ids
from components.threads import comparison, ids, threads_view
from dashboard.access import InvalidInput, authorize_household, current_user
from dashboard.forms import Field, FormErrors, parse_search, validate
from dashboard.threads import create_thread, delete_run, delete_thread, household_threads, save_run

# page prefix -> (fields, summarise(clean values, household) -> (seed or None, summary dict))
SUMMARIES: dict[str, tuple[list[Field], Callable]] = {}


def register_summary(prefix: str, fields: list[Field], summarise: Callable) -> None:
    """Let ``prefix``'s page save runs: how to read its parameters and summarise a run."""
    SUMMARIES[prefix] = (fields, summarise)


def _options(household) -> list[dict]:
    return [{"label": t.title, "value": t.id} for t in household_threads(household.id)]


@dash.callback(
    Output(ids("select", MATCH), "options"),
    Input(ids("select", MATCH), "id"),
    Input(shell_ids.SHELL_HOUSEHOLD_SELECT, "value"),
)
def thread_options(_rendered, household_id):
    household = household_or_none(household_id)
    return [] if household is None else _options(household)


@dash.callback(
    Output(ids("feedback", MATCH), "children"),
    Output(ids("select", MATCH), "options", allow_duplicate=True),
    Output(ids("select", MATCH), "value"),
    Output(ids("title", MATCH), "value"),
    Output(ids("note", MATCH), "value"),
    Input(ids("save", MATCH), "n_clicks"),
    State(ids("scenario", MATCH), "data"),
    State(ids("select", MATCH), "value"),
    State(ids("title", MATCH), "value"),
    State(ids("note", MATCH), "value"),
    State(shell_ids.SHELL_HOUSEHOLD_SELECT, "value"),
    prevent_initial_call=True,
)
def save_to_thread(_clicks, scenario, thread_id, title, note, household_id):
    try:
        prefix = ctx.triggered_id["page"] if isinstance(ctx.triggered_id, dict) else None
        if prefix not in SUMMARIES:
            raise InvalidInput("This page cannot save runs.")
        household = authorize_household(household_id)
        if not isinstance(scenario, str) or not scenario:
            raise InvalidInput("Run the analysis first, then save it.")
        fields, summarise = SUMMARIES[prefix]
        clean, errors = validate(fields, parse_search(scenario))
        if errors:
            raise FormErrors(errors)
        seed, summary = summarise(clean, household)
        user = current_user()
        if thread_id is None:
            if not title:
                raise InvalidInput("Choose a thread or give a new one a title.")
            thread_id = create_thread(household.id, user.id, title)
        save_run(household.id, user.id, thread_id, prefix, scenario, seed, summary, note)
        done = dbc.Alert(
            ["Saved. ", dash.dcc.Link("Open the threads", href=dash.get_relative_path("/threads"))],
            color="success",
            className="py-1 mb-0",
        )
        return done, _options(household), thread_id, "", ""
    except Exception as error:  # noqa: BLE001 - shown beside the button
        return error_alert(error), no_update, no_update, no_update, no_update


# -- the Threads page ----------------------------------------------------------------------------


@dash.callback(
    Output("threads-list", "children"),
    Output("threads-alert", "children"),
    Input(shell_ids.SHELL_HOUSEHOLD_SELECT, "value"),
    Input("threads-version", "data"),
)
def render_threads(household_id, _version):
    try:
        household = household_or_none(household_id)
        if household is None:
            return notice("Choose a household to see its threads."), None
        return threads_view(household_threads(household.id)), None
    except Exception as error:  # noqa: BLE001 - shown on the page
        return no_update, error_alert(error)


@dash.callback(
    Output("threads-version", "data"),
    Output("threads-alert", "children", allow_duplicate=True),
    Output("threads-new-title", "value"),
    Input("threads-create", "n_clicks"),
    Input({"type": "threads-delete-run", "index": ALL}, "n_clicks"),
    Input({"type": "threads-delete-thread", "index": ALL}, "submit_n_clicks"),
    State("threads-new-title", "value"),
    State("threads-version", "data"),
    State(shell_ids.SHELL_HOUSEHOLD_SELECT, "value"),
    prevent_initial_call=True,
)
def change_threads(_create, delete_runs, delete_threads, title, version, household_id):
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and not any((delete_runs or []) + (delete_threads or [])):
        raise PreventUpdate  # the list was redrawn; nothing was clicked
    version = version if isinstance(version, int) else 0
    try:
        household = authorize_household(household_id)
        if trigger == "threads-create":
            create_thread(household.id, current_user().id, title)
            return version + 1, dbc.Alert("Thread created.", color="success", duration=3000), ""
        if trigger.get("type") == "threads-delete-run":
            delete_run(household.id, trigger.get("index"))
            return version + 1, dbc.Alert("Run deleted.", color="success", duration=3000), no_update
        delete_thread(household.id, trigger.get("index"))
        return version + 1, dbc.Alert("Thread deleted.", color="success", duration=3000), no_update
    except Exception as error:  # noqa: BLE001 - shown on the page
        return no_update, error_alert(error), no_update


@dash.callback(
    Output("threads-comparison-area", "children"),
    Input("threads-compare", "n_clicks"),
    State({"type": "threads-pick", "index": ALL}, "value"),
    State({"type": "threads-pick", "index": ALL}, "id"),
    State(shell_ids.SHELL_HOUSEHOLD_SELECT, "value"),
    prevent_initial_call=True,
)
def compare_runs(_clicks, picked, pick_ids, household_id):
    try:
        household = authorize_household(household_id)
        chosen = [i["index"] for i, on in zip(pick_ids, picked, strict=False) if on and isinstance(i, dict)]
        if not 2 <= len(chosen) <= 4:
            raise InvalidInput("Tick two to four runs to compare.")
        runs = {r.id: r for t in household_threads(household.id) for r in t.items}
        missing = [r for r in chosen if r not in runs]
        if missing:
            raise InvalidInput("Those runs are not in this household's threads.")
        return [html.H2("Comparison", className="h6"), comparison([runs[r] for r in chosen])]
    except Exception as error:  # noqa: BLE001 - shown on the page
        return error_alert(error)
