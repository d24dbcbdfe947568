"""Performance: the operations view. Callback and operation timings, slow operations, the cache, the
web vitals and render timings browsers report, latency over time; it refreshes itself while visible.

Everything comes from the one metrics store the JSON API reads (``/api/v1/performance-metrics``).
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.ids import PERF

dash.register_page(__name__, path="/performance", title="Performance · Meridian", name="Performance", order=9)

WINDOWS = (("5m", "Last 5 minutes"), ("1h", "Last hour"), ("24h", "Last 24 hours"))
REFRESH_MS = 10_000


def _section(title: str, body_id: str, height: str = "6rem") -> html.Div:
    return html.Div(
        [
            html.H2(title, className="h5 mt-4"),
            html.Div(
                html.Div(className="skeleton", style={"height": height}), id=body_id, className="loading-fade"
            ),
        ]
    )


def layout(**_kwargs):
    return html.Div(
        [
            dcc.Interval(id=PERF.INTERVAL, interval=REFRESH_MS),
            dcc.Store(id=PERF.TICK),
            dcc.Store(id=PERF.RESET_DONE, data=0),
            html.H1("Performance", className="h3"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Select(
                            id=PERF.WINDOW,
                            value="1h",
                            options=[{"label": label, "value": v} for v, label in WINDOWS],
                        ),
                        md=3,
                    ),
                    dbc.Col(html.Div(id=PERF.UPDATED, className="small text-muted pt-2"), md=5),
                    dbc.Col(html.Div(id=PERF.RESET), md=4, className="text-end"),
                ],
                className="g-2 mb-2",
            ),
            html.Div(id=PERF.ALERT),
            html.Div(
                html.Div(className="skeleton", style={"height": "92px"}),
                id=PERF.SUMMARY,
                className="loading-fade",
            ),
            _section("Callbacks", PERF.CALLBACKS, "14rem"),
            html.H2("Latency over time", className="h5 mt-4"),
            dbc.Row(
                dbc.Col(
                    dcc.Dropdown(id=PERF.OPERATION, placeholder="Choose an operation", clearable=False), md=6
                )
            ),
            html.Div(
                html.Div(className="skeleton", style={"height": "320px"}),
                id=PERF.LATENCY,
                className="mt-2 loading-fade",
            ),
            _section("Web vitals per page", PERF.VITALS, "10rem"),
            _section("Slowest components (render time in the browser)", PERF.COMPONENTS, "10rem"),
            _section("Slow operations", PERF.SLOW),
            _section("Cache", PERF.CACHE),
            _section("Engine, database and other operations", PERF.OPERATIONS, "14rem"),
        ]
    )
