"""Goals: the goals table with probabilities, and the probability chart."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.formatting import money, percent
from components.ids import GOALS
from components.tables import scrolling


def goals_table(goals, results: dict | None) -> html.Div:
    """``goals``: GoalSummary rows; ``results``: goal id -> GoalResult, when evaluated."""
    header = ["Goal", "Priority", "Target", "By", "Saved", "Monthly", "Probability", "Median at date"]
    rows = []
    for goal in goals:
        result = (results or {}).get(goal.id)
        rows.append(
            html.Tr(
                [
                    html.Td(goal.name),
                    html.Td(goal.priority.capitalize()),
                    html.Td(money(goal.target_amount), className="text-end"),
                    html.Td(goal.target_date.strftime("%b %Y")),
                    html.Td(money(goal.current_amount), className="text-end"),
                    html.Td(money(goal.monthly_contribution), className="text-end"),
                    html.Td(
                        percent(result.probability) if result else "—",
                        className="text-end fw-semibold",
                        id=GOALS.probability(goal.id),
                    ),
                    html.Td(money(result.median_ending_wealth) if result else "—", className="text-end"),
                    html.Td(
                        html.Button(
                            "Edit",
                            id=GOALS.edit(goal.id),
                            type="button",
                            className="btn btn-link btn-sm",
                            **{"aria-label": f"Edit {goal.name}"},
                        )
                    ),
                ]
            )
        )
    if not rows:
        rows = [
            html.Tr(
                html.Td(
                    "No goals yet: add one with the form.", colSpan=len(header) + 1, className="text-muted"
                )
            )
        ]
    return scrolling(
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [html.Th(h) for h in header]
                        + [html.Th(html.Span("Actions", className="visually-hidden"))]
                    )
                ),
                html.Tbody(rows),
            ],
            hover=True,
            size="sm",
            id=GOALS.TABLE,
        ),
        "Goals",
    )


def probability_figure(goals, results: dict) -> dict:
    names = [g.name for g in goals if g.id in results]
    values = [round(results[g.id].probability, 4) for g in goals if g.id in results]
    # Okabe-Ito's bluish green, orange and vermillion; each bar is also labelled with its probability
    colours = ["#009E73" if v >= 0.8 else "#E69F00" if v >= 0.5 else "#D55E00" for v in values]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": values,
                "y": names,
                "marker": {"color": colours},
                "text": [f"{v:.0%}" for v in values],
                "textposition": "auto",
                "hovertemplate": "%{y}: %{x:.1%}<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": "Probability of reaching each goal", "font": {"size": 15}, "x": 0.02},
            "xaxis": {"range": [0, 1], "tickformat": ".0%"},
            "yaxis": {"automargin": True},
            "height": max(200, 60 + 40 * len(names)),
            "margin": {"l": 10, "r": 10, "t": 40, "b": 30},
        },
    }


def saving_solution(before: str, saving: str, after: str) -> html.P:
    """The solve-for's answer, the monthly saving in bold."""
    return html.P([before, html.Strong(saving, id=GOALS.SOLVED_SAVING), after])
