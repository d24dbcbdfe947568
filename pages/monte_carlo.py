"""Monte Carlo: simulate the chosen household's wealth under a return model and cash flows.

The form is built from the field specs in ``components.monte_carlo``; the URL
query carries every field, so a copied link re-runs the same simulation (same
seed, same numbers). Large runs go to a background job with a progress bar.
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.forms import form_field
from components.monte_carlo import FIELDS, PAGE
from dashboard.forms import from_query

dash.register_page(__name__, path="/monte-carlo", title="Monte Carlo · Meridian", name="Monte Carlo", order=3)


def layout(**query):
    values = from_query(FIELDS, query)
    fields = [form_field(PAGE, f, values[f.name]) for f in FIELDS]
    return html.Div(
        [
            dcc.Location(id="mc-url", refresh=False),
            dcc.Store(id="mc-job"),
            dcc.Download(id="mc-download"),
            html.H1("Monte Carlo", className="h3"),
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
                                                "Run simulation",
                                                id="mc-run",
                                                color="primary",
                                                className="me-2",
                                            ),
                                            dbc.Button(
                                                "Recompute",
                                                id="mc-recompute",
                                                color="secondary",
                                                outline=True,
                                                className="me-2",
                                                title="Ignore cached results and compute again",
                                            ),
                                            dbc.Button(
                                                "Download CSV",
                                                id="mc-download-button",
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
                            html.Div(id="mc-alert"),
                            html.Div(
                                [
                                    dbc.Progress(
                                        id="mc-progress",
                                        value=0,
                                        label="",
                                        striped=True,
                                        animated=True,
                                        className="mb-2",
                                    ),
                                    dbc.Button(
                                        "Cancel", id="mc-cancel", color="danger", size="sm", outline=True
                                    ),
                                ],
                                id="mc-progress-area",
                                style={"display": "none"},
                            ),  # fmt: skip
                            dcc.Loading(html.Div(id="mc-results"), type="default", delay_show=200),
                        ],
                        lg=8,
                    ),
                ],
                className="g-3",
            ),
        ]
    )
