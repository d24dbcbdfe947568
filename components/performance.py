"""The Operations page's panels, from the performance report (``dashboard/observability/report.py``).

Durations are milliseconds; "—" where a window has no observation. Tables are
plain Bootstrap tables: a few dozen rows at most, since operation names are bounded.
"""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import html

from components import ids
from components.cards import stat_card
from components.formatting import percent
from components.graphs import graph
from components.ids import PERF
from components.tables import scrolling

VITAL_ORDER = ("LCP", "INP", "CLS", "FCP", "TTFB")
RATING_COLOURS = {"good": "success", "needs-improvement": "warning", "poor": "danger"}


# A callback is measured under its outputs ("mc-field.className+...+mc-results.children"); the page
# names it by the output that says what it does (the first that matches), in words.
_FRAMES = (
    (ids.MC.frame, "Monte Carlo"),
    (ids.OPT.frame, "Optimisation"),
    (ids.GOALS.frame, "Goals"),
    (ids.RISK.frame, "Risk"),
    (ids.BT.frame, "Backtest"),
    (ids.DIV.frame, "Diversification"),
    (ids.RET.frame, "Retirement"),
    (ids.TAX.frame, "Tax"),
)
CALLBACK_NAMES: tuple[tuple[str, str], ...] = (
    *((f"{frame.results}.children", f"{name}: run") for frame, name in _FRAMES),
    *((f"{frame.download}.data", f"{name}: download CSV") for frame, name in _FRAMES),
    (f"{ids.GOALS.CONTENT}.children", "Goals: evaluate"),
    (f"{ids.GOALS.SOLUTION}.children", "Goals: saving needed"),
    (f"{ids.GOALS.VERSION}.data", "Goals: save or delete a goal"),
    (f"{ids.GOALS.FORM_TITLE}.children", "Goals: fill the goal form"),
    (f"{ids.OPT.POINT}.children", "Optimisation: a frontier point"),
    (f"{ids.MC.JOB}.data", "Monte Carlo: start background run"),
    (f"{ids.SHELL_HOUSEHOLD_SELECT}.options", "Shell: household and navigation"),
    (f"{ids.OVERVIEW_CONTENT}.children", "Overview: household"),
    (f"{ids.OVERVIEW_GOALS_STATUS}.children", "Overview: goal status"),
    (f"{ids.OVERVIEW_TRANSACTIONS_AREA}.children", "Overview: transactions grid"),
    (f"{ids.OVERVIEW_TRANSACTIONS}.getRowsResponse", "Overview: transaction rows"),
    (f"{ids.OVERVIEW_IMPORT_RESULT}.children", "Overview: statement import"),
    (f"{ids.THREADS.LIST}.children", "Threads: list"),
    (f"{ids.THREADS.COMPARISON_AREA}.children", "Threads: compare"),
    (f"{ids.THREADS.VERSION}.data", "Threads: create or delete"),
    (f"{PERF.SUMMARY}.children", "Operations: refresh"),
    (f"{PERF.LATENCY}.children", "Operations: latency over time"),
    (f"{ids.REPORT.DOCUMENT}.children", "Client report: preview"),
    (f"{ids.REPORT.JOB}.data", "Client report: start PDF"),
    (f"{ids.REPORT.PDF_RESULT}.children", "Client report: PDF"),
    (f"{ids.REPORT.SAVE_RESULT}.children", "Client report: save with a thread"),
    (f"{ids.CMA.CONTENT}.children", "Assumptions: show a set"),
    (f"{ids.CMA.RESULT}.children", "Assumptions: import or edit"),
    (f"{ids.MARKET.RESULT}.children", "Market data: price upload"),
)


def callback_name(label: str) -> str:
    """A callback's name in words, from its label (its outputs); the label itself when none is known."""
    outputs = label.split("+")
    for output, name in CALLBACK_NAMES:
        if output in outputs:
            return name
    if any(o.startswith('{"page"') and "thread-feedback" in o for o in outputs):
        return "Save to thread"
    if any("thread-select" in o for o in outputs):
        return "Save to thread: threads"
    if any(o.endswith(".className") and "-box" in o for o in outputs):
        return "Form: fields of the chosen model"
    return label


def ms(value) -> str:
    if value is None:
        return "—"
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def vital(name: str, value) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if name == "CLS" else f"{value:,.0f} ms"


def summary_cards(report: dict) -> dbc.Row:
    totals = report["totals"]
    hit_rate = report["cache"]["hit_rate"]
    return dbc.Row(
        [
            stat_card("Callbacks", f"{totals['callbacks']:,}", width=2),
            stat_card("Callback errors", f"{totals['callback_errors']:,}", width=2),
            stat_card("Slow events", f"{totals['slow_events']:,}", width=2),
            stat_card("Cache hit rate", percent(hit_rate) if hit_rate is not None else "—", width=2),
            stat_card(
                "Blocked by the CSP",
                f"{sum(report['csp'].values()):,}",
                PERF.CSP,
                ", ".join(f"{d} {n:,}" for d, n in report["csp"].items()) or "no violation reported",
                width=2,
            ),
            stat_card("Up for", _duration(report["uptime_seconds"]), width=2),
        ],
        className="g-3 mb-3",
    )


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


