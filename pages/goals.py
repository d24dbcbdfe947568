"""Goals: create, edit and delete a household's goals; probability of each; saving needed for a probability.

The simulation settings are in the URL (a copied link evaluates the same way);
goals themselves live in the database.
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.forms import form_field, form_fields
from components.ids import GOALS
from components.page import action_buttons, hypothetical_notice
from components.threads import save_panel
from dashboard.forms.goals import GOAL_FORM, SIM_FORM

dash.register_page(__name__, path="/goals", title="Goals · Meridian", name="Goals", order=1)


def layout(**query):
    goal_form = [
        form_field(GOAL_FORM.key, f, f.default, width=12 if f.name == "name" else 6) for f in GOAL_FORM.fields
    ]
    sim_form = form_fields(SIM_FORM, SIM_FORM.from_query(query))
    return html.Div(
        [
            dcc.Location(id=GOALS.frame.url, refresh=False),
            dcc.Store(id=GOALS.SELECTED),
            dcc.Store(id=GOALS.VERSION, data=0),
            dcc.Download(id=GOALS.frame.download),
            html.H1("Goals", className="h3"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Card(
                                dbc.CardBody(
                                    [
                                        html.H2("Goal", className="h6", id=GOALS.FORM_TITLE),
                                        dbc.Row(goal_form, className="g-2"),
                                        dbc.Button(
                                            "Save goal", id=GOALS.SAVE, color="primary", className="me-2"
                                        ),
                                        dbc.Button(
                                            "New goal",
                                            id=GOALS.NEW,
                                            color="secondary",
                                            outline=True,
                                            className="me-2",
                                        ),
                                        dcc.ConfirmDialogProvider(
                                            dbc.Button(
                                                "Delete",
                                                id=GOALS.DELETE,
                                                color="danger",
                                                outline=True,
                                                disabled=True,
                                            ),
                                            id=GOALS.DELETE_CONFIRM,
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
                                        action_buttons(GOALS.frame, "Evaluate goals"),
                                    ]
                                )
                            ),
                            dbc.Card(
                                dbc.CardBody(
                                    [
                                        html.H2("Saving needed", className="h6"),
                                        dbc.Row(
                                            [
                                                dbc.Col(
                                                    [
                                                        dbc.Label(
                                                            "Goal",
                                                            html_for=GOALS.SOLVE_GOAL,
                                                            className="visually-hidden",
                                                        ),
                                                        dbc.Select(
                                                            id=GOALS.SOLVE_GOAL,
                                                            options=[],
                                                            placeholder="Choose a goal",
                                                        ),
                                                    ],
                                                    md=8,
                                                ),
                                                dbc.Col(
                                                    dbc.Button("Solve", id=GOALS.SOLVE, color="primary"),
                                                    md=4,
                                                ),
                                            ],
                                            className="g-2",
                                        ),
                                        dcc.Loading(
                                            html.Div(id=GOALS.SOLUTION, className="mt-2"), type="default"
                                        ),
                                    ]
                                ),
                                className="mt-3",
                            ),
                            save_panel(SIM_FORM.key),
                        ],
                        lg=4,
                    ),
                    dbc.Col(
                        [
                            html.Div(id=GOALS.frame.alert),
                            # reserved for the goals table and chart until they arrive
                            html.Div(
                                html.Div(className="skeleton", style={"height": "480px"}),
                                id=GOALS.CONTENT,
                                className="loading-fade",
                            ),
                            hypothetical_notice(),
                        ],
                        lg=8,
                    ),
                ],
                className="g-3",
            ),
        ]
    )
