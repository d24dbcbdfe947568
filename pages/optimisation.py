"""Portfolio optimisation: objective, models, constraints and views; frontier, weights and allocation.

Everything in the form is in the URL, so a copied link re-runs the same optimisation.
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.forms import form_field
from components.optimisation import FIELDS, PAGE, output_area
from dashboard.forms import from_query

dash.register_page(
    __name__, path="/optimisation", title="Optimisation · Meridian", name="Optimisation", order=2
)


def layout(**query):
    values = from_query(FIELDS, query)
    wide = {"tickers", "sector_limits", "views"}
    fields = [form_field(PAGE, f, values[f.name], width=12 if f.name in wide else 6) for f in FIELDS]
    return html.Div(
        [
            dcc.Location(id="opt-url", refresh=False),
            dcc.Download(id="opt-download"),
            html.H1("Portfolio optimisation", className="h3"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    dbc.Row(fields, className="g-2"),
                                    html.Div(
                                        [
                                            dbc.Button(
                                                "Optimise", id="opt-run", color="primary", className="me-2"
                                            ),
                                            dbc.Button(
                                                "Recompute",
                                                id="opt-recompute",
                                                color="secondary",
                                                outline=True,
                                                className="me-2",
                                                title="Ignore cached results and compute again",
                                            ),
                                            dbc.Button(
                                                "Download CSV",
                                                id="opt-download-button",
                                                color="secondary",
                                                outline=True,
                                            ),
                                        ],
                                        className="mt-2",
                                    ),
                                ]
                            )
                        ),  # fmt: skip
                        lg=4,
                    ),
                    dbc.Col(
                        [
                            html.Div(id="opt-alert"),
                            dcc.Loading(
                                [html.Div(id="opt-results"), output_area()], type="default", delay_show=200
                            ),
                        ],  # fmt: skip
                        lg=8,
                    ),
                ],
                className="g-3",
            ),
        ]
    )