# How many rows the long tables show: the slowest first. A few dozen rows draw at once; hundreds would
# block the page's main thread for a second.
ROW_CHOICES = (("15", "Slowest 15"), ("50", "Slowest 50"), ("all", "All rows"))
DEFAULT_ROWS = "15"
DEFAULT_WINDOW = "1h"  # the window the page opens with


def _limited(table, shown: int, total: int, noun: str):
    if shown >= total:
        return table
    note = html.P(
        f"The first {shown} of {total:,} {noun}; choose more rows above to see the rest.",
        className="small text-muted mb-0",
    )
    return html.Div([table, note])


def timings_table(
    rows: dict[str, dict], table_id: str, label: str, limit: int | None = None, named: bool = False
):
    """Per operation: count, mean, min, max, p50, p95, p99 (milliseconds), errors, slow; slowest (p95)
    first, at most ``limit`` of them (None: all); ``named``: callbacks, named in words (their outputs in
    the cell's title)."""
    if not rows:
        return html.P("Nothing measured in this window yet.", className="small text-muted", id=table_id)
    slowest = sorted(rows.items(), key=lambda kv: -(kv[1]["p95"] or 0))[:limit]
    header = [
        label,
        "Count",
        "Mean (ms)",
        "Min (ms)",
        "Max (ms)",
        "p50 (ms)",
        "p95 (ms)",
        "p99 (ms)",
        "Errors",
        "Slow",
    ]
    body = [
        html.Tr(
            [
                html.Td(
                    callback_name(name) if named else name,
                    className="text-break",
                    title=name if named and callback_name(name) != name else None,
                ),
                html.Td(f"{s['count']:,}", className="text-end"),
                *[
                    html.Td(ms(s[k]), className="text-end")
                    for k in ("mean", "min", "max", "p50", "p95", "p99")
                ],
                html.Td(f"{s['errors']:,}", className="text-end" + (" text-danger" if s["errors"] else "")),
                html.Td(f"{s['slow']:,}", className="text-end" + (" text-warning" if s["slow"] else "")),
            ]
        )
        for name, s in slowest
    ]
    table = scrolling(
        dbc.Table(
            [
                html.Thead(
                    html.Tr([html.Th(h, className="text-end" if i else None) for i, h in enumerate(header)])
                ),
                html.Tbody(body),
            ],
            size="sm",
            hover=True,
            id=table_id,
        ),
        f"{label} timings",
    )
    return _limited(table, len(slowest), len(rows), "operations (slowest p95 first)")


def slow_table(report: dict, limit: int | None = None):
    everything = report["slow_operations"]
    rows = everything[:limit]
    if not rows:
        return html.P(
            "No operation went over its threshold in this window.", className="small text-muted", id=PERF.SLOW
        )
    body = [
        html.Tr(
            [
                html.Td(r["operation"], className="text-break"),
                html.Td(f"{r['slow']:,} of {r['count']:,}", className="text-end"),
                html.Td(ms(r["threshold_ms"]), className="text-end"),
            ]
        )
        for r in rows
    ]
    header = html.Thead(
        html.Tr(
            [
                html.Th("Operation"),
                html.Th("Over threshold", className="text-end"),
                html.Th("Threshold (ms)", className="text-end"),
            ]
        )
    )
    table = dbc.Table([header, html.Tbody(body)], size="sm", id=PERF.SLOW)
    return _limited(table, len(rows), len(everything), "slow operations (most often slow first)")


def cache_table(report: dict) -> dbc.Table | html.P:
    operations = report["cache"]["operations"]
    if not operations:
        return html.P("The cache has not been used yet.", className="small text-muted", id=PERF.CACHE)
    columns = ("hits", "misses", "computes", "lock_waits", "bypasses", "errors")
    body = [
        html.Tr(
            [html.Td(op)]
            + [html.Td(f"{values.get(c, 0):,}", className="text-end") for c in columns]
            + [
                html.Td(
                    percent(values["hit_rate"]) if values["hit_rate"] is not None else "—",
                    className="text-end fw-semibold",
                )
            ]
        )
        for op, values in sorted(operations.items())
    ]
    header = html.Thead(
        html.Tr(
            [html.Th("Operation")]
            + [html.Th(c.replace("_", " ").capitalize(), className="text-end") for c in columns]
            + [html.Th("Hit rate", className="text-end")]
        )
    )
    return scrolling(dbc.Table([header, html.Tbody(body)], size="sm", id=PERF.CACHE), "Cache")


