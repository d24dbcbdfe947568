"""Overview: the chosen household's snapshot, its transactions grid (server side), goal status, imports."""

from __future__ import annotations

import dash
from dash import ClientsideFunction, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.analysis import chosen_id, error_alert, notice
from callbacks.goals import SIM_FORM, evaluate
from callbacks.rendered import placed, remember
from components import ids
from components.overview import (
    account_options,
    goals_table,
    household_panel,
    households_table,
    threads_list,
)
from components.statement_import import import_result
from components.transactions import transactions_grid
from dashboard.answers import Basis, Keyer, answers
from dashboard.errors import InvalidInput
from dashboard.forms.statement import decode_upload
from dashboard.services.access import (
    authorize_household,
    household_or_none,
    household_reads,
    parse_household_id,
    visible_households,
)
from dashboard.services.households import account_ids, household_rows, snapshot
from dashboard.services.imports import import_statement
from dashboard.services.threads import household_threads
from dashboard.services.transactions import household_page

ALL_ACCOUNTS = [{"label": "All accounts", "value": "all"}]
# where the household panel, kept, has its threads list placed (kept apart: see render_overview)
THREADS_SLOT = "overview-threads-slot"


@dash.callback(
    Output(ids.OVERVIEW_CONTENT, "children"),
    Output(ids.OVERVIEW_HOUSEHOLDS, "children"),
    Output(ids.OVERVIEW_TRANSACTIONS_ACCOUNT, "options"),
    Output(ids.OVERVIEW_TRANSACTIONS_ACCOUNT, "value"),
    Output(ids.OVERVIEW_IMPORT_ACCOUNT, "options"),
    Output(ids.OVERVIEW_IMPORT_ACCOUNT, "value"),
    Output(ids.OVERVIEW_IMPORT_RESULT, "children", allow_duplicate=True),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    Input(ids.OVERVIEW_VERSION, "data"),
    State(ids.OVERVIEW_TRANSACTIONS_ACCOUNT, "value"),
    State(ids.OVERVIEW_IMPORT_ACCOUNT, "value"),
    prevent_initial_call="initial_duplicate",
)
def render_overview(household_id, _version, shown_account, import_account):
    """The household's panel. After an import (same household) the account choices stay as they were,
    so the next file goes where the analyst chose; another household starts afresh."""
    if household_id is None and ctx.triggered_id is None:
        raise PreventUpdate  # the page has just loaded: the shell chooses the household, then this runs
    rows = household_rows(visible_households())
    household = household_or_none(household_id)
    if household is None:
        prompt = "Choose a household above." if rows else "No households are assigned to you yet."
        return notice(prompt), _households(rows, None), ALL_ACCOUNTS, "all", [], None, None
    snap = snapshot(household)
    threads = household_threads(household.id)
    # the panel and its threads column are kept apart: a run saved to a thread draws the list again,
    # not the panel's figures and tables
    panel = remember(
        "overview",
        {
            # what the panel shows: the household's portfolio as the snapshot reads it (its portfolio's
            # version: the panel shows no goals, so a goal saved leaves it)
            "household": [household.id, household.name, household.risk_profile, household.data_version],
            "links": dash.get_relative_path("/"),  # its links, under the app's address
        },
        household.id,
        lambda: household_panel(snap, html.Div(id=THREADS_SLOT)),
    )
    listed = remember(
        "overview:threads",
        {
            "household": household.id,
            "threads": [[t.id, t.title, t.created_by, t.updated_at, t.runs] for t in threads],
        },
        household.id,
        lambda: threads_list(threads),
    )
    panel = placed(panel, THREADS_SLOT, listed)
    accounts = [{"label": a.name, "value": str(a.id)} for a in snap.accounts]
    own = {a["value"] for a in accounts}
    same_household = ctx.triggered_id == ids.OVERVIEW_VERSION
    keep_import = same_household and import_account in own
    target = import_account if keep_import else (accounts[0]["value"] if accounts else None)
    shown = shown_account if same_household and (shown_account == "all" or shown_account in own) else "all"
    result = no_update if same_household else None
    return panel, _households(rows, household.id), account_options(snap), shown, accounts, target, result


def _households(rows: list[dict], selected: int | None):
    """The households table, drawn once per content (what each row shows, which one is chosen)."""
    return remember(
        "households",
        {"rows": rows, "selected": selected, "links": dash.get_relative_path("/")},
        None,
        lambda: households_table(rows, selected),
    )


