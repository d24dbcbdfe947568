"""The frame every analysis page shares: the form card with run / recompute / download, and the results column.

Ids come from ``ids.Frame(prefix)``: the scenario in the address bar, the
download, the buttons, the alert and the results.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.ids import Frame
from components.threads import save_panel


def action_buttons(frame: Frame, run_label: str) -> html.Div:
    return html.Div(
        [
            dbc.Button(run_label, id=frame.run, color="primary", className="me-2"),
            dbc.Button(
                "Recompute",
                id=frame.recompute,
                color="secondary",
                outline=True,
                className="me-2",
                title="Ignore cached results and compute again",
            ),
            dbc.Button("Download CSV", id=frame.download_button, color="secondary", outline=True),
        ],
        className="mt-2",
    )


def analysis_layout(
    frame: Frame,
    title: str,
    fields: list,
    run_label: str,
    results: list | None = None,
    stores: list = (),
    thread_page: str | None = None,
    beside_actions: list = (),
) -> html.Div:
    """Form on the left (fields, then the actions), alert and results on the right.

    ``results`` default to one loading area, ``frame.results``; ``thread_page``
    is the key runs are saved under (default: the prefix); ``beside_actions`` sit right under the
    run button (a background run's progress: where the analyst's eyes are when they press it).
    """
    if results is None:
        results = [dcc.Loading(html.Div(id=frame.results), type="default", delay_show=200)]
    return html.Div(
        [
            dcc.Location(id=frame.url, refresh=False),
            dcc.Download(id=frame.download),
            *stores,
            html.H1(title, className="h3"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Card(
                                dbc.CardBody(
                                    [
                                        dbc.Row(fields, className="g-2"),
                                        action_buttons(frame, run_label),
                                        *beside_actions,
                                    ]
                                )
                            ),
                            save_panel(thread_page or frame.prefix),
                        ],
                        lg=4,
                    ),
                    dbc.Col([html.Div(id=frame.alert), *results], lg=8),
                ],
                className="g-3",
            ),
        ]
    )
