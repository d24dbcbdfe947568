"""Monte Carlo: the form's fields and the result panels built from a ``SimulationResult``.

The fan chart draws the percentile paths in today's money as filled bands
(5-95, 10-90, 25-75) around the median; figures are plain dicts.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.cards import fan_figure, stat_card
from components.formatting import money, percent
from dashboard.forms import CHOICE, DATE, INTEGER, NUMBER, Field

PAGE = "mc"
BACKGROUND_THRESHOLD = (
    12_000_000  # paths x months: 100,000 paths over 10 years and beyond run in the background
)

FIELDS = [
    Field(
        "model",
        "Model",
        CHOICE,
        "parametric",
        choices=(
            ("parametric", "Parametric (household holdings)"),
            ("bootstrap", "Historical bootstrap (holdings)"),
            ("gbm", "Geometric Brownian motion"),
        ),
    ),
    Field("mu", "Expected return, GBM", NUMBER, 7.0, -50, 50, percent=True),
    Field("sigma", "Volatility, GBM", NUMBER, 15.0, 0, 150, percent=True),
    Field(
        "start",
        "Statistics from",
        DATE,
        "2008-04-11",
        required=False,
        help="Holdings' history used by the parametric and bootstrap models.",
    ),
    Field(
        "distribution",
        "Distribution",
        CHOICE,
        "normal",
        choices=(("normal", "Normal"), ("lognormal", "Lognormal")),
    ),
    Field(
        "rebalance",
        "Rebalancing",
        CHOICE,
        "1",
        choices=(("1", "Monthly"), ("3", "Quarterly"), ("12", "Yearly"), ("0", "Never")),
    ),
    Field(
        "initial",
        "Initial wealth ($)",
        NUMBER,
        None,
        0,
        1e11,
        required=False,
        help="Empty: the household's invested assets today.",
    ),
    Field("years", "Horizon (years)", INTEGER, 30, 1, 100),
    Field("contribution", "Monthly contribution ($)", NUMBER, 0.0, 0, 1e9),
    Field("withdrawal", "Monthly withdrawal ($)", NUMBER, 0.0, 0, 1e9),
    Field("withdrawal_start", "Withdrawals start after (years)", INTEGER, 0, 0, 100),
    Field("withdrawal_rate", "Withdrawal rate of wealth", NUMBER, 0.0, 0, 100, percent=True),
    Field("inflation", "Inflation", NUMBER, 2.5, -5, 50, percent=True),
    Field("fee", "Annual fee", NUMBER, 0.5, 0, 20, percent=True),
    Field("paths", "Paths", INTEGER, 10_000, 100, 1_000_000),
    Field("seed", "Seed", INTEGER, 42, 0, 2**31 - 1),
    Field(
        "target",
        "Target, today's money ($)",
        NUMBER,
        None,
        0,
        1e13,
        required=False,
        help="Success: real ending wealth at least this; empty: never depleted.",
    ),
    Field("block", "Bootstrap block (months)", INTEGER, 12, 1, 120),
]
FIELD_BY_NAME = {f.name: f for f in FIELDS}

GRAPH_CONFIG = {"displaylogo": False, "responsive": True}


def fan_chart(result) -> dict:
    years = [round(m / 12, 4) for m in result.recorded_months.tolist()]
    return fan_figure(
        years,
        result.percentiles_real,
        "Wealth in today's money: percentile bands",
        "Years",
        "Year",
        target=result.target,
    )


def histogram(result) -> dict:
    edges, counts = result.ending_histogram
    centres = ((edges[:-1] + edges[1:]) / 2).round(2).tolist()
    figure = {
        "data": [
            {
                "type": "bar",
                "x": centres,
                "y": counts.tolist(),
                "marker": {"color": "#2fa4e7"},
                "hovertemplate": "%{x:$,.0f}: %{y} paths<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": "Ending wealth (today's money)", "font": {"size": 15}},
            "bargap": 0.02,
            "xaxis": {"tickprefix": "$", "tickformat": ",.0f"},
            "yaxis": {"title": {"text": "Paths"}},
            "height": 320,
            "margin": {"l": 60, "r": 10, "t": 40, "b": 40},
        },
    }
    if result.target:
        figure["layout"]["shapes"] = [
            {
                "type": "line",
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "x0": result.target,
                "x1": result.target,
                "line": {"color": "#c71c22", "dash": "dash"},
            }
        ]
    return figure


def results_panel(result, request_summary: str) -> html.Div:
    success = "never depleted" if result.target is None else f"ending ≥ {money(result.target)}"
    drawdown = result.drawdown
    return html.Div(
        [
            dbc.Row(
                [
                    stat_card(
                        f"Probability of success ({success})",
                        percent(result.probability_of_success),
                        "mc-probability",
                    ),
                    stat_card(
                        "Median ending wealth (today's $)",
                        money(result.ending_wealth_percentiles[50]),
                        "mc-median",
                    ),
                    stat_card("Mean ending wealth (today's $)", money(result.mean_ending_wealth), "mc-mean"),
                    stat_card(
                        "Probability of depletion", percent(result.probability_of_depletion), "mc-depletion"
                    ),
                ],
                className="g-3 mb-2",
            ),
            html.P(
                [
                    f"{result.paths:,} paths over {result.months // 12} years, seed ",
                    html.Strong(str(result.seed), id="mc-seed"),
                    f". {request_summary}",
                ],
                className="small text-muted",
            ),
            dcc.Graph(id="mc-fan-chart", figure=fan_chart(result), config=GRAPH_CONFIG),
            dbc.Row(
                [
                    dbc.Col(
                        dcc.Graph(id="mc-histogram", figure=histogram(result), config=GRAPH_CONFIG), lg=7
                    ),
                    dbc.Col(
                        [
                            html.H3("Ending wealth percentiles", className="h6 mt-2"),
                            dbc.Table(
                                [
                                    html.Thead(
                                        html.Tr(
                                            [
                                                html.Th("Percentile"),
                                                html.Th("Today's $", className="text-end"),
                                            ]
                                        )
                                    ),
                                    html.Tbody(
                                        [
                                            html.Tr(
                                                [html.Td(f"{p}th"), html.Td(money(v), className="text-end")]
                                            )
                                            for p, v in result.ending_wealth_percentiles.items()
                                        ]
                                    ),
                                ],
                                size="sm",
                                id="mc-percentiles",
                            ),
                            html.H3("Maximum drawdown of the portfolio", className="h6 mt-2"),
                            dbc.Table(
                                html.Tbody(
                                    [
                                        html.Tr(
                                            [
                                                html.Td("Median"),
                                                html.Td(percent(drawdown["median"]), className="text-end"),
                                            ]
                                        ),
                                        html.Tr(
                                            [
                                                html.Td("Worst 5 %"),
                                                html.Td(percent(drawdown["p95"]), className="text-end"),
                                            ]
                                        ),
                                        html.Tr(
                                            [
                                                html.Td("Worst path"),
                                                html.Td(percent(drawdown["worst"]), className="text-end"),
                                            ]
                                        ),
                                        html.Tr(
                                            [
                                                html.Td("Paths falling over 20 %"),
                                                html.Td(
                                                    percent(drawdown["probability_over_20pct"]),
                                                    className="text-end",
                                                ),
                                            ]
                                        ),
                                    ]
                                ),
                                size="sm",
                                id="mc-drawdowns",
                            ),
                        ],
                        lg=5,
                    ),
                ]
            ),
        ]
    )


def csv_rows(result) -> tuple[list[str], list[list]]:
    header = (
        ["month", "year"]
        + [f"p{p}_nominal" for p in result.percentiles]
        + [f"p{p}_real" for p in result.percentiles_real]
    )
    rows = []
    for i, month in enumerate(result.recorded_months.tolist()):
        rows.append(
            [month, round(month / 12, 4)]
            + [round(float(result.percentiles[p][i]), 2) for p in result.percentiles]
            + [round(float(result.percentiles_real[p][i]), 2) for p in result.percentiles_real]
        )
    return header, rows