def _shares(shares: dict) -> html.Div | str:
    """The good / needs-improvement / poor shares: a bar to see, the same in words to read (the bar is
    hidden from screen readers, which read the words)."""
    if all(v is None for v in shares.values()):
        return "—"
    words = ", ".join(
        f"{name} {100 * (shares[r] or 0):.0f}%"
        for r, name in (("good", "good"), ("needs-improvement", "needs improvement"), ("poor", "poor"))
        if shares.get(r)
    )
    bars = [
        dbc.Progress(
            value=round(100 * (shares[r] or 0), 1),
            color=RATING_COLOURS[r],
            bar=True,
            label=f"{100 * (shares[r] or 0):.0f}%",
        )
        for r in ("good", "needs-improvement", "poor")
        if shares.get(r)
    ]
    return html.Div(
        [
            html.Div(
                dbc.Progress(bars, style={"height": "1.1rem"}, className="vitals-shares"),
                **{"aria-hidden": "true"},
            ),
            html.Span(words, className="visually-hidden"),
        ]
    )


def vitals_table(report: dict) -> dbc.Table | html.P:
    vitals = report["web_vitals"]
    if not vitals:
        return html.P("No browser has reported web vitals yet.", className="small text-muted", id=PERF.VITALS)
    body = []
    for page in sorted(vitals):
        for name in VITAL_ORDER:
            found = vitals[page].get(name)
            if found is None:
                continue
            body.append(
                html.Tr(
                    [
                        html.Td(page),
                        html.Td(name),
                        html.Td(f"{found['count']:,}", className="text-end"),
                        html.Td(vital(name, found["p50"]), className="text-end"),
                        html.Td(vital(name, found["p95"]), className="text-end"),
                        html.Td(_shares(found["shares"]), style={"minWidth": "12rem"}),
                    ]
                )
            )
    header = html.Thead(
        html.Tr(
            [
                html.Th("Page"),
                html.Th("Metric"),
                html.Th("Count", className="text-end"),
                html.Th("p50", className="text-end"),
                html.Th("p95", className="text-end"),
                html.Th("Good · needs improvement · poor"),
            ]
        )
    )
    return scrolling(dbc.Table([header, html.Tbody(body)], size="sm", id=PERF.VITALS), "Web vitals")


def components_table(report: dict) -> dbc.Table | html.P:
    rows = report["slowest_components"]
    if not rows:
        return html.P("No render timings reported yet.", className="small text-muted", id=PERF.COMPONENTS)
    body = [
        html.Tr(
            [
                html.Td(r["page"]),
                html.Td(r["component"]),
                html.Td(f"{r['count']:,}", className="text-end"),
                html.Td(ms(r["p50"]), className="text-end"),
                html.Td(ms(r["p95"]), className="text-end"),
                html.Td(ms(r["max"]), className="text-end"),
            ]
        )
        for r in rows
    ]
    header = html.Thead(
        html.Tr(
            [html.Th("Page"), html.Th("Component")]
            + [html.Th(h, className="text-end") for h in ("Count", "p50 (ms)", "p95 (ms)", "Max (ms)")]
        )
    )
    return scrolling(dbc.Table([header, html.Tbody(body)], size="sm", id=PERF.COMPONENTS), "Render timings")


def latency_figure(name: str, points: list[dict], hourly: bool) -> dict:
    """p50 and p95 of ``name`` bucket by bucket, and how many calls each bucket saw."""
    x = [dt.datetime.fromtimestamp(p["start"], dt.UTC).strftime("%Y-%m-%d %H:%M") for p in points]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "p95",
                "x": x,
                "y": [p["p95"] for p in points],
                "line": {"color": "#c71c22"},
                "connectgaps": False,
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "p50",
                "x": x,
                "y": [p["p50"] for p in points],
                "line": {"color": "#2fa4e7"},
                "connectgaps": False,
            },
            {
                "type": "bar",
                "name": "calls",
                "x": x,
                "y": [p["count"] for p in points],
                "yaxis": "y2",
                "marker": {"color": "rgba(153, 153, 153, 0.35)"},
            },
        ],
        "layout": {
            "title": {
                "text": f"{name}: latency per {'hour' if hourly else 'minute'} (UTC)",
                "font": {"size": 15},
                "x": 0.02,
            },
            "yaxis": {"title": {"text": "ms"}, "rangemode": "tozero"},
            "yaxis2": {
                "overlaying": "y",
                "side": "right",
                "showgrid": False,
                "title": {"text": "calls"},
                "rangemode": "tozero",
            },
            "height": 320,
            "margin": {"l": 60, "r": 60, "t": 40, "b": 40},
            "legend": {"orientation": "h", "y": -0.2},
        },
    }


def latency_panel(name: str | None, points: list[dict], hourly: bool):
    if not name:
        return html.P("Choose an operation to see its latency over time.", className="small text-muted")
    return graph(PERF.LATENCY_CHART, latency_figure(name, points, hourly))
