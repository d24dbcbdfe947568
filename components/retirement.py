"""Retirement: panels from a ``RetirementResult`` (success, spending and wealth fans, solve-for)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.assumptions import basis_note
from components.cards import FAN_BANDS, fan_figure, stat_card
from components.formatting import history_note, money, percent
from components.graphs import graph
from components.ids import RET


def fan_of(ages, percentiles: dict, title: str) -> dict:
    bands = (FAN_BANDS[0], FAN_BANDS[2])
    return fan_figure(ages.tolist(), percentiles, title, "Age", "Age", bands=bands, height=330)


def fan(ages, percentiles: dict, title: str, test_id: str) -> dcc.Graph:
    return graph(test_id, fan_of(ages, percentiles, title))


def wealth_figure(result) -> dict:
    """Wealth by age, today's money: the page's wealth chart."""
    return fan_of(result.ages, result.wealth_percentiles, WEALTH_TITLE)


WEALTH_TITLE = "Wealth, today's money"


def results_panel(result, solution, described: str, basis) -> html.Div:
    depletion = f"{result.median_depletion_age:.0f}" if result.median_depletion_age is not None else "—"
    solved = html.P(
        "The solve-for applies to constant real and guardrails spending.", className="small text-muted"
    )
    if solution is not None:
        solved = html.P(
            [
                f"Highest spending with at least {percent(solution.target_success, 0)} success: ",
                html.Strong(money(solution.annual_spending), id=RET.SOLVED_SPENDING),
                f" a year in today's money (achieves {percent(solution.achieved_success)} on the same paths).",
            ]
        )
    return html.Div(
        [
            html.P(described, className="small text-muted"),
            basis_note(basis, RET.frame.basis),
            html.P(history_note(result.model), className="small text-muted", id=RET.HISTORY),
            dbc.Row(
                [
                    stat_card("Success rate", percent(result.success_rate), RET.SUCCESS),
                    stat_card("Runs out of money", percent(result.depletion_rate), RET.DEPLETION),
                    stat_card(
                        "Median wealth at the end (today's $)",
                        money(result.median_ending_wealth),
                        RET.ENDING,
                    ),
                    stat_card("Median age when it runs out", depletion, RET.DEPLETION_AGE),
                ],
                className="g-2 mb-2",
            ),
            solved,
            fan(
                result.ages[:-1],
                result.spending_percentiles,
                "Annual spending, today's money (portfolio + pension)",
                RET.SPENDING,
            ),
            graph(RET.WEALTH, wealth_figure(result)),
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