@dash.callback(
    Output(ids.OVERVIEW_GOALS_STATUS, "children"),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    Input(ids.OVERVIEW_VERSION, "data"),
)
def goal_status(household_id, _version):
    """Each goal's probability with the Goals page's default settings (the same cached computation)."""
    household = household_or_none(household_id)
    if household is None:
        raise PreventUpdate
    evaluation = evaluate(SIM_FORM.defaults(), household)
    probabilities = {g: r.probability for g, r in evaluation.by_goal().items()}
    return goals_table(evaluation.goals, probabilities)


# The grid's library is not in the index (dashboard/delivery.py): once the household panel is on
# screen, load it (when the browser is idle), then draw the grid.
dash.clientside_callback(
    ClientsideFunction("meridian", "loadLibrary"),
    Output(ids.OVERVIEW_GRID_READY, "data"),
    Input(ids.OVERVIEW_CONTENT, "children"),
    State(ids.OVERVIEW_GRID_LIBRARY, "data"),
    prevent_initial_call=True,
)


@dash.callback(
    Output(ids.OVERVIEW_TRANSACTIONS_AREA, "children"),
    Input(ids.OVERVIEW_TRANSACTIONS_ACCOUNT, "value"),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    Input(ids.OVERVIEW_VERSION, "data"),
    Input(ids.OVERVIEW_GRID_READY, "data"),
)
def choose_account(account, household_id, version, ready):
    household = household_or_none(household_id)
    if household is None or ready is not True:
        raise PreventUpdate
    account_ids(household, chosen_id(account))  # refuses accounts of other households
    return transactions_grid(f"{household.id}-{account}-{version}")


@dash.callback(
    Output(ids.OVERVIEW_TRANSACTIONS, "getRowsResponse"),
    Input(ids.OVERVIEW_TRANSACTIONS, "getRowsRequest"),
    State(ids.OVERVIEW_TRANSACTIONS_ACCOUNT, "value"),
    State(ids.SHELL_HOUSEHOLD_SELECT, "value"),
)
def transaction_rows(request, account, household_id):
    if request is None or household_id is None:
        raise PreventUpdate
    block = household_page(authorize_household(household_id), chosen_id(account), request)
    answers.offer()  # a block shown: the same request is answered with these bytes (``GRID_ANSWERS``)
    return {"rowData": block.rows, "rowCount": block.total}


def _grid_basis(body: dict) -> Basis | None:
    """What a block of the transactions grid is made from (``transaction_rows``' request): the grid's
    request, the account chosen and the household - if the user may see it - at the version of its data
    (an import or an edit bumps it, and drops the blocks kept). None where the callback would refuse."""
    try:  # any request at all comes here (the request check comes after a miss): junk is no block
        request = body["inputs"][0]["value"]
        account = body["state"][0]["value"]
        household_id = body["state"][1]["value"]
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    if not isinstance(request, dict) or household_id is None:
        return None
    try:
        household = authorize_household(household_id)  # what the read ahead holds, if it was cached
    except Exception:  # noqa: BLE001 - refused, or unreadable: the callback says why
        return None
    parts = {"request": request, "account": account, "versions": household.data_version}
    return Basis(household=household.id, parts=parts)


def _grid_reads(body: dict, user_id: int) -> list:
    try:
        return household_reads(parse_household_id(body["state"][1]["value"]), user_id)
    except (KeyError, IndexError, TypeError, InvalidInput):
        return []


# A block asked for again (an analyst scrolling back, sorting again) is answered with the bytes sent the
# first time, before Dash is involved (dashboard/answers.py; registered with the runs' in callbacks/).
GRID_ANSWERS = Keyer(_grid_basis, _grid_reads)


@dash.callback(
    Output(ids.OVERVIEW_IMPORT_RESULT, "children"),
    Output(ids.OVERVIEW_VERSION, "data"),
    Output(ids.OVERVIEW_IMPORT_UPLOAD, "contents"),
    Input(ids.OVERVIEW_IMPORT_UPLOAD, "contents"),
    State(ids.OVERVIEW_IMPORT_UPLOAD, "filename"),
    State(ids.OVERVIEW_IMPORT_ACCOUNT, "value"),
    State(ids.OVERVIEW_IMPORT_KIND, "value"),
    State(ids.OVERVIEW_VERSION, "data"),
    State(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    prevent_initial_call=True,
)
def import_file(contents, filename, account, kind, version, household_id):
    """Import an uploaded statement; the upload is cleared so the same file can be sent again."""
    if contents is None:
        raise PreventUpdate
    try:
        household = authorize_household(household_id)
        text = decode_upload(contents, filename)
        result = import_statement(household, chosen_id(account), kind, text, filename)
        bumped = (version if isinstance(version, int) else 0) + (1 if result.ok else 0)
        return import_result(result), bumped, None
    except Exception as error:  # noqa: BLE001 - shown beside the upload
        return error_alert(error), dash.no_update, None
