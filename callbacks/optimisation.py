"""Optimisation: optimise and draw the frontier through the cached facade; the clicked point's weights; CSV."""

from __future__ import annotations

from dataclasses import dataclass

import dash
from dash import Input, Output, State, no_update

from callbacks.analysis import (
    AnalysisPage,
    assumptions_of,
    attempt,
    chosen_id,
    error_alert,
    pin_assumptions,
    refreshing,
    run_inputs,
    without_result,
)
from components import ids
from components.forms import field_outputs
from components.ids import OPT
from components.optimisation import (
    EMPTY_FRONTIER,
    frontier_figure,
    point_options,
    point_panel,
    point_prompt,
    result_parts,
)
from dashboard.analytics import optimisation as facade
from dashboard.errors import InvalidInput
from dashboard.forms import optimisation as form
from dashboard.services.catalogue import sector_of
from dashboard.services.households import portfolio


@dataclass(frozen=True)
class Optimised:
    scenario: form.Scenario
    optimal: object  # engine.optimize.OptimizationResult
    frontier: object  # engine.frontier.FrontierResult
    current_performance: tuple[float, float, float] | None
    allocation: object  # engine.optimize.Allocation
    prices: dict[str, float]
    basis: object  # dashboard.analytics.assumptions.Basis: the firm's set, or history compared with it


def prepare(clean: dict, household) -> form.Scenario:
    return form.scenario(clean, portfolio(household), household.name, assumptions_of(clean))


def compute(scenario: form.Scenario, refresh: bool) -> Optimised:
    request = scenario.request
    optimal = facade.optimise(request, refresh=refresh)
    frontier = facade.frontier(request, scenario.points, refresh=refresh)
    current = facade.performance(request, scenario.current) if scenario.current else None
    allocation = facade.allocate(request, optimal.weights, scenario.cash)
    used = facade.basis(request, optimal.weights, scenario.assumptions)
    return Optimised(scenario, optimal, frontier, current, allocation, facade.latest_closes(request), used)


def render(out: Optimised) -> tuple:
    """(notes, side panel, tables, frontier figure) of an optimisation."""
    request = out.scenario.request
    objective = form.OBJECTIVE_LABELS[request.objective]
    notes, side, tables = result_parts(
        out.optimal,
        out.current_performance,
        weight_rows(out.optimal.weights, out.scenario.current),
        out.allocation,
        out.prices,
        f"{out.scenario.described}; {objective}.",
        out.basis,
        returns_shown(request),
    )
    figure = frontier_figure(out.frontier, out.optimal, out.current_performance)
    return notes, side, tables, figure, point_options(out.frontier)


def returns_shown(request) -> str:
    """Which expected returns the chart and the figures use (one set for all of them)."""
    if request.objective == "black_litterman":
        views = len(request.views)
        return (
            "Frontier, assets, current and optimal use the Black-Litterman posterior expected returns "
            f"(the market-implied prior moved by your {views} view{'s' if views != 1 else ''})."
        )
    model = dict(form.FORM.by_name["returns_model"].choices)[request.returns_model]
    return f"Frontier, assets, current and optimal use one set of expected returns: {model}."


def weight_rows(weights: dict[str, float], current: dict[str, float] | None) -> list[tuple]:
    """(ticker, sector, weight, current weight or None) for the weights tables."""
    total = sum(current.values()) if current else 1.0
    return [
        (t, sector_of(t), w, (current or {}).get(t, 0.0) / total if current else None)
        for t, w in weights.items()
    ]


def table(out: Optimised) -> tuple[list[str], list[list]]:
    current = out.scenario.current or {}
    rows = [
        [
            "weights",
            t,
            round(w, 8),
            round(current.get(t, 0.0), 8),
            out.allocation.shares.get(t, 0),
            out.prices[t],
        ]
        for t, w in out.optimal.weights.items()
    ]
    frontier = out.frontier
    rows += [
        ["frontier", i, round(float(r), 8), round(float(v), 8), round(float(s), 6), ""]
        for i, (r, v, s) in enumerate(
            zip(frontier.returns, frontier.volatilities, frontier.sharpe, strict=True)
        )
    ]
    header = [
        "section",
        "asset_or_point",
        "weight_or_return",
        "current_or_volatility",
        "shares_or_sharpe",
        "price",
    ]
    return header, rows


def summarise(out: Optimised, _clean) -> tuple[None, dict]:
    result = out.optimal
    top = sorted(result.weights.items(), key=lambda kv: -kv[1])[:5]
    return None, {
        "objective": result.objective,
        "expected_return": round(result.expected_return, 6),
        "volatility": round(result.volatility, 6),
        "sharpe": round(result.sharpe, 4),
        "top_weights": {t: round(w, 4) for t, w in top},
    }


