"""Overview: the analyst's households and, for the chosen one, net worth, allocation and accounts.

The layout is a skeleton; ``callbacks/overview.py`` fills it for the household
chosen in the shell, so the page is cheap to build and valid with no arguments.
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids

dash.register_page(__name__, path="/", title="Overview · Meridian", name="Overview", order=0)


def layout(**_kwargs):
    return html.Div(
        [
            html.H1("Overview", className="h3"),
            dbc.Alert(id=ids.OVERVIEW_ALERT, is_open=False, color="warning"),
            dcc.Loading(html.Div(id=ids.OVERVIEW_CONTENT), type="default", delay_show=150),
            html.H2("Your households", className="h5 mt-4"),
            dcc.Loading(html.Div(id=ids.OVERVIEW_HOUSEHOLDS), type="default", delay_show=150),
        ]
    )
