"""Portfolio optimisation: the form's fields, the parsers of sector limits and views, and result panels.

The frontier chart carries each point's index in ``customdata`` so a click
can show that portfolio's weights.
"""

from __future__ import annotations

import re

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.formatting import money, percent
from dashboard.access import InvalidInput
from dashboard.forms import CHOICE, DATE, INTEGER, MULTI, NUMBER, TEXT, Field
from dashboard.market import SECURITIES

PAGE = "opt"
OBJECTIVES = (
    ("max_sharpe", "Max Sharpe ratio"),
    ("min_volatility", "Min volatility"),
    ("efficient_risk", "Efficient risk (target volatility)"),
    ("efficient_return", "Efficient return (target return)"),
    ("max_quadratic_utility", "Max quadratic utility"),
    ("hrp", "Hierarchical risk parity"),
    ("black_litterman", "Black-Litterman with views"),
)
FIELDS = [
    Field(
        "universe",
        "Assets",
        CHOICE,
        "holdings",
        choices=(("holdings", "The household's holdings"), ("custom", "Chosen below")),
    ),
    Field(
        "tickers",
        "Chosen assets",
        MULTI,
        [],
        required=False,
        choices=tuple((t, f"{t} · {name}") for t, (name, _) in SECURITIES.items()),
    ),
    Field("start", "History from", DATE, "2013-04-11", required=False),
    Field("end", "History to", DATE, None, required=False),
    Field(
        "returns_model",
        "Expected returns",
        CHOICE,
        "mean_historical",
        choices=(
            ("mean_historical", "Mean historical (CAGR)"),
            ("ema", "Exponentially weighted"),
            ("capm", "CAPM vs SPY"),
        ),
    ),
    Field(
        "risk_model",
        "Risk model",
        CHOICE,
        "ledoit_wolf",
        choices=(
            ("sample", "Sample covariance"),
            ("ledoit_wolf", "Ledoit-Wolf shrinkage"),
            ("exponential", "Exponential"),
        ),
    ),
    Field("objective", "Objective", CHOICE, "max_sharpe", choices=OBJECTIVES),
    Field("risk_free_rate", "Risk-free rate", NUMBER, 2.0, -10, 50, percent=True),
    Field("target_volatility", "Target volatility", NUMBER, None, 0.1, 100, required=False, percent=True),
    Field("target_return", "Target return", NUMBER, None, -100, 100, required=False, percent=True),
    Field("risk_aversion", "Risk aversion", NUMBER, 1.0, 0.01, 100),
    Field("min_weight", "Min weight", NUMBER, 0.0, -100, 100, percent=True),
    Field("max_weight", "Max weight", NUMBER, 100.0, -100, 100, percent=True),
    Field("sector_max", "Max per sector", NUMBER, None, 1, 100, required=False, percent=True),
    Field(
        "sector_limits",
        "Sector limits",
        TEXT,
        "",
        required=False,
        help="e.g. Energy<=20; Financials>=10 (percent)",
    ),
    Field(
        "views",
        "Black-Litterman views",
        TEXT,
        "",
        required=False,
        help="One per line or ';': AAPL 12 60 (12 % a year, 60 % confident); AAPL>GE 3 50",
    ),
    Field("bl_objective", "Optimise the posterior for", CHOICE, "max_sharpe", choices=OBJECTIVES[:5]),
    Field("cash", "Cash to allocate ($)", NUMBER, 100_000.0, 1, 1e10),
    Field("points", "Frontier points", INTEGER, 40, 5, 100),
]
FIELD_BY_NAME = {f.name: f for f in FIELDS}
SECTORS = sorted({s for _, s in SECURITIES.values() if s})
GRAPH_CONFIG = {"displaylogo": False, "responsive": True}
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

_LIMIT = re.compile(r"^\s*(?P<sector>[A-Za-z &]+?)\s*(?P<op><=|>=)\s*(?P<value>\d+(\.\d+)?)\s*%?\s*$")
_VIEW = re.compile(
    r"^\s*(?P<asset>[A-Z]{1,6})(\s*>\s*(?P<versus>[A-Z]{1,6}))?\s+(?P<value>-?\d+(\.\d+)?)\s*%?"
    r"(\s+(?P<confidence>\d+(\.\d+)?)\s*%?)?\s*$"
)


def _items(text: str) -> list[str]:
    return [part for line in (text or "").splitlines() for part in line.split(";") if part.strip()]


