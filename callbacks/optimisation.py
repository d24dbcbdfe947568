"""Optimisation callbacks: validate, optimise and draw the frontier through the cached facade."""

from __future__ import annotations

import dash
from dash import Input, Output, State, ctx, no_update

from callbacks.common import (
    FormErrors,
    checked_form,
    error_alert,
    household_or_none,
    notice,
    read_form,
    register_download,
    run_triggers,
)
from callbacks.threads import register_summary
from components import ids
from components.forms import field_outputs, field_states
from components.optimisation import (
    FIELDS,
    PAGE,
    frontier_figure,
    parse_sector_limits,
    parse_views,
    result_parts,
    weights_table,
)
from components.threads import ids as thread_ids
from dashboard import analytics
from dashboard.access import InvalidInput
from dashboard.extensions import db
from dashboard.forms import to_query
from dashboard.households import portfolio_of


def optimisation_request(clean: dict, household):
    """(request, current weights or None, description) for a validated form and household."""
    with db.session() as session:
        portfolio = portfolio_of(session, household)
    held = dict(zip(portfolio.tickers, portfolio.weights, strict=True))
    if clean["universe"] == "holdings":
        tickers = list(portfolio.tickers)
        if len(tickers) < 2:
            raise InvalidInput(
                f"{household.name} holds fewer than two securities; choose the assets instead."
            )
        described = f"{household.name}'s {len(tickers)} holdings"
    else:
        tickers = clean["tickers"]
        if len(tickers) < 2:
            raise FormErrors({"tickers": "Choose at least two assets."})
        described = f"{len(tickers)} chosen assets"
    lower, upper = parse_sector_limits(clean["sector_limits"], clean["sector_max"])
    universe_sectors = {analytics.SECURITIES[t][1] or "Broad market (ETF)" for t in tickers}
    request = analytics.OptimisationRequest.build(
        tickers=tickers,
        start=clean["start"],
        end=clean["end"],
        objective=clean["objective"],
        returns_model=clean["returns_model"],
        risk_model=clean["risk_model"],
        risk_free_rate=clean["risk_free_rate"],
        target_volatility=clean["target_volatility"],
        target_return=clean["target_return"],
        risk_aversion=clean["risk_aversion"],
        min_weight=clean["min_weight"],
        max_weight=clean["max_weight"],
        sector_lower={s: v for s, v in lower.items() if s in universe_sectors},
        sector_upper={s: v for s, v in upper.items() if s in universe_sectors},
        views=parse_views(clean["views"]),
        bl_objective=clean["bl_objective"],
    )
    overlap = {t: w for t, w in held.items() if t in request.tickers}
    current = overlap if overlap and sum(overlap.values()) > 0 else None
    return request, current, described


def _compute(clean, household, refresh):
    request, current, described = optimisation_request(clean, household)
    optimal = analytics.optimise(request, refresh=refresh, household=household.id)
    frontier = analytics.frontier(request, clean["points"], refresh=refresh, household=household.id)
    current_perf = analytics.performance(request, current) if current else None
    allocation, prices = analytics.allocate(request, optimal.weights, clean["cash"], household=household.id)
    return request, optimal, frontier, current, current_perf, allocation, prices, described


