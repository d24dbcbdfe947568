"""Retirement: fields and panels from a ``RetirementResult`` (success, spending and wealth fans, solve-for)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.formatting import money, percent
from dashboard.forms import CHOICE, DATE, INTEGER, NUMBER, Field

PAGE = "ret"
STRATEGIES = (
    ("constant_real", "Constant real amount (4 % rule)"),
    ("constant_percentage", "Constant percentage"),
    ("guardrails", "Guardrails (Guyton-Klinger)"),
    ("vpw", "Variable percentage (VPW)"),
)
FIELDS = [
    Field("current_age", "Current age", INTEGER, 55, 18, 100),
    Field("retirement_age", "Retirement age", INTEGER, 65, 18, 100),
    Field("end_age", "Plan to age", INTEGER, 95, 19, 110),
    Field(
        "savings",
        "Savings today ($)",
        NUMBER,
        None,
        0,
        1e12,
        required=False,
        help="Empty: the household's invested assets and cash.",
    ),
    Field("contribution", "Monthly saving until retirement ($)", NUMBER, 1_000.0, 0, 1e9),
    Field(
        "spending",
        "Annual spending, today's $",
        NUMBER,
        None,
        0,
        1e10,
        required=False,
        help="Empty: 4 % of savings at retirement (constant real only).",
    ),
    Field("pension", "Annual pension, today's $", NUMBER, 0.0, 0, 1e9),
    Field("pension_age", "Pension from age", INTEGER, None, 18, 110, required=False),
    Field("strategy", "Withdrawal strategy", CHOICE, "constant_real", choices=STRATEGIES),
    Field(
        "withdrawal_rate",
        "Withdrawal rate",
        NUMBER,
        4.0,
        0,
        100,
        percent=True,
        help="Constant percentage, and the 4 % rule's first year.",
    ),
    Field("vpw_return", "VPW real return", NUMBER, 4.0, -5, 20, percent=True),
    Field("floor", "Spending floor, today's $", NUMBER, 0.0, 0, 1e10),
    Field("inflation", "Inflation", NUMBER, 2.5, -5, 50, percent=True),
    Field("fee", "Annual fee", NUMBER, 0.5, 0, 20, percent=True),
    Field(
        "model",
        "Return model",
        CHOICE,
        "parametric",
        choices=(("parametric", "Household holdings (parametric)"), ("gbm", "Geometric Brownian motion")),
    ),
    Field("mu", "Expected return, GBM", NUMBER, 6.0, -50, 50, percent=True),
    Field("sigma", "Volatility, GBM", NUMBER, 12.0, 0, 150, percent=True),
    Field("start", "Statistics from", DATE, "2008-04-11", required=False),
    Field("paths", "Paths", INTEGER, 5_000, 100, 100_000),
    Field("seed", "Seed", INTEGER, 42, 0, 2**31 - 1),
    Field("target_success", "Solve spending for success", NUMBER, 90.0, 1, 99, percent=True),
]
GRAPH_CONFIG = {"displaylogo": False, "responsive": True}
BANDS = ((5, 95, "rgba(47, 164, 231, 0.15)", "5th-95th"), (25, 75, "rgba(47, 164, 231, 0.40)", "25th-75th"))


def fan(ages, percentiles: dict, title: str, test_id: str) -> dcc.Graph:
    x = ages.tolist()
    traces = []
    for low, high, colour, name in BANDS:
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": percentiles[high].round(2).tolist(),
                "mode": "lines",
                "line": {"width": 0},
                "showlegend": False,
                "hoverinfo": "skip",
            }
        )
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": percentiles[low].round(2).tolist(),
                "mode": "lines",
                "line": {"width": 0},
                "fill": "tonexty",
                "fillcolor": colour,
                "name": name,
                "hovertemplate": f"{name}: %{{y:$,.0f}}<extra></extra>",
            }
        )
    traces.append(
        {
            "type": "scatter",
            "x": x,
            "y": percentiles[50].round(2).tolist(),
            "mode": "lines",
            "name": "Median",
            "line": {"color": "#033c73", "width": 2.5},
            "hovertemplate": "Age %{x}: %{y:$,.0f}<extra></extra>",
        }
    )
    layout = {
        "title": {"text": title, "font": {"size": 15}, "x": 0.02},
        "xaxis": {"title": {"text": "Age"}},
        "yaxis": {"tickprefix": "$", "tickformat": ",.0f"},
        "height": 330,
        "hovermode": "x unified",
        "margin": {"l": 70, "r": 10, "t": 40, "b": 40},
        "legend": {"orientation": "h", "y": -0.25},
    }
    return dcc.Graph(id=test_id, figure={"data": traces, "layout": layout}, config=GRAPH_CONFIG)


def _card(label, value, test_id):
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(label, className="text-muted small"),
                    html.Div(value, className="fs-4 fw-semibold", id=test_id),
                ]
            )
        ),
        md=3,
    )


def results_panel(result, solution, described: str) -> html.Div:
    depletion = f"{result.median_depletion_age:.0f}" if result.median_depletion_age is not None else "—"
    solved = html.P(
        "The solve-for applies to constant real and guardrails spending.", className="small text-muted"
    )
    if solution is not None:
        solved = html.P(
            [
                f"Highest spending with at least {percent(solution.target_success, 0)} success: ",
                html.Strong(money(solution.annual_spending), id="ret-solved-spending"),
                f" a year in today's money (achieves {percent(solution.achieved_success)} on the same paths).",
            ]
        )
    return html.Div(
        [
            html.P(described, className="small text-muted"),
            dbc.Row(
                [
                    _card("Success rate", percent(result.success_rate), "ret-success"),
                    _card("Runs out of money", percent(result.depletion_rate), "ret-depletion"),
                    _card(
                        "Median wealth at the end (today's $)",
                        money(result.median_ending_wealth),
                        "ret-ending",
                    ),
                    _card("Median age when it runs out", depletion, "ret-depletion-age"),
                ],
                className="g-2 mb-2",
            ),
            solved,
            fan(
                result.ages[:-1],
                result.spending_percentiles,
                "Annual spending, today's money (portfolio + pension)",
                "ret-spending",
            ),
            fan(result.ages, result.wealth_percentiles, "Wealth, today's money", "ret-wealth"),
        ]
    )


def csv_rows(result) -> tuple[list[str], list[list]]:
    rows = []
    for i, age in enumerate(result.ages.tolist()):
        spending = [
            round(float(result.spending_percentiles[p][i]), 2) if i < len(result.ages) - 1 else ""
            for p in (5, 25, 50, 75, 95)
        ]
        wealth = [round(float(result.wealth_percentiles[p][i]), 2) for p in (5, 25, 50, 75, 95)]
        rows.append([age, *spending, *wealth])
    header = (
        ["age"]
        + [f"spending_p{p}" for p in (5, 25, 50, 75, 95)]
        + [f"wealth_p{p}" for p in (5, 25, 50, 75, 95)]
    )
    return header, rows
