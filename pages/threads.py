"""Threads: the household's analysis threads and their saved runs; reopen a run by its link, compare runs.

Runs are saved from each analysis page's "Save to thread" panel.
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.ids import THREADS

dash.register_page(__name__, path="/threads", title="Threads · Meridian", name="Threads", order=8)


def layout(**_kwargs):
    return html.Div(
        [
            dcc.Store(id=THREADS.VERSION, data=0),
            html.H1("Threads", className="h3"),
            html.Div(id=THREADS.ALERT),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Input(id=THREADS.NEW_TITLE, placeholder="New thread title", maxLength=200), md=5
                    ),
                    dbc.Col(dbc.Button("Create thread", id=THREADS.CREATE, color="primary"), md="auto"),
                    dbc.Col(
                        dbc.Button(
                            "Compare ticked runs", id=THREADS.COMPARE, color="secondary", outline=True
                        ),
                        md="auto",
                    ),
                ],
                className="g-2 mb-3",
            ),
            html.Div(id=THREADS.COMPARISON_AREA, className="mb-3"),
            dcc.Loading(html.Div(id=THREADS.LIST), type="default", delay_show=200),
        ]
    )