def parse_sector_limits(text: str, sector_max: float | None) -> tuple[dict, dict]:
    """``Energy<=20; Financials>=10`` -> (lower, upper) fractions by sector; InvalidInput names the bad part."""
    lower: dict[str, float] = {}
    upper: dict[str, float] = {s: sector_max for s in SECTORS} if sector_max is not None else {}
    for item in _items(text):
        found = _LIMIT.match(item)
        if not found:
            raise InvalidInput(f"Cannot read the sector limit {item.strip()[:40]!r}: write e.g. Energy<=20.")
        sector = next((s for s in SECTORS if s.lower() == found["sector"].strip().lower()), None)
        if sector is None:
            raise InvalidInput(
                f"Unknown sector {found['sector'].strip()[:30]!r}; sectors: {', '.join(SECTORS)}."
            )
        value = float(found["value"]) / 100
        if value > 1:
            raise InvalidInput(f"The limit for {sector} must be at most 100 %.")
        (upper if found["op"] == "<=" else lower)[sector] = value
    return lower, upper


def parse_views(text: str) -> list[dict]:
    views = []
    for item in _items(text):
        found = _VIEW.match(item)
        if not found:
            raise InvalidInput(
                f"Cannot read the view {item.strip()[:40]!r}: write e.g. AAPL 12 60 or AAPL>GE 3 50."
            )
        confidence = float(found["confidence"]) / 100 if found["confidence"] else 0.5
        views.append(
            {
                "asset": found["asset"],
                "versus": found["versus"],
                "value": float(found["value"]) / 100,
                "confidence": confidence,
            }
        )
    return views


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
    return {
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


def weights_table(rows: list[tuple[str, float, float | None]], table_id: str) -> dbc.Table:
    """Rows of (ticker, weight, current weight or None), largest first."""
    has_current = any(c is not None for _, _, c in rows)
    header = ["Asset", "Sector", "Weight"] + (["Current", "Change"] if has_current else [])
    body = []
    for ticker, weight, current in sorted(rows, key=lambda r: -r[1]):
        cells = [
            html.Td(ticker),
            html.Td(SECURITIES.get(ticker, ("", ""))[1] or "ETF"),
            html.Td(percent(weight), className="text-end"),
        ]
        if has_current:
            cells += [
                html.Td(percent(current or 0.0), className="text-end"),
                html.Td(percent(weight - (current or 0.0)), className="text-end"),
            ]
        body.append(html.Tr(cells))
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)],
        size="sm",
        hover=True,
        id=table_id,
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
                        html.Th(""),
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
        id="opt-comparison",
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
                id="opt-allocation",
            ),
            html.P(
                f"Invested {money(allocation.invested, 2)}; cash left over {money(allocation.leftover, 2)}.",
                className="small text-muted",
            ),
        ]
    )


def output_area() -> html.Div:
    """The results' fixed frame (the frontier graph and the clicked-point panel exist from the start,
    so their callback is wired to components that are always in the layout)."""
    return html.Div(
        [
            html.Div(id="opt-notes"),
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Graph(
                            id="opt-frontier",
                            config=GRAPH_CONFIG,
                            figure=EMPTY_FRONTIER,
                            style={"height": "420px"},
                        ),
                        lg=8,
                    ),
                    dbc.Col(
                        [
                            html.Div(id="opt-side"),
                            html.H3("Clicked frontier point", className="h6 mt-3"),
                            html.Div(
                                html.P("Click a point on the frontier.", className="small text-muted"),
                                id="opt-point",
                            ),
                        ],
                        lg=4,
                    ),
                ],
                className="g-2",
            ),
            html.Div(id="opt-tables"),
        ],
        id="opt-output",
    )


def result_parts(optimal, current, weight_rows, allocation, prices, described) -> tuple[list, list, list]:
    """(notes, side panel, tables) for the output frame."""
    notes = [dbc.Alert(w, color="info", className="py-1 small") for w in optimal.warnings]
    notes.append(html.P(described, className="small text-muted", id="opt-described"))
    side = [html.H3("Optimal vs current", className="h6 mt-2"), comparison_table(optimal, current)]
    tables = dbc.Row(
        [
            dbc.Col([html.H3("Weights", className="h6"), weights_table(weight_rows, "opt-weights")], lg=6),
            dbc.Col(
                [html.H3("Discrete allocation", className="h6"), allocation_table(allocation, prices)], lg=6
            ),
        ],
        className="g-3 mt-1",
    )
    return notes, side, [tables]
