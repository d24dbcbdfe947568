"""Assumptions: the firm's capital market assumptions (every version, the one in force, what each gives
the securities), and for administrators the import and the editor that add a new version.

Every forecast page says which set it used and links here; the shell links here beside the prices' date.
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.assumptions import admin_tools
from components.ids import CMA
from dashboard.forms.statement import MAX_BYTES

dash.register_page(
    __name__, path="/assumptions", title="Assumptions · Meridian", name="Assumptions", order=11
)


def layout(**_kwargs):
    return html.Div(
        [
            dcc.Store(id=CMA.VERSION, data=0),
            dcc.Download(id=CMA.DOWNLOAD),
            html.H1("Capital market assumptions", className="h3"),
            html.P(
                "The firm's long-run expected returns, volatilities and correlations: the default for every "
                "forecast (Monte Carlo, Goals, Retirement) and for the optimiser's expected returns. A "
                "historical estimate chosen instead is compared with them beside its result.",
                className="text-muted",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Set", html_for=CMA.CHOICE, className="small mb-1"),
                            dbc.Select(id=CMA.CHOICE, options=[]),
                        ],
                        md=6,
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Download CSV",
                            id=CMA.DOWNLOAD_BUTTON,
                            color="secondary",
                            outline=True,
                            className="mt-4",
                        ),
                        md=3,
                    ),
                ],
                className="g-2",
            ),
            html.Div(id=CMA.CONTENT),
            # shown with the set's figures by the page's callback, so nothing moves when they arrive
            html.Div(admin_tools(MAX_BYTES), id=CMA.TOOLS, className="d-none"),
        ]
    )
