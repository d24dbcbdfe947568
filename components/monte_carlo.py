"""Monte Carlo: the result panels built from a ``SimulationResult``.

The fan chart draws the percentile paths in today's money as filled bands
(5-95, 10-90, 25-75) around the median; figures are plain dicts.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.assumptions import basis_note
from components.cards import fan_figure, stat_card
from components.formatting import history_note, money, percent
from components.graphs import MONEY_TICKS, graph
from components.ids import MC


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
            "xaxis": dict(MONEY_TICKS),
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


def results_panel(result, request_summary: str, basis) -> html.Div:
    success = "never depleted" if result.target is None else f"ending ≥ {money(result.target)}"
    drawdown = result.drawdown
    return html.Div(
        [
            dbc.Row(
                [
                    stat_card(
                        f"Probability of success ({success})",
                        percent(result.probability_of_success),
                        MC.PROBABILITY,
                    ),
                    stat_card(
                        "Median ending wealth (today's $)",
                        money(result.ending_wealth_percentiles[50]),
                        MC.MEDIAN,
                    ),
                    stat_card("Mean ending wealth (today's $)", money(result.mean_ending_wealth), MC.MEAN),
                    stat_card(
                        "Probability of depletion", percent(result.probability_of_depletion), MC.DEPLETION
                    ),
                ],
                className="g-3 mb-2",
            ),
            html.P(
                [
                    f"{result.paths:,} paths over {result.months // 12} years, seed ",
                    html.Strong(str(result.seed), id=MC.SEED),
                    f". {request_summary}",
                ],
                className="small text-muted",
            ),
            basis_note(basis, MC.frame.basis),
            html.P(history_note(result.model), className="small text-muted", id=MC.HISTORY),
            graph(MC.FAN_CHART, fan_chart(result)),
            dbc.Row(
                [
                    dbc.Col(graph(MC.HISTOGRAM, histogram(result)), lg=7),
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
                                id=MC.PERCENTILES,
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
                                id=MC.DRAWDOWNS,
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
