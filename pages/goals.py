"""Goals: create, edit and delete a household's goals; probability of each; saving needed for a probability.

The simulation settings are in the URL (a copied link evaluates the same way);
goals themselves live in the database.
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.forms import form_field
from components.goals import PAGE, SIM_FIELDS, SIM_PAGE
from components.page import action_buttons
from components.threads import save_panel
from dashboard.forms import from_query
from dashboard.goals import GOAL_FIELDS

dash.register_page(__name__, path="/goals", title="Goals · Meridian", name="Goals", order=1)


def layout(**query):
    settings = from_query(SIM_FIELDS, query)
    goal_form = [form_field(PAGE, f, f.default, width=12 if f.name == "name" else 6) for f in GOAL_FIELDS]
    sim_form = [form_field(SIM_PAGE, f, settings[f.name]) for f in SIM_FIELDS]
    return html.Div(
        [
            dcc.Location(id="goals-url", refresh=False),
            dcc.Store(id="goals-selected"),
            dcc.Store(id="goals-version", data=0),
            dcc.Download(id="goals-download"),
            html.H1("Goals", className="h3"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Card(
                                dbc.CardBody(
                                    [
                                        html.H2("Goal", className="h6", id="goals-form-title"),
                                        dbc.Row(goal_form, className="g-2"),
                                        dbc.Button(
                                            "Save goal", id="goals-save", color="primary", className="me-2"
                                        ),
                                        dbc.Button(
                                            "New goal",
                                            id="goals-new",
                                            color="secondary",
                                            outline=True,
                                            className="me-2",
                                        ),
                                        dcc.ConfirmDialogProvider(
                                            dbc.Button(
                                                "Delete", id="goals-delete", color="danger", outline=True
                                            ),
                                            id="goals-delete-confirm",
                                            message="Delete this goal? This cannot be undone.",
                                        ),
                                    ]
                                ),
                                className="mb-3",
                            ),
                            dbc.Card(
                                dbc.CardBody(
                                    [
                                        html.H2("Simulation", className="h6"),
                                        dbc.Row(sim_form, className="g-2"),
                                        action_buttons("goals", "Evaluate goals"),
                                    ]
                                )
                            ),
                            save_panel(SIM_PAGE),
                        ],
                        lg=4,
                    ),
                    dbc.Col(
                        [
                            html.Div(id="goals-alert"),
                            dcc.Loading(html.Div(id="goals-content"), type="default", delay_show=200),
                            dbc.Card(
                                dbc.CardBody(
                                    [
                                        html.H2("Saving needed", className="h6"),
                                        dbc.Row(
                                            [
                                                dbc.Col(
                                                    dcc.Dropdown(
                                                        id="goals-solve-goal",
                                                        placeholder="Choose a goal",
                                                        clearable=False,
                                                    ),
                                                    md=8,
                                                ),
                                                dbc.Col(
                                                    dbc.Button("Solve", id="goals-solve", color="primary"),
                                                    md=4,
                                                ),
                                            ],
                                            className="g-2",
                                        ),
                                        dcc.Loading(
                                            html.Div(id="goals-solution", className="mt-2"), type="default"
                                        ),
                                    ]
                                ),
                                className="mt-3",
                            ),
                        ],
                        lg=8,
                    ),
                ],
                className="g-3",
            ),
        ]
    )
