"""Risk: panels from a ``RiskReport`` (metrics, drawdown, VaR/CVaR, stress)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.cards import stat_card
from components.formatting import percent
from components.graphs import decimate, graph
from components.ids import RISK
from components.tables import scrolling

METHODS = {
    "historical": "Historical",
    "parametric": "Parametric (normal)",
    "cornish_fisher": "Cornish-Fisher",
    "monte_carlo": "Monte Carlo",
}


def drawdown_figure(report) -> dict:
    # thinned to keep the chart light, but every stretch keeps its extremes: the trough is the card's
    dates, values = decimate([d.isoformat() for d in report.drawdown_dates], report.drawdown.round(6))
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "x": dates,
                "y": values,
                "fill": "tozeroy",
                "line": {"color": "#c71c22", "width": 1},
                "hovertemplate": "%{x}: %{y:.1%}<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": "Drawdown from the running peak", "font": {"size": 15}, "x": 0.02},
            "yaxis": {"tickformat": ".0%"},
            "height": 300,
            "margin": {"l": 50, "r": 10, "t": 40, "b": 30},
        },
    }


def var_table(report) -> dbc.Table:
    rows = {}
    for row in report.var:
        rows.setdefault(row.method, {})[row.confidence] = row

    def cell(row):
        return "not defined*" if row.var != row.var else percent(row.var, 2)  # NaN: outside its domain

    def tail(row):
        return "not defined*" if row.cvar != row.cvar else percent(row.cvar, 2)

    body = [
        html.Tr(
            [
                html.Td(METHODS[m]),
                html.Td(cell(r[0.95]), className="text-end"),
                html.Td(tail(r[0.95]), className="text-end"),
                html.Td(cell(r[0.99]), className="text-end"),
                html.Td(tail(r[0.99]), className="text-end"),
            ]
        )
        for m, r in rows.items()
    ]
    header = html.Thead(
        html.Tr(
            [
                html.Th("One-day loss"),
                html.Th("VaR 95 %", className="text-end"),
                html.Th("CVaR 95 %", className="text-end"),
                html.Th("VaR 99 %", className="text-end"),
                html.Th("CVaR 99 %", className="text-end"),
            ]
        )
    )
    notes = list(dict.fromkeys(r.note for r in report.var if r.note))
    caption = [html.Caption("* " + " ".join(notes), className="small")] if notes else []
    return dbc.Table([*caption, header, html.Tbody(body)], size="sm", id=RISK.VAR)


def stress_table(report) -> dbc.Table:
    body = [
        html.Tr(
            [
                html.Td(s.name),
                html.Td(f"{s.start:%Y-%m-%d} – {s.end:%Y-%m-%d}"),
                html.Td(percent(s.portfolio_return), className="text-end fw-semibold"),
                html.Td(
                    percent(s.benchmark_return) if s.benchmark_return is not None else "—",
                    className="text-end",
                ),
                html.Td(percent(s.max_drawdown), className="text-end"),
                html.Td(", ".join(s.proxied) or "—", className="small text-muted"),
            ]
        )
        for s in report.stress
    ]
    header = html.Thead(
        html.Tr(
            [
                html.Th(h)
                for h in ("Window", "Dates", "Portfolio", "S&P 500 (SPY)", "Max fall", "Stood in for by SPY")
            ]
        )
    )
    return scrolling(dbc.Table([header, html.Tbody(body)], size="sm", id=RISK.STRESS), "Stress scenarios")


def results_panel(report, described: str) -> html.Div:
    beta = f"{report.beta:.2f}" if report.beta is not None else "—"
    return html.Div(
        [
            html.P(
                f"{described}; {report.start:%Y-%m-%d} to {report.end:%Y-%m-%d}, {report.observations:,} daily returns.",
                className="small text-muted",
            ),
            dbc.Row(
                [
                    stat_card("Annual return", percent(report.annual_return), RISK.RETURN, width=2),
                    stat_card("Volatility", percent(report.volatility), RISK.VOLATILITY, width=2),
                    stat_card("Sharpe", f"{report.sharpe:.2f}", RISK.SHARPE, width=2),
                    stat_card("Sortino", f"{report.sortino:.2f}", RISK.SORTINO, width=2),
                    stat_card("Beta vs SPY", beta, RISK.BETA, note=report.beta_note, width=2),
                    stat_card("Max drawdown", percent(report.max_drawdown), RISK.MAX_DRAWDOWN, width=2),
                ],
                className="g-2 mb-2",
            ),
            graph(RISK.DRAWDOWN, drawdown_figure(report)),
            html.H3("Value at risk and expected shortfall", className="h6 mt-2"),
            var_table(report),
            html.H3("Historical stress windows, today's weights", className="h6 mt-2"),
            stress_table(report),
        ]
    )


def csv_rows(report) -> tuple[list[str], list[list]]:
    rows = [
        ["metric", k, getattr(report, k), ""]
        for k in ("annual_return", "volatility", "sharpe", "sortino", "beta", "max_drawdown")
    ]
    rows = [[*r, ""] for r in rows]
    rows += [
        ["var", f"{r.method} {r.confidence:.0%}", *(("", "") if r.var != r.var else (r.var, r.cvar)), r.note]
        for r in report.var
    ]
    rows += [["stress", s.name, s.portfolio_return, s.max_drawdown, ""] for s in report.stress]
    return ["section", "name", "value", "cvar_or_max_fall", "note"], rows
