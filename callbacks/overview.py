"""Overview: the chosen household's snapshot and the analyst's household list."""

from __future__ import annotations

import dash
from dash import Input, Output

from components import ids
from components.overview import household_panel, households_table
from dashboard.access import authorize_household, visible_households
from dashboard.extensions import db
from dashboard.households import household_rows, snapshot
from dashboard.threads import household_threads


@dash.callback(
    Output(ids.OVERVIEW_CONTENT, "children"),
    Output(ids.OVERVIEW_HOUSEHOLDS, "children"),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
)
def render_overview(household_id):
    households = visible_households()
    with db.session() as session:
        rows = household_rows(session, households)
        if household_id is None:
            return dash.html.P("Choose a household above.", className="text-muted"), households_table(
                rows, None
            )
        household = authorize_household(household_id)
        panel = household_panel(snapshot(session, household), household_threads(household.id))
        return panel, households_table(rows, household.id)
