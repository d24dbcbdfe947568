"""Retirement: fields and panels from a ``RetirementResult`` (success, spending and wealth fans, solve-for)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.cards import FAN_BANDS, fan_figure, stat_card
from components.formatting import money, percent
from components.forms import return_model_fields
from dashboard.forms import CHOICE, INTEGER, NUMBER, Field

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
    *return_model_fields(),
    Field("paths", "Paths", INTEGER, 5_000, 100, 100_000),
    Field("seed", "Seed", INTEGER, 42, 0, 2**31 - 1),
    Field("target_success", "Solve spending for success", NUMBER, 90.0, 1, 99, percent=True),
]
GRAPH_CONFIG = {"displaylogo": False, "responsive": True}


def fan(ages, percentiles: dict, title: str, test_id: str) -> dcc.Graph:
    bands = (FAN_BANDS[0], FAN_BANDS[2])
    figure = fan_figure(ages.tolist(), percentiles, title, "Age", "Age", bands=bands, height=330)
    return dcc.Graph(id=test_id, figure=figure, config=GRAPH_CONFIG)


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
                    stat_card("Success rate", percent(result.success_rate), "ret-success"),
                    stat_card("Runs out of money", percent(result.depletion_rate), "ret-depletion"),
                    stat_card(
                        "Median wealth at the end (today's $)",
                        money(result.median_ending_wealth),
                        "ret-ending",
                    ),
                    stat_card("Median age when it runs out", depletion, "ret-depletion-age"),
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