@dash.callback(
    *field_outputs(PAGE),
    Output("opt-results", "children"),
    Output("opt-notes", "children"),
    Output("opt-side", "children"),
    Output("opt-tables", "children"),
    Output("opt-frontier", "figure"),
    Output("opt-point", "children"),
    Output("opt-alert", "children"),
    Output("opt-url", "search"),
    Output(thread_ids("scenario", PAGE), "data"),
    *run_triggers(PAGE),
)
def run_optimisation(_run, _recompute, household_id, values, field_ids):
    clean, errors, raw, classes, messages = read_form(FIELDS, values, field_ids)
    unchanged = [no_update] * 6
    try:
        household = household_or_none(household_id)
        if household is None:
            return (
                classes,
                messages,
                notice("Choose a household to optimise."),
                *unchanged,
                None,
                no_update,
                None,
            )
        if errors:
            raise FormErrors(errors)
        refresh = ctx.triggered_id == "opt-recompute"
        request, optimal, frontier, current, current_perf, allocation, prices, described = _compute(
            clean, household, refresh
        )
        total = sum(current.values()) if current else 1.0
        rows = [
            (t, w, (current or {}).get(t, 0.0) / total if current else None)
            for t, w in optimal.weights.items()
        ]
        objective = dict(FIELDS[6].choices)[request.objective]
        notes, side, tables = result_parts(
            optimal, current_perf, rows, allocation, prices, f"{described}; {objective}."
        )
        figure = frontier_figure(frontier, optimal, current_perf)
        point = dash.html.P("Click a point on the frontier.", className="small text-muted")
        search = to_query(FIELDS, raw, household.id)
        return classes, messages, None, notes, side, tables, figure, point, None, search, search
    except FormErrors as error:
        classes, messages = _mark(field_ids, error.errors, classes, messages)
        return classes, messages, *unchanged, error_alert(error), no_update, None
    except Exception as error:  # noqa: BLE001 - shown on the page (unexpected ones logged with a reference)
        return classes, messages, *unchanged, error_alert(error), no_update, None


def _mark(field_ids, errors, classes, messages):
    from components.forms import marks

    extra_classes, extra_messages = marks(field_ids, errors, {f.name: f for f in FIELDS})
    return (
        [c or e for c, e in zip(classes, extra_classes, strict=True)],
        [m or e for m, e in zip(messages, extra_messages, strict=True)],
    )


@dash.callback(
    Output("opt-point", "children", allow_duplicate=True),
    Input("opt-frontier", "clickData"),
    State(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    *field_states(PAGE),
    prevent_initial_call=True,
)
def show_frontier_point(click, household_id, values, field_ids):
    points = (click or {}).get("points") or []
    index = points[0].get("customdata") if points and isinstance(points[0], dict) else None
    if not isinstance(index, int) or isinstance(index, bool):
        return no_update  # a click on an asset or marker, not on the frontier
    clean, household = checked_form(FIELDS, values, field_ids, household_id)
    request, current, _ = optimisation_request(clean, household)
    frontier = analytics.frontier(request, clean["points"], household=household.id)
    if not 0 <= index < len(frontier.returns):
        raise InvalidInput("That frontier point does not exist any more; optimise again.")
    weights = dict(zip(frontier.tickers, frontier.weights[index].tolist(), strict=True))
    total = sum(current.values()) if current else 1.0
    rows = [
        (t, w, (current or {}).get(t, 0.0) / total if current else None)
        for t, w in weights.items()
        if w > 1e-6
    ]
    summary = (
        f"Return {frontier.returns[index]:.2%}, volatility {frontier.volatilities[index]:.2%}, "
        f"Sharpe {frontier.sharpe[index]:.2f}"
    )
    return [
        dash.html.P(summary, className="small mb-1", id="opt-point-summary"),
        weights_table(rows, "opt-point-weights"),
    ]


def _csv(clean: dict, household):
    request, optimal, frontier, current, _perf, allocation, prices, _ = _compute(clean, household, False)
    rows = [
        [
            "weights",
            t,
            round(w, 8),
            round((current or {}).get(t, 0.0), 8),
            allocation.shares.get(t, 0),
            prices[t],
        ]
        for t, w in optimal.weights.items()
    ]
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


download_csv = register_download(PAGE, FIELDS, PAGE, _csv)


def summarise(clean: dict, household) -> tuple[None, dict]:
    request, _current, _ = optimisation_request(clean, household)
    result = analytics.optimise(request, household=household.id)
    top = sorted(result.weights.items(), key=lambda kv: -kv[1])[:5]
    return None, {
        "objective": result.objective,
        "expected_return": round(result.expected_return, 6),
        "volatility": round(result.volatility, 6),
        "sharpe": round(result.sharpe, 4),
        "top_weights": {t: round(w, 4) for t, w in top},
    }


register_summary(PAGE, FIELDS, summarise)
