"""Performance page: the report for the chosen window, latency over time, reset for admins.

It refreshes every 10 s while the tab is visible (the interval's ticks are
dropped in the browser while it is hidden), reading the same store as the API.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, dcc, no_update
from dash.exceptions import PreventUpdate

from callbacks.analysis import error_alert
from components.ids import PERF
from components.performance import (
    DEFAULT_ROWS,
    DEFAULT_WINDOW,
    cache_table,
    components_table,
    latency_panel,
    slow_table,
    summary_cards,
    timings_table,
    vitals_table,
)
from dashboard.errors import AccessDenied, InvalidInput
from dashboard.metrics.store import WINDOWS
from dashboard.observability.report import build_report, latency_series, measured_names, reset
from dashboard.services import audit
from dashboard.services.access import current_user

PAGE_WINDOWS = ("5m", "1h", "24h")

# Ticks of the interval reach the server only while the page is visible.
dash.clientside_callback(
    ClientsideFunction("meridian", "visibleTick"),
    Output(PERF.TICK, "data"),
    Input(PERF.INTERVAL, "n_intervals"),
)


def _window(raw) -> str:
    if raw not in PAGE_WINDOWS:
        raise InvalidInput("Choose a window: the last 5 minutes, hour or 24 hours.")
    return raw


def _rows(raw) -> int | None:
    limits = {"15": 15, "50": 50, "all": None}
    if raw not in limits:
        raise InvalidInput("Choose how many rows to show: 15, 50 or all.")
    return limits[raw]


REPORT_OUTPUTS = (
    "summary",
    "callbacks",
    "operations",
    "slow",
    "cache",
    "vitals",
    "components",
    "operation_options",
    "updated",
    "reset",
    "alert",
)


def _admin() -> None:
    if not current_user().is_admin:
        raise AccessDenied("Operations is for administrators.")


def report_view(window, rows) -> tuple:
    """Every panel of the report for ``window``, the long tables cut to ``rows`` (in REPORT_OUTPUTS'
    order); the page's first view (drawn with the page: nothing moves when it arrives) and each refresh.
    Administrators only."""
    try:
        _admin()
        report = build_report(_window(window))
        limit = _rows(rows)
    except Exception as error:  # noqa: BLE001 - shown on the page
        return *[no_update] * 10, error_alert(error)
    operations = report["operations"]
    callbacks = {k[len("callback.") :]: v for k, v in operations.items() if k.startswith("callback.")}
    others = {k: v for k, v in operations.items() if not k.startswith("callback.")}
    names = sorted(operations, key=lambda k: (not k.startswith("callback."), k))
    reset = (
        dcc.ConfirmDialogProvider(
            dbc.Button("Reset metrics", color="danger", outline=True, size="sm"),
            id=PERF.reset_button(),
            message="Reset every metric, for every worker? This cannot be undone.",
        )
        if current_user().is_admin
        else None
    )
    updated = f"Updated {report['generated_at'].replace('T', ' ').replace('+00:00', ' UTC')}; refreshes every 10 s while visible."
    return (
        summary_cards(report),
        timings_table(callbacks, PERF.CALLBACKS + "-table", "Callback", limit, named=True),
        timings_table(others, PERF.OPERATIONS + "-table", "Operation", limit),
        slow_table(report, limit),
        cache_table(report),
        vitals_table(report),
        components_table(report),
        [{"label": n, "value": n} for n in names],
        updated,
        reset,
        None,
    )


def first_view() -> dict | None:
    """The page's panels as it opens (the default window and rows), by name; None for anyone but an
    administrator."""
    if not current_user().is_admin:
        return None
    view = dict(zip(REPORT_OUTPUTS, report_view(DEFAULT_WINDOW, DEFAULT_ROWS), strict=True))
    # the report could not be read: the alert says so, the panels stay empty until the next refresh
    empty = {"operation_options": []}
    return {k: (empty.get(k) if v is no_update else v) for k, v in view.items()}


@dash.callback(
    Output(PERF.SUMMARY, "children"),
    Output(PERF.CALLBACKS, "children"),
    Output(PERF.OPERATIONS, "children"),
    Output(PERF.SLOW, "children"),
    Output(PERF.CACHE, "children"),
    Output(PERF.VITALS, "children"),
    Output(PERF.COMPONENTS, "children"),
    Output(PERF.OPERATION, "options"),
    Output(PERF.UPDATED, "children"),
    Output(PERF.RESET, "children"),
    Output(PERF.ALERT, "children"),
    Input(PERF.WINDOW, "value"),
    Input(PERF.ROWS, "value"),
    Input(PERF.TICK, "data"),
    Input(PERF.RESET_DONE, "data"),
    prevent_initial_call=True,  # the page opens with its first view (``first_view``)
)
def render_report(window, rows, _tick, _reset):
    return report_view(window, rows)


@dash.callback(
    Output(PERF.LATENCY, "children"),
    Input(PERF.OPERATION, "value"),
    Input(PERF.WINDOW, "value"),
    Input(PERF.TICK, "data"),
    prevent_initial_call=True,  # the page opens asking for an operation
)
def render_latency(operation, window, _tick):
    if operation in (None, ""):
        return latency_panel(None, [], False)
    try:
        _admin()
        window = _window(window)
        if not isinstance(operation, str) or operation not in measured_names():
            raise InvalidInput("That operation has not been measured.")
        series = "24h" if window == "24h" else "1h"
        return latency_panel(operation, latency_series(operation, series), WINDOWS[series][0] == "h")
    except Exception as error:  # noqa: BLE001 - shown on the page
        return error_alert(error)


@dash.callback(
    Output(PERF.RESET_DONE, "data"),
    Output(PERF.ALERT, "children", allow_duplicate=True),
    Input(PERF.reset_button(ALL), "submit_n_clicks"),
    State(PERF.RESET_DONE, "data"),
    prevent_initial_call=True,
)
def reset_metrics(clicks, done):
    if not any(clicks or []):
        raise PreventUpdate
    try:
        if not current_user().is_admin:  # the button is shown to admins only; the callback can be called
            raise AccessDenied("Only an admin can reset the metrics.")
        # recorded first: the record's own query would be the first figure of the fresh store
        audit.log("metrics-reset", detail="from the Operations page")
        reset()
        resets = (done if isinstance(done, int) else 0) + 1
        return resets, dbc.Alert("Metrics reset for every worker.", color="success", duration=4000)
    except Exception as error:  # noqa: BLE001 - shown on the page
        return no_update, error_alert(error)
