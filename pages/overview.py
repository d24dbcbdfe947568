"""Overview: the analyst's households and, for the chosen one, net worth, allocation, accounts,
goal status, budget cash flow and every transaction (in a server-side grid).

The layout is a skeleton whose parts the callbacks in ``callbacks/overview.py``
fill for the household chosen in the shell, so the page is cheap to build and
valid with no arguments.
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.overview import household_skeleton
from components.statement_import import import_section
from components.transactions import GRID_LIBRARY, transactions_placeholder
from dashboard.forms.statement import MAX_BYTES

dash.register_page(__name__, path="/", title="Overview · Meridian", name="Overview", order=0)


def layout(**_kwargs):
    return html.Div(
        [
            html.H1("Overview", className="h3"),
            dbc.Alert(id=ids.OVERVIEW_ALERT, is_open=False, color="warning"),
            # the household panel's shape is reserved until it arrives (no layout shift)
            html.Div(household_skeleton(), id=ids.OVERVIEW_CONTENT, className="loading-fade"),
            html.H2("Goals", className="h5 mt-3"),
            html.Div(html.Div(className="skeleton", style={"height": "180px"}), id=ids.OVERVIEW_GOALS_STATUS),
            html.H2("Transactions", className="h5 mt-3"),
            dbc.Row(
                dbc.Col(
                    [
                        dbc.Label(
                            "Account", html_for=ids.OVERVIEW_TRANSACTIONS_ACCOUNT, className="visually-hidden"
                        ),
                        dbc.Select(
                            id=ids.OVERVIEW_TRANSACTIONS_ACCOUNT,
                            value="all",
                            options=[{"label": "All accounts", "value": "all"}],
                            className="mb-2",
                        ),
                    ],
                    md=4,
                )
            ),
            # the grid arrives once its library has loaded (assets/meridian.js); its space is reserved
            html.Div(transactions_placeholder(), id=ids.OVERVIEW_TRANSACTIONS_AREA),
            dcc.Store(id=ids.OVERVIEW_GRID_LIBRARY, data=GRID_LIBRARY),
            dcc.Store(id=ids.OVERVIEW_GRID_READY),
            import_section(MAX_BYTES),
            dcc.Store(id=ids.OVERVIEW_VERSION, data=0),
            html.H2("Your households", className="h5 mt-4"),
            html.Div(html.Div(className="skeleton", style={"height": "240px"}), id=ids.OVERVIEW_HOUSEHOLDS),
        ]
    )
