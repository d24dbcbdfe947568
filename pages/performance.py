"""Operations (was "Performance"; its old address redirects here), for administrators: the app's own view. Callback and operation timings, slow operations, the cache, the
web vitals and render timings browsers report, latency over time; it refreshes itself while visible.

Everything comes from the one metrics store the JSON API reads (``/api/v1/performance-metrics``).
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.ids import PERF
from components.performance import DEFAULT_ROWS, DEFAULT_WINDOW, ROW_CHOICES, latency_panel

PATH = "/operations"
dash.register_page(
    __name__,
    path=PATH,
    title="Operations · Meridian",
    name="Operations",
    order=9,  # its old address, /performance, redirects here (dashboard/factory.py MOVED)
)

WINDOWS = (("5m", "Last 5 minutes"), ("1h", "Last hour"), ("24h", "Last 24 hours"))
REFRESH_MS = 10_000


def _section(title: str, body_id: str, children) -> html.Div:
    return html.Div(
        [html.H2(title, className="h5 mt-4"), html.Div(children, id=body_id, className="loading-fade")]
    )


def layout(**_kwargs):
    """Drawn with its numbers (no placeholder that the first answer would push around)."""
    view = dash.get_app().view(PATH)  # callbacks/performance.py first_view, handed over by the UI
    if view is None:
        return html.Div(
            [
                html.H1("Operations", className="h3"),
                dbc.Alert(
                    "Operations (the app's timings, cache and errors) is for administrators.", color="info"
                ),
            ]
        )
    return html.Div(
        [
            dcc.Interval(id=PERF.INTERVAL, interval=REFRESH_MS),
            dcc.Store(id=PERF.TICK),
            dcc.Store(id=PERF.RESET_DONE, data=0),
            html.H1("Operations", className="h3"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Window", html_for=PERF.WINDOW, className="visually-hidden"),
                            dbc.Select(
                                id=PERF.WINDOW,
                                value=DEFAULT_WINDOW,
                                options=[{"label": label, "value": v} for v, label in WINDOWS],
                            ),
                        ],
                        md=3,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Rows", html_for=PERF.ROWS, className="visually-hidden"),
                            dbc.Select(
                                id=PERF.ROWS,
                                value=DEFAULT_ROWS,
                                options=[{"label": label, "value": v} for v, label in ROW_CHOICES],
                            ),
                        ],
                        md=2,
                    ),
                    dbc.Col(
                        html.Div(view["updated"], id=PERF.UPDATED, className="small text-muted pt-2"), md=4
                    ),
                    dbc.Col(html.Div(view["reset"], id=PERF.RESET), md=3, className="text-end"),
                ],
                className="g-2 mb-2",
            ),
            html.Div(view["alert"], id=PERF.ALERT),
            html.Div(view["summary"], id=PERF.SUMMARY, className="loading-fade"),
            _section("Callbacks", PERF.CALLBACKS, view["callbacks"]),
            html.H2("Latency over time", className="h5 mt-4"),
            dbc.Row(
                dbc.Col(
                    [
                        dbc.Label("Operation", html_for=PERF.OPERATION, className="visually-hidden"),
                        dbc.Select(
                            id=PERF.OPERATION,
                            options=view["operation_options"],
                            placeholder="Choose an operation",
                        ),
                    ],
                    md=6,
                )
            ),
            html.Div(latency_panel(None, [], False), id=PERF.LATENCY, className="mt-2 loading-fade"),
            _section("Web vitals per page", PERF.VITALS, view["vitals"]),
            _section("Slowest components (render time in the browser)", PERF.COMPONENTS, view["components"]),
            _section("Slow operations", PERF.SLOW, view["slow"]),
            _section("Cache", PERF.CACHE, view["cache"]),
            _section("Engine, database and other operations", PERF.OPERATIONS, view["operations"]),
        ]
    )
