"""Overview: the chosen household's snapshot, its transactions grid (server side), goal status."""

from __future__ import annotations

import dash
from dash import Input, Output, State
from dash.exceptions import PreventUpdate
from sqlalchemy import select

from callbacks.common import error_alert
from components import ids
from components.goals import SIM_FIELDS
from components.overview import (
    account_options,
    goals_table,
    household_panel,
    households_table,
    import_result,
    transactions_grid,
)
from dashboard import analytics
from dashboard.access import InvalidInput, authorize_household, visible_households
from dashboard.extensions import cache, db
from dashboard.forms import validate
from dashboard.goals import evaluation
from dashboard.households import household_rows, snapshot
from dashboard.imports import import_statement
from dashboard.models import Account
from dashboard.threads import household_threads
from dashboard.transactions import page


@dash.callback(
    Output(ids.OVERVIEW_CONTENT, "children"),
    Output(ids.OVERVIEW_HOUSEHOLDS, "children"),
    Output(ids.OVERVIEW_TRANSACTIONS_ACCOUNT, "options"),
    Output(ids.OVERVIEW_TRANSACTIONS_ACCOUNT, "value"),
    Output(ids.OVERVIEW_IMPORT_ACCOUNT, "options"),
    Output(ids.OVERVIEW_IMPORT_ACCOUNT, "value"),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    Input(ids.OVERVIEW_VERSION, "data"),
)
def render_overview(household_id, _version):
    households = visible_households()
    with db.session() as session:
        rows = household_rows(session, households)
        if household_id is None:
            empty = [{"label": "All accounts", "value": "all"}]
            return (
                dash.html.P("Choose a household above.", className="text-muted"),
                households_table(rows, None),
                empty,
                "all",
            )
        household = authorize_household(household_id)
        snap = snapshot(session, household)
        panel = household_panel(snap, household_threads(household.id))
        accounts = [{"label": a.name, "value": a.id} for a in snap.accounts]
        first = accounts[0]["value"] if accounts else None
        return panel, households_table(rows, household.id), account_options(snap), "all", accounts, first


@dash.callback(
    Output(ids.OVERVIEW_GOALS_STATUS, "children"),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    Input(ids.OVERVIEW_VERSION, "data"),
)
def goal_status(household_id, _version):
    """Each goal's probability with the Goals page's default settings (the same cached computation)."""
    if household_id is None:
        raise PreventUpdate
    household = authorize_household(household_id)
    defaults, _ = validate(SIM_FIELDS, {})
    goals, _as_of, model, specs = evaluation(household, defaults)
    results = analytics.goal_probabilities(model, specs, household=household.id)
    with db.session() as session:
        snap = snapshot(session, household)
    return goals_table(snap, {g.id: r.probability for g, r in zip(goals, results, strict=True)})


def _accounts(household, account) -> list[int]:
    with db.session() as session:
        owned = list(
            session.scalars(
                select(Account.id).where(Account.household_id == household.id).order_by(Account.id)
            )
        )
    if account in (None, "all"):
        return owned
    if account not in owned:
        raise InvalidInput("That account is not one of this household's accounts.")
    return [account]


@dash.callback(
    Output(ids.OVERVIEW_TRANSACTIONS_AREA, "children"),
    Input(ids.OVERVIEW_TRANSACTIONS_ACCOUNT, "value"),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    Input(ids.OVERVIEW_VERSION, "data"),
)
def choose_account(account, household_id, version):
    if household_id is None:
        raise PreventUpdate
    household = authorize_household(household_id)
    _accounts(household, account)  # refuses accounts of other households
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
    household = authorize_household(household_id)

    def remember(key, count):
        request_key = {**key, "data_version": household.data_version}
        return cache.get_or_compute("grid", request_key, count, household=household.id)

    with db.session() as session:
        block = page(session, _accounts(household, account), request, remember)
    return {"rowData": block.rows, "rowCount": block.total}


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
        result = import_statement(household, account, kind, contents, filename)
        bumped = (version if isinstance(version, int) else 0) + (1 if result.ok else 0)
        return import_result(result), bumped, None
    except Exception as error:  # noqa: BLE001 - shown beside the upload
        return error_alert(error), dash.no_update, None
