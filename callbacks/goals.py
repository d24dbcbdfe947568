"""Goals callbacks: the goals table with probabilities, the goal form (create, edit, delete), the solve-for."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.common import (
    FormErrors,
    error_alert,
    household_or_none,
    notice,
    read_form,
    register_download,
    run_triggers,
)
from callbacks.threads import register_summary
from components import ids
from components.formatting import money, percent
from components.forms import field_id, field_outputs, field_states, marks, raw_values
from components.goals import EDIT_TYPE, PAGE, SIM_FIELDS, SIM_PAGE, goals_table, probability_figure
from components.threads import ids as thread_ids
from dashboard import analytics
from dashboard.access import InvalidInput, authorize_household
from dashboard.extensions import db
from dashboard.forms import to_query
from dashboard.goals import GOAL_FIELDS, clean_goal, delete_goal, evaluation, get_goal, save_goal
from dashboard.households import snapshot


@dash.callback(
    *field_outputs(SIM_PAGE),
    Output("goals-content", "children"),
    Output("goals-alert", "children"),
    Output("goals-url", "search"),
    Output("goals-solve-goal", "options"),
    Output(thread_ids("scenario", SIM_PAGE), "data"),
    *run_triggers("goals", SIM_PAGE),
    Input("goals-version", "data"),
)
def render_goals(_run, _recompute, household_id, values, field_ids, _version):
    clean, errors, raw, classes, messages = read_form(SIM_FIELDS, values, field_ids)
    try:
        household = household_or_none(household_id)
        if household is None:
            return (
                classes,
                messages,
                notice("Choose a household to see its goals."),
                None,
                no_update,
                [],
                None,
            )
        if errors:
            raise FormErrors(errors)
        goals, as_of, model, specs = evaluation(household, clean)
        results = analytics.goal_probabilities(
            model, specs, household=household.id, refresh=ctx.triggered_id == "goals-recompute"
        )
        by_id = {g.id: r for g, r in zip(goals, results, strict=True)}
        content = [
            html.P(
                f"Horizons from the valuation date {as_of:%Y-%m-%d}; {model.paths:,} paths, seed {model.seed}; "
                "amounts in today's money.",
                className="small text-muted",
            ),
            goals_table(goals, by_id),
        ]
        if goals:
            content.append(
                dcc.Graph(
                    id="goals-chart", figure=probability_figure(goals, by_id), config={"displaylogo": False}
                )
            )
        options = [{"label": g.name, "value": g.id} for g in goals]
        search = to_query(SIM_FIELDS, raw, household.id)
        return classes, messages, content, None, search, options, search
    except Exception as error:  # noqa: BLE001 - shown on the page
        return classes, messages, no_update, error_alert(error), no_update, no_update, None


@dash.callback(
    Output(field_id(PAGE, ALL), "value"),
    Output("goals-selected", "data"),
    Output("goals-form-title", "children"),
    Input({"type": EDIT_TYPE, "index": ALL}, "n_clicks"),
    Input("goals-new", "n_clicks"),
    State(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    State(field_id(PAGE, ALL), "id"),
    prevent_initial_call=True,
)
def fill_goal_form(edit_clicks, _new, household_id, form_ids):
    trigger = ctx.triggered_id
    names = [i["index"] for i in form_ids]
    if trigger == "goals-new":
        return [next(f.default for f in GOAL_FIELDS if f.name == n) for n in names], None, "New goal"
    if not isinstance(trigger, dict) or not any(edit_clicks or []):
        raise PreventUpdate  # the table was redrawn, nobody clicked
    household = authorize_household(household_id)
    goal = get_goal(household, trigger.get("index"))
    values = {
        "name": goal.name,
        "target_amount": goal.target_amount,
        "target_date": goal.target_date.isoformat(),
        "priority": goal.priority,
        "current_amount": goal.current_amount,
        "monthly_contribution": goal.monthly_contribution,
    }
    return [values[n] for n in names], goal.id, f"Edit goal: {goal.name}"


@dash.callback(
    *field_outputs(PAGE),
    Output("goals-version", "data"),
    Output("goals-selected", "data", allow_duplicate=True),
    Output("goals-alert", "children", allow_duplicate=True),
    Output(field_id(PAGE, ALL), "value", allow_duplicate=True),
    Output("goals-form-title", "children", allow_duplicate=True),
    Input("goals-save", "n_clicks"),
    Input("goals-delete-confirm", "submit_n_clicks"),
    State("goals-selected", "data"),
    State("goals-version", "data"),
    State(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    *field_states(PAGE),
    prevent_initial_call=True,
)
def modify_goal(_save, _delete, selected, version, household_id, values, form_ids):
    raw = raw_values(values, form_ids)
    fields = {f.name: f for f in GOAL_FIELDS}
    clear = marks(form_ids, {}, fields)
    keep = [no_update] * len(form_ids)  # a wildcard output takes one value per field
    version = version if isinstance(version, int) else 0
    try:
        household = authorize_household(household_id)
        if ctx.triggered_id == "goals-delete-confirm":
            if selected is None:
                raise InvalidInput("Choose a goal to delete (Edit in the table).")
            delete_goal(household, selected)
            defaults = [fields[i["index"]].default for i in form_ids]
            done = dbc.Alert("Goal deleted.", color="success", duration=4000)
            return *clear, version + 1, None, done, defaults, "New goal"
        with db.session() as session:
            as_of = snapshot(session, household).as_of
        goal_id = save_goal(household, selected, clean_goal(raw, as_of))
        done = dbc.Alert("Goal saved.", color="success", duration=4000)
        return *clear, version + 1, goal_id, done, keep, f"Edit goal: {raw.get('name', '')}"
    except FormErrors as error:
        classes, messages = marks(form_ids, error.errors, fields)
        return classes, messages, no_update, no_update, error_alert(error), keep, no_update
    except Exception as error:  # noqa: BLE001 - shown on the page
        return *clear, no_update, no_update, error_alert(error), keep, no_update


@dash.callback(
    Output("goals-solution", "children"),
    Input("goals-solve", "n_clicks"),
    State("goals-solve-goal", "value"),
    State(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    *field_states(SIM_PAGE),
    prevent_initial_call=True,
)
def solve_saving(_clicks, goal_id, household_id, values, field_ids):
    clean, errors, *_ = read_form(SIM_FIELDS, values, field_ids)
    try:
        if errors:
            raise FormErrors(errors)
        household = authorize_household(household_id)
        goals, _as_of, model, specs = evaluation(household, clean)
        index = next((i for i, g in enumerate(goals) if g.id == goal_id), None)
        if index is None:
            raise InvalidInput("Choose one of this household's goals.")
        solution = analytics.goal_saving(model, specs[index], clean["probability"], household=household.id)
        return html.P(
            [
                f"To reach {goals[index].name} ({money(goals[index].target_amount)}) with {percent(clean['probability'], 0)} "
                "probability, save ",
                html.Strong(money(solution.monthly_saving), id="goals-solved-saving"),
                f" a month (today's money); on the same {model.paths:,} paths that reaches {percent(solution.achieved_probability)}.",
            ]
        )
    except Exception as error:  # noqa: BLE001 - shown on the page
        return error_alert(error)


def _csv(clean: dict, household):
    goals, _as_of, model, specs = evaluation(household, clean)
    results = analytics.goal_probabilities(model, specs, household=household.id)
    rows = [
        [
            g.name,
            g.priority,
            g.target_amount,
            g.target_date.isoformat(),
            g.current_amount,
            g.monthly_contribution,
            round(r.probability, 6),
            round(r.median_ending_wealth, 2),
        ]
        for g, r in zip(goals, results, strict=True)
    ]
    header = [
        "goal",
        "priority",
        "target",
        "target_date",
        "saved",
        "monthly_saving",
        "probability",
        "median_at_date",
    ]
    return header, rows


download_csv = register_download("goals", SIM_FIELDS, SIM_PAGE, _csv)


def summarise(clean: dict, household) -> tuple[int, dict]:
    goals, _as_of, model, specs = evaluation(household, clean)
    results = analytics.goal_probabilities(model, specs, household=household.id)
    return model.seed, {g.name: round(r.probability, 6) for g, r in zip(goals, results, strict=True)}


register_summary(SIM_PAGE, SIM_FIELDS, summarise)
