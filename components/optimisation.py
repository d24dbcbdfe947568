"""Portfolio optimisation's result panels: the efficient frontier, weights, comparison and allocation.

The frontier chart carries each point's index in ``customdata`` so a click
can show that portfolio's weights.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.assumptions import basis_note
from components.formatting import money, percent
from components.graphs import GRAPH_CONFIG, below_toolbar
from components.ids import OPT
from components.tables import scrolling

EMPTY_FRONTIER = {
    "data": [],
    "layout": {
        "xaxis": {"visible": False},
        "yaxis": {"visible": False},
        "height": 420,
        "annotations": [
            {
                "text": "The efficient frontier appears here.",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "font": {"color": "#888"},
            }
        ],
    },
}


def frontier_figure(frontier, optimal, current) -> dict:
    """Frontier line, assets, min-volatility, max-Sharpe, the optimum and the current portfolio."""
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Efficient frontier",
            "x": frontier.volatilities.round(6).tolist(),
            "y": frontier.returns.round(6).tolist(),
            "customdata": list(range(len(frontier.returns))),
            "marker": {"size": 6, "color": "#2fa4e7"},
            "hovertemplate": "σ %{x:.1%}, return %{y:.1%}<br>click for weights<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers+text",
            "name": "Assets",
            "text": list(frontier.tickers),
            "textposition": "top center",
            "x": frontier.asset_volatilities.round(6).tolist(),
            "y": frontier.asset_returns.round(6).tolist(),
            "marker": {"size": 7, "color": "#999"},
            "hovertemplate": "%{text}: σ %{x:.1%}, return %{y:.1%}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Min volatility",
            "x": [frontier.min_volatility.volatility],
            "y": [frontier.min_volatility.expected_return],
            "marker": {"size": 12, "symbol": "diamond", "color": "#73a839"},
        },
    ]
    if frontier.max_sharpe is not None:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Max Sharpe",
                "x": [frontier.max_sharpe.volatility],
                "y": [frontier.max_sharpe.expected_return],
                "marker": {"size": 12, "symbol": "star", "color": "#dd5600"},
            }
        )
    traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "Optimal (objective)",
            "x": [optimal.volatility],
            "y": [optimal.expected_return],
            "marker": {"size": 14, "symbol": "x", "color": "#c71c22"},
        }
    )
    if current is not None:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Current",
                "x": [current[1]],
                "y": [current[0]],
                "marker": {"size": 13, "symbol": "circle-open", "color": "#033c73", "line": {"width": 3}},
            }
        )
    return below_toolbar(
        {
            "data": traces,
            "layout": {
                "title": {
                    "text": "Efficient frontier (click a point for its weights)",
                    "font": {"size": 15},
                    "x": 0.02,
                },
                "xaxis": {"title": {"text": "Volatility (annual)"}, "tickformat": ".0%"},
                "yaxis": {"title": {"text": "Expected return (annual)"}, "tickformat": ".0%"},
                "height": 420,
                "margin": {"l": 60, "r": 10, "t": 40, "b": 40},
                "legend": {"orientation": "h", "y": -0.18},
                "clickmode": "event",
            },
        }
    )


def weights_table(
    rows: list[tuple[str, str, float, float | None]], table_id: str, compact: bool = False
) -> html.Div:
    """Rows of (ticker, sector, weight, current weight or None), largest first; ``compact`` (a narrow
    column, such as the clicked point's) leaves the sector out so every column fits."""
    has_current = any(c is not None for *_, c in rows)
    header = (
        ["Asset"]
        + ([] if compact else ["Sector"])
        + ["Weight"]
        + (["Current", "Change"] if has_current else [])
    )
    body = []
    for ticker, sector, weight, current in sorted(rows, key=lambda r: -r[2]):
        cells = [
            html.Td(ticker, title=sector),
            *([] if compact else [html.Td(sector)]),
            html.Td(percent(weight), className="text-end"),
        ]
        if has_current:
            cells += [
                html.Td(percent(current or 0.0), className="text-end"),
                html.Td(percent(weight - (current or 0.0)), className="text-end"),
            ]
        body.append(html.Tr(cells))
    return scrolling(
        dbc.Table(
            [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)],
            size="sm",
            hover=True,
            id=table_id,
            className="small" if compact else None,
        ),
        "Weights of the chosen frontier point" if compact else "Weights",  # regions' names differ
    )


