"""What the analyst feels, measured in the browser: render timings from clientside callbacks.

For every results panel and chart we own, the time from the input that asked
for it (a run or recompute button, a frontier click, a household switch, a
page change) to it being painted (two animation frames after its content
lands; a chart once plotly.js has drawn it), and each page's time to its
first chart. ``assets/meridian.js`` batches them with the web vitals and
sends them every 5 s and when the page is hidden; the ingest endpoint keeps
only the page and component names declared here (``MEASURED``), so a browser
can never grow the metrics store.
"""

from __future__ import annotations

import dash
from dash import ClientsideFunction, Input

from components import ids
from components.ids import DIV, GOALS, MC, OPT, PERF, RET, RISK, TAX, THREADS

FIRST_CHART = "first-chart"

# page slug -> (what starts a measurement, panels painted, charts drawn)
PAGES: dict[str, tuple[list, list[str], list[str]]] = {
    "overview": (
        [Input(ids.OVERVIEW_VERSION, "data")],
        [ids.OVERVIEW_CONTENT, ids.OVERVIEW_GOALS_STATUS, ids.OVERVIEW_TRANSACTIONS_AREA],
        [ids.OVERVIEW_ALLOCATION, ids.OVERVIEW_SECTORS, ids.OVERVIEW_CASH_FLOW],
    ),
    "goals": (
        [
            Input(GOALS.frame.run, "n_clicks"),
            Input(GOALS.frame.recompute, "n_clicks"),
            Input(GOALS.SAVE, "n_clicks"),
            Input(GOALS.SOLVE, "n_clicks"),
        ],
        [GOALS.CONTENT, GOALS.SOLUTION],
        [GOALS.CHART],
    ),
    "optimisation": (
        [
            Input(OPT.frame.run, "n_clicks"),
            Input(OPT.frame.recompute, "n_clicks"),
            Input(OPT.FRONTIER, "clickData"),
        ],
        [OPT.TABLES, OPT.POINT],
        [OPT.FRONTIER],
    ),
    "monte-carlo": (
        [Input(MC.frame.run, "n_clicks"), Input(MC.frame.recompute, "n_clicks")],
        [MC.frame.results],
        [MC.FAN_CHART, MC.HISTOGRAM],
    ),
    "risk": (
        [Input(RISK.frame.run, "n_clicks"), Input(RISK.frame.recompute, "n_clicks")],
        [RISK.frame.results],
        [RISK.DRAWDOWN],
    ),
    "diversification": (
        [Input(DIV.frame.run, "n_clicks"), Input(DIV.frame.recompute, "n_clicks")],
        [DIV.frame.results],
        [DIV.HEATMAP, DIV.SECTORS, DIV.CONTRIBUTIONS],
    ),
    "retirement": (
        [Input(RET.frame.run, "n_clicks"), Input(RET.frame.recompute, "n_clicks")],
        [RET.frame.results],
        [RET.WEALTH, RET.SPENDING],
    ),
    "tax": (
        [Input(TAX.frame.run, "n_clicks"), Input(TAX.frame.recompute, "n_clicks")],
        [TAX.frame.results],
        [],
    ),
    "threads": (
        [Input(THREADS.COMPARE, "n_clicks"), Input(THREADS.VERSION, "data")],
        [THREADS.LIST, THREADS.COMPARISON_AREA],
        [],
    ),
    "performance": (
        [Input(PERF.WINDOW, "value"), Input(PERF.OPERATION, "value")],
        [PERF.SUMMARY],
        [PERF.LATENCY_CHART],
    ),
}


def measured() -> dict[str, frozenset[str]]:
    """Page slug -> the component names its render timings may carry (the ingest's allow-list)."""
    return {
        page: frozenset(panels) | frozenset(charts) | ({FIRST_CHART} if charts else frozenset())
        for page, (_triggers, panels, charts) in PAGES.items()
    }


MEASURED = measured()

# Every page: a household switch or a page change starts a measurement (the shell is always there).
dash.clientside_callback(
    ClientsideFunction("meridian", "markStart"),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    Input(ids.SHELL_URL, "pathname"),
)

# A page's own triggers, in a callback of their own: all of them are in its layout together.
for _triggers, _panels, _charts in PAGES.values():
    dash.clientside_callback(ClientsideFunction("meridian", "markStart"), *_triggers)
    for _panel in _panels:
        dash.clientside_callback(
            ClientsideFunction("meridian", "panelPainted"),
            Input(_panel, "children"),
            prevent_initial_call=True,
        )

# Charts mounted by mountChart time themselves; the frontier is a graph of the page, its figure replaced.
dash.clientside_callback(
    ClientsideFunction("meridian", "figurePainted"), Input(OPT.FRONTIER, "figure"), prevent_initial_call=True
)
