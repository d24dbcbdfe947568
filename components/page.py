"""The frame every analysis page shares: the form card with run / recompute / download, and the results column.

Ids follow the page's prefix: ``<p>-url`` (the scenario in the address bar),
``<p>-download``, ``<p>-run``, ``<p>-recompute``, ``<p>-download-button``,
``<p>-alert``.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.threads import save_panel


def action_buttons(prefix: str, run_label: str) -> html.Div:
    return html.Div(
        [
            dbc.Button(run_label, id=f"{prefix}-run", color="primary", className="me-2"),
            dbc.Button(
                "Recompute",
                id=f"{prefix}-recompute",
                color="secondary",
                outline=True,
                className="me-2",
                title="Ignore cached results and compute again",
            ),
            dbc.Button("Download CSV", id=f"{prefix}-download-button", color="secondary", outline=True),
        ],
        className="mt-2",
    )


def analysis_layout(
    prefix: str, title: str, fields: list, run_label: str, results: list, stores: list = ()
) -> html.Div:
    """Form on the left (fields, then the actions), alert and ``results`` on the right."""
    return html.Div(
        [
            dcc.Location(id=f"{prefix}-url", refresh=False),
            dcc.Download(id=f"{prefix}-download"),
            *stores,
            html.H1(title, className="h3"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Card(
                                dbc.CardBody(
                                    [dbc.Row(fields, className="g-2"), action_buttons(prefix, run_label)]
                                )
                            ),
                            save_panel(prefix),
                        ],
                        lg=4,
                    ),
                    dbc.Col([html.Div(id=f"{prefix}-alert"), *results], lg=8),
                ],
                className="g-3",
            ),
        ]
    )