def comparison_table(optimal, current) -> dbc.Table:
    rows = [
        ("Expected return", percent(optimal.expected_return), percent(current[0]) if current else "—"),
        ("Volatility", percent(optimal.volatility), percent(current[1]) if current else "—"),
        ("Sharpe ratio", f"{optimal.sharpe:.2f}", f"{current[2]:.2f}" if current else "—"),
    ]
    return dbc.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th(html.Span("Measure", className="visually-hidden")),
                        html.Th("Optimal", className="text-end"),
                        html.Th("Current", className="text-end"),
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr([html.Td(a), html.Td(b, className="text-end"), html.Td(c, className="text-end")])
                    for a, b, c in rows
                ]
            ),
        ],
        size="sm",
        id=OPT.COMPARISON,
    )


def allocation_table(allocation, prices: dict[str, float]) -> html.Div:
    body = [
        html.Tr(
            [
                html.Td(t),
                html.Td(f"{n:,}", className="text-end"),
                html.Td(money(prices[t], 2), className="text-end"),
                html.Td(money(n * prices[t], 2), className="text-end"),
            ]
        )
        for t, n in allocation.shares.items()
    ]
    return html.Div(
        [
            dbc.Table(
                [
                    html.Thead(
                        html.Tr(
                            [
                                html.Th("Asset"),
                                html.Th("Shares", className="text-end"),
                                html.Th("Price", className="text-end"),
                                html.Th("Value", className="text-end"),
                            ]
                        )
                    ),
                    html.Tbody(body),
                ],
                size="sm",
                id=OPT.ALLOCATION,
            ),
            html.P(
                f"Invested {money(allocation.invested, 2)}; cash left over {money(allocation.leftover, 2)}.",
                className="small text-muted",
            ),
        ]
    )


def output_area() -> html.Div:
    """The results' fixed frame (the frontier graph and the clicked-point panel exist from the start,
    so their callback is wired to components that are always in the layout). Everything that arrives
    with a run lands below or beside the graph in reserved space: nothing already painted moves."""
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Graph(
                            id=OPT.FRONTIER,
                            config=GRAPH_CONFIG,
                            figure=EMPTY_FRONTIER,
                            style={"height": "420px"},
                        ),
                        xl=8,
                    ),
                    dbc.Col(
                        [
                            html.Div(id=OPT.SIDE, style={"minHeight": "10rem"}),
                            html.H3("A frontier point", className="h6 mt-3"),
                            # the keyboard's way to a point (a click on the chart is the mouse's)
                            dbc.Label("Frontier point", html_for=OPT.POINT_SELECT, className="small mb-1"),
                            dbc.Select(
                                id=OPT.POINT_SELECT,
                                options=[],
                                placeholder="Optimise first",
                                className="mb-2",
                            ),
                            html.Div(point_prompt(), id=OPT.POINT),
                        ],
                        xl=4,  # beside the chart only where there is room for its tables
                    ),
                ],
                className="g-2",
            ),
            html.Div(id=OPT.NOTES, className="mt-2"),
            html.Div(id=OPT.TABLES),
        ],
        id=OPT.OUTPUT,
        className="loading-fade",
    )


def result_parts(
    optimal, current, weight_rows, allocation, prices, described, basis, returns_shown: str = ""
) -> tuple[list, list, list]:
    """(notes, side panel, tables) for the output frame; ``basis``: what the expected returns rest on,
    ``returns_shown``: which expected returns the chart and the figures use."""
    notes = [dbc.Alert(w, color="info", className="py-1 small") for w in optimal.warnings]
    notes.append(html.P(described, className="small text-muted", id=OPT.DESCRIBED))
    if returns_shown:
        notes.append(html.P(returns_shown, className="small text-muted", id=OPT.RETURNS_SHOWN))
    notes.append(basis_note(basis, OPT.frame.basis))
    side = [html.H3("Optimal vs current", className="h6 mt-2"), comparison_table(optimal, current)]
    tables = dbc.Row(
        [
            dbc.Col([html.H3("Weights", className="h6"), weights_table(weight_rows, OPT.WEIGHTS)], xl=6),
            dbc.Col(
                [html.H3("Discrete allocation", className="h6"), allocation_table(allocation, prices)], xl=6
            ),
        ],
        className="g-3 mt-1",
    )
    return notes, side, [tables]


def point_panel(summary: str, rows) -> list:
    """The clicked frontier point: its return, volatility and Sharpe, and its weights."""
    return [
        html.P(summary, className="small mb-1", id=OPT.POINT_SUMMARY),
        weights_table(rows, OPT.POINT_WEIGHTS, compact=True),
    ]


def point_prompt() -> html.P:
    return html.P("Click a point on the frontier, or choose one above.", className="small text-muted")


def point_options(frontier) -> list[dict]:
    """The frontier's points as choices: the keyboard's way to what a click on the chart shows."""
    return [
        {"label": f"{i + 1}: return {r:.2%}, volatility {v:.2%}", "value": str(i)}
        for i, (r, v) in enumerate(zip(frontier.returns, frontier.volatilities, strict=True))
    ]