PAGE = AnalysisPage(
    frame=OPT.frame,
    form=form.FORM,
    path="/optimisation",
    name="Optimisation",
    noun="optimisation",
    prepare=prepare,
    compute=compute,
    table=table,
    summarise=summarise,
    pin=pin_assumptions,
    pinned=("assumptions",),
    figures=(
        ("expected_return", "Expected return", "percent"),
        ("volatility", "Volatility", "percent"),
        ("sharpe", "Sharpe", "ratio"),
        ("objective", "Objective", "text"),
        ("top_weights", "Largest weights", "weights"),
    ),
)


@dash.callback(
    *field_outputs(form.FORM.key),
    Output(OPT.frame.results, "children"),
    Output(OPT.frame.alert, "children"),
    Output(OPT.frame.url, "search"),
    Output(OPT.NOTES, "children"),
    Output(OPT.SIDE, "children"),
    Output(OPT.TABLES, "children"),
    Output(OPT.FRONTIER, "figure"),
    Output(OPT.POINT, "children"),
    Output(OPT.POINT_SELECT, "options"),
    Output(OPT.POINT_SELECT, "value"),
    Output(ids.thread_save("scenario", PAGE.key), "data"),
    *run_inputs(OPT.frame, form.FORM),
)
def run_optimisation(_run, _recompute, household_id, values, field_ids):
    refresh = refreshing(OPT.frame)

    def show(clean, household):
        return PAGE.shown(clean, household, lambda: render(PAGE.result(clean, household, refresh)), refresh)

    done = attempt(PAGE, household_id, values, field_ids, show)
    ended = without_result(
        done,
        "Choose a household to optimise.",
        # the notes, weights, tables, frontier and point of the last run stay; nothing to choose from
        extras=(*[no_update] * 5, [], ""),
        # refused: the previous frontier and weights would no longer match the form
        cleared=(None, None, None, EMPTY_FRONTIER, None, [], ""),
    )
    if ended is not None:
        return ended
    notes, side, tables, figure, points = done.outcome
    return (
        done.classes,
        done.messages,
        None,
        None,
        done.search,
        notes,
        side,
        tables,
        figure,
        point_prompt(),
        points,
        "",
        done.search,
    )


@dash.callback(
    Output(OPT.POINT, "children", allow_duplicate=True),
    Input(OPT.FRONTIER, "clickData"),
    State(ids.thread_save("scenario", PAGE.key), "data"),
    prevent_initial_call=True,
)
def show_frontier_point(click, shown):
    """The clicked point of the frontier that is drawn: the last run's scenario, not the form edited since."""
    points = (click or {}).get("points") or []
    index = points[0].get("customdata") if points and isinstance(points[0], dict) else None
    if not isinstance(index, int) or isinstance(index, bool):
        return no_update  # a click on an asset or marker, not on the frontier
    return _point(index, shown)


@dash.callback(
    Output(OPT.POINT, "children", allow_duplicate=True),
    Input(OPT.POINT_SELECT, "value"),
    State(ids.thread_save("scenario", PAGE.key), "data"),
    prevent_initial_call=True,
)
def choose_frontier_point(value, shown):
    """The frontier point chosen from the list (the keyboard's click): the same panel as a click."""
    if value in (None, ""):
        return no_update
    index = chosen_id(value)
    if not isinstance(index, int):
        return error_alert(InvalidInput("Choose one of the frontier's points."))
    return _point(index, shown)


def _point(index: int, shown):
    """The point's panel, drawn once per run and point (a click on a point shown before costs a lookup)."""
    try:
        household, clean = PAGE.scenario_on_screen(shown, "explain")
        return PAGE.detail(
            {"point": index},
            clean,
            household,
            lambda: _point_panel(index, PAGE.result_on_screen(clean, household)),
        )
    except Exception as error:  # noqa: BLE001 - shown where the point would be
        return error_alert(error)


def _point_panel(index: int, out):
    frontier = out.frontier
    if not 0 <= index < len(frontier.returns):
        raise InvalidInput("That frontier point does not exist any more; optimise again.")
    scenario = out.scenario
    weights = {
        t: w for t, w in zip(frontier.tickers, frontier.weights[index].tolist(), strict=True) if w > 1e-6
    }
    summary = (
        f"Return {frontier.returns[index]:.2%}, volatility {frontier.volatilities[index]:.2%}, "
        f"Sharpe {frontier.sharpe[index]:.2f}"
    )
    return point_panel(summary, weight_rows(weights, scenario.current))
