"""Threads: "save to thread" on every analysis page (MATCH callbacks) and the Threads page itself.

A saved run is the page's scenario as its address bar shows it; its summary
is computed again on the server from those parameters (through the cache,
normally a hit), never taken from the browser. Which pages can save, and how
each summarises a run, comes from the page specs handed to :func:`register`.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.analysis import AnalysisPage, chosen_id, error_alert, notice
from components import ids
from components.ids import THREADS
from components.threads import PageInfo, PageNames, comparison, saved, threads_view
from dashboard.errors import InvalidInput
from dashboard.forms import report as report_form
from dashboard.services.access import HouseholdRef, authorize_household, current_user, household_or_none
from dashboard.services.threads import create_thread, delete_run, delete_thread, household_threads, save_run


def _options(household: HouseholdRef) -> list[dict]:
    """The household's threads as a native select's choices (text values), a new thread first."""
    return [{"label": "A new thread (title below)", "value": ""}] + [
        {"label": t.title, "value": str(t.id)} for t in household_threads(household.id)
    ]


def register(pages: Sequence[AnalysisPage]) -> SimpleNamespace:
    """The thread callbacks that depend on the analysis ``pages`` (their save panels, the Threads page's labels)."""
    by_key = {page.key: page for page in pages}
    names: PageNames = {
        page.key: PageInfo(
            page.path,
            page.name,
            page.figures,
            {f.name: f for f in page.form.fields},
        )
        for page in pages
    }
    # a saved client report: reopened in the composer with every run it shows
    names[report_form.KEY] = PageInfo(
        "/report",
        "Client report",
        (("title", "Title", "text"), ("sections", "Sections", "text")),
        {f.name: f for f in report_form.FORM.fields},
    )

    @dash.callback(
        Output(ids.thread_save("select", MATCH), "options"),
        Output(ids.thread_save("feedback", MATCH), "children", allow_duplicate=True),
        Input(ids.thread_save("select", MATCH), "id"),
        Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def thread_options(_rendered, household_id):
        """The household's threads to save into; a message about another household's thread is cleared."""
        household = household_or_none(household_id)
        return ([] if household is None else _options(household)), None

    @dash.callback(
        Output(ids.thread_save("feedback", MATCH), "children"),
        Output(ids.thread_save("select", MATCH), "options", allow_duplicate=True),
        Output(ids.thread_save("select", MATCH), "value"),
        Output(ids.thread_save("title", MATCH), "value"),
        Output(ids.thread_save("note", MATCH), "value"),
        Input(ids.thread_save("save", MATCH), "n_clicks"),
        State(ids.thread_save("scenario", MATCH), "data"),
        State(ids.thread_save("select", MATCH), "value"),
        State(ids.thread_save("title", MATCH), "value"),
        State(ids.thread_save("note", MATCH), "value"),
        State(ids.SHELL_HOUSEHOLD_SELECT, "value"),
        prevent_initial_call=True,
    )
    def save_to_thread(_clicks, scenario, thread_id, title, note, household_id):
        try:
            key = ctx.triggered_id.get("page") if isinstance(ctx.triggered_id, dict) else None
            page = by_key.get(key) if isinstance(key, str) else None
            if page is None:
                raise InvalidInput("This page cannot save runs.")
            household, clean, out = page.on_screen(scenario, "save")
            chosen = household_or_none(household_id)
            if chosen is None or chosen.id != household.id:
                raise InvalidInput("The results on screen are another household's; run the page again.")
            seed, summary = page.summarise(out, clean)
            user = current_user()
            thread_id = chosen_id(thread_id) if thread_id != "" else None
            if thread_id is None:
                if not title:
                    raise InvalidInput("Choose a thread or give a new one a title.")
                thread_id = create_thread(household.id, user.id, title)
            # the validated request, not the string the browser sent (made-up parameters are not kept)
            kept = page.form.canonical_query(clean, household.id)
            save_run(household.id, user.id, thread_id, page.key, kept, seed, summary, note)
            return saved(dash.get_relative_path("/threads")), _options(household), str(thread_id), "", ""
        except Exception as error:  # noqa: BLE001 - shown beside the button
            return error_alert(error), no_update, no_update, no_update, no_update

    @dash.callback(
        Output(THREADS.LIST, "children"),
        Output(THREADS.ALERT, "children"),
        Output(THREADS.COMPARISON_AREA, "children", allow_duplicate=True),
        Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
        Input(THREADS.VERSION, "data"),
        prevent_initial_call="initial_duplicate",
    )
    def render_threads(household_id, _version):
        """The household's threads; a comparison of another household's runs does not stay on screen."""
        try:
            household = household_or_none(household_id)
            if household is None:
                return notice("Choose a household to see its threads."), None, None
            return threads_view(household_threads(household.id), names, household.id), None, None
        except Exception as error:  # noqa: BLE001 - shown on the page
            return no_update, error_alert(error), None

    @dash.callback(
        Output(THREADS.COMPARISON_AREA, "children"),
        Input(THREADS.COMPARE, "n_clicks"),
        State(THREADS.pick(ALL), "value"),
        State(THREADS.pick(ALL), "id"),
        State(ids.SHELL_HOUSEHOLD_SELECT, "value"),
        prevent_initial_call=True,
    )
    def compare_runs(_clicks, picked, pick_ids, household_id):
        try:
            household = authorize_household(household_id)
            chosen = [
                i["index"] for i, on in zip(pick_ids, picked, strict=False) if on and isinstance(i, dict)
            ]
            if not 2 <= len(chosen) <= 4:
                raise InvalidInput("Tick two to four runs to compare.")
            runs = {r.id: r for t in household_threads(household.id) for r in t.items}
            if any(r not in runs for r in chosen):
                raise InvalidInput("Those runs are not in this household's threads.")
            return [html.H2("Comparison", className="h6"), comparison([runs[r] for r in chosen], names)]
        except Exception as error:  # noqa: BLE001 - shown on the page
            return error_alert(error)

    return SimpleNamespace(
        names=names,
        thread_options=thread_options,
        save_to_thread=save_to_thread,
        render_threads=render_threads,
        compare_runs=compare_runs,
    )


@dash.callback(
    Output(THREADS.VERSION, "data"),
    Output(THREADS.ALERT, "children", allow_duplicate=True),
    Output(THREADS.NEW_TITLE, "value"),
    Input(THREADS.CREATE, "n_clicks"),
    Input(THREADS.delete_run(ALL), "n_clicks"),
    Input(THREADS.delete_thread(ALL), "submit_n_clicks"),
    State(THREADS.NEW_TITLE, "value"),
    State(THREADS.VERSION, "data"),
    State(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    prevent_initial_call=True,
)
def change_threads(_create, delete_runs, delete_threads, title, version, household_id):
    trigger = ctx.triggered_id
    if isinstance(trigger, dict) and not any((delete_runs or []) + (delete_threads or [])):
        raise PreventUpdate  # the list was redrawn; nothing was clicked
    version = version if isinstance(version, int) else 0
    try:
        household = authorize_household(household_id)
        if trigger == THREADS.CREATE:
            create_thread(household.id, current_user().id, title)
            return version + 1, dbc.Alert("Thread created.", color="success", duration=3000), ""
        if trigger.get("type") == THREADS.DELETE_RUN:
            delete_run(household.id, trigger.get("index"))
            return version + 1, dbc.Alert("Run deleted.", color="success", duration=3000), no_update
        delete_thread(household.id, trigger.get("index"))
        return version + 1, dbc.Alert("Thread deleted.", color="success", duration=3000), no_update
    except Exception as error:  # noqa: BLE001 - shown on the page
        return no_update, error_alert(error), no_update
