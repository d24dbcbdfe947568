"""Goals: the goals table with probabilities, the goal form (create, edit, delete), the solve-for; CSV."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

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
from components.assumptions import basis_note
from components.formatting import history_note, money, percent
from components.forms import field_outputs, field_states, marks
from components.goals import goals_table, probability_figure, saving_solution
from components.graphs import graph
from components.ids import GOALS
from dashboard.analytics.goals import Evaluation, evaluate_goals
from dashboard.analytics.simulation import goal_saving
from dashboard.errors import InvalidInput
from dashboard.forms import goals as form
from dashboard.forms.fields import FormErrors
from dashboard.services.access import HouseholdRef, authorize_household, household_or_none
from dashboard.services.goals import delete_goal, get_goal, save_goal
from dashboard.services.households import portfolio_of, snapshot

GOAL_FORM, SIM_FORM = form.GOAL_FORM, form.SIM_FORM


def prepare(clean: dict, household: HouseholdRef):
    snap = snapshot(household)
    ref = assumptions_of(clean)
    model = form.model(clean, portfolio_of(snap), household.name, ref)
    return household, snap, model, form.goal_specs(snap), None if ref is None else ref.id


def compute(scenario, refresh: bool) -> Evaluation:
    household, snap, model, specs, assumptions = scenario
    return evaluate_goals(household, snap, model, specs, assumptions, refresh)


def evaluate(clean: dict, household: HouseholdRef) -> Evaluation:
    """Every goal of the household evaluated with the simulation settings ``clean`` (cached)."""
    return compute(prepare(clean, household), False)


def render(out: Evaluation) -> tuple[list, list[dict]]:
    """(the goals table and chart, the solve-for's goal choices) of an evaluation."""
    content = [
        html.P(
            f"Horizons from the valuation date {out.as_of:%Y-%m-%d}; {out.model.paths:,} paths, "
            f"seed {out.model.seed}; inflation {percent(out.model.inflation)}; amounts in today's money.",
            className="small text-muted",
        ),
        basis_note(out.basis, GOALS.frame.basis),
        html.P(
            history_note(out.results[0].model) if out.results else "",
            className="small text-muted",
            id=GOALS.HISTORY,
        ),
        goals_table(out.goals, out.by_goal()),
    ]
    if out.goals:
        content.append(graph(GOALS.CHART, probability_figure(out.goals, out.by_goal())))
    return content, [{"label": g.name, "value": str(g.id)} for g in out.goals]


def table(out: Evaluation) -> tuple[list[str], list[list]]:
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
        for g, r in zip(out.goals, out.results, strict=True)
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


def summarise(out: Evaluation, _clean) -> tuple[int, dict]:
    return out.model.seed, {
        g.name: round(r.probability, 6) for g, r in zip(out.goals, out.results, strict=True)
    }


PAGE = AnalysisPage(
    frame=GOALS.frame,
    form=SIM_FORM,
    path="/goals",
    name="Goals",
    noun="goals",
    prepare=prepare,
    compute=compute,
    table=table,
    summarise=summarise,
    reads_goals=True,
    pin=pin_assumptions,
    pinned=("assumptions",),
    figures=(("*", "", "percent"),),
)


@dash.callback(
    *field_outputs(SIM_FORM.key),
    Output(GOALS.CONTENT, "children"),
    Output(GOALS.frame.alert, "children"),
    Output(GOALS.frame.url, "search"),
    Output(GOALS.SOLVE_GOAL, "options"),
    Output(ids.thread_save("scenario", PAGE.key), "data"),
    *run_inputs(GOALS.frame, SIM_FORM),
    Input(GOALS.VERSION, "data"),
)
def render_goals(_run, _recompute, household_id, values, field_ids, _version):
    refresh = refreshing(GOALS.frame)

    def show(clean, household):
        return PAGE.shown(clean, household, lambda: render(PAGE.result(clean, household, refresh)), refresh)

    done = attempt(PAGE, household_id, values, field_ids, show)
    ended = without_result(done, "Choose a household to see its goals.", extras=([],))
    if ended is not None:
        return ended
    content, options = done.outcome
    return done.classes, done.messages, content, None, done.search, options, done.search


@dash.callback(
    Output(ids.field(GOAL_FORM.key, ALL), "value"),
    Output(GOALS.SELECTED, "data"),
    Output(GOALS.FORM_TITLE, "children"),
    Output(GOALS.SOLUTION, "children", allow_duplicate=True),
    *[
        Output(o.component_id, o.component_property, allow_duplicate=True)
        for o in field_outputs(GOAL_FORM.key)
    ],
    Input(GOALS.edit(ALL), "n_clicks"),
    Input(GOALS.NEW, "n_clicks"),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    State(ids.field(GOAL_FORM.key, ALL), "id"),
    prevent_initial_call=True,
)
def fill_goal_form(edit_clicks, _new, household_id, form_ids):
    """The goal form: a goal to edit, a new one, or (another household chosen) a new one with nothing of
    the other household's left in it: its goal, its solve-for answer, its messages."""
    trigger = ctx.triggered_id
    names = [i["index"] for i in form_ids]
    if trigger in (GOALS.NEW, ids.SHELL_HOUSEHOLD_SELECT):
        solution = None if trigger == ids.SHELL_HOUSEHOLD_SELECT else no_update
        classes, messages = marks(form_ids, {}, GOAL_FORM.by_name)
        return [GOAL_FORM.by_name[n].default for n in names], None, "New goal", solution, classes, messages
    if not isinstance(trigger, dict) or not any(edit_clicks or []):
        raise PreventUpdate  # the table was redrawn, nobody clicked
    goal = get_goal(authorize_household(household_id), trigger.get("index"))
    values = {
        "name": goal.name,
        "target_amount": goal.target_amount,
        "target_date": goal.target_date.isoformat(),
        "priority": goal.priority,
        "current_amount": goal.current_amount,
        "monthly_contribution": goal.monthly_contribution,
    }
    classes, messages = marks(form_ids, {}, GOAL_FORM.by_name)
    return [values[n] for n in names], goal.id, f"Edit goal: {goal.name}", no_update, classes, messages


@dash.callback(
    Output(GOALS.DELETE, "disabled"),
    Output(GOALS.DELETE, "title"),
    Input(GOALS.SELECTED, "data"),
)
def delete_needs_a_goal(selected):
    """Delete is offered only for a chosen goal (no confirmation that then says to choose one)."""
    if selected is None:
        return True, "Choose a goal to delete: Edit in the table."
    return False, "Delete this goal"


@dash.callback(
    *field_outputs(GOAL_FORM.key),
    Output(GOALS.VERSION, "data"),
    Output(GOALS.SELECTED, "data", allow_duplicate=True),
    Output(GOALS.frame.alert, "children", allow_duplicate=True),
    Output(ids.field(GOAL_FORM.key, ALL), "value", allow_duplicate=True),
    Output(GOALS.FORM_TITLE, "children", allow_duplicate=True),
    Input(GOALS.SAVE, "n_clicks"),
    Input(GOALS.DELETE_CONFIRM, "submit_n_clicks"),
    State(GOALS.SELECTED, "data"),
    State(GOALS.VERSION, "data"),
    State(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    *field_states(GOAL_FORM.key),
    prevent_initial_call=True,
)
def modify_goal(_save, _delete, selected, version, household_id, values, form_ids):
    raw = GOAL_FORM.read(values, form_ids).raw
    clear = marks(form_ids, {}, GOAL_FORM.by_name)
    keep = [no_update] * len(form_ids)  # a wildcard output takes one value per field
    version = version if isinstance(version, int) else 0
    try:
        household = authorize_household(household_id)
        if ctx.triggered_id == GOALS.DELETE_CONFIRM:
            if selected is None:
                raise InvalidInput("Choose a goal to delete (Edit in the table).")
            delete_goal(household, selected)
            defaults = [GOAL_FORM.by_name[i["index"]].default for i in form_ids]
            done = dbc.Alert("Goal deleted.", color="success", duration=4000)
            return *clear, version + 1, None, done, defaults, "New goal"
        goal_id = save_goal(household, selected, form.clean_goal(raw, snapshot(household).as_of))
        done = dbc.Alert("Goal saved.", color="success", duration=4000)
        return *clear, version + 1, goal_id, done, keep, f"Edit goal: {raw.get('name', '')}"
    except FormErrors as error:
        classes, messages = marks(form_ids, error.errors, GOAL_FORM.by_name)
        return classes, messages, no_update, no_update, error_alert(error), keep, no_update
    except Exception as error:  # noqa: BLE001 - shown on the page
        return *clear, no_update, no_update, error_alert(error), keep, no_update


@dash.callback(
    Output(GOALS.SOLUTION, "children"),
    Input(GOALS.SOLVE, "n_clicks"),
    State(GOALS.SOLVE_GOAL, "value"),
    State(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    State(ids.thread_save("scenario", PAGE.key), "data"),
    *field_states(SIM_FORM.key),
    prevent_initial_call=True,
)
def solve_saving(_clicks, goal_id, household_id, scenario, values, field_ids):
    """The saving a goal needs, on the paths of the goals on screen (the last evaluation's settings, not
    the form as edited since); only the probability asked for is read from the form."""
    try:
        reading = SIM_FORM.read(values, field_ids)
        if "probability" in reading.errors:
            raise FormErrors({"probability": reading.errors["probability"]})
        probability = reading.clean["probability"]
        household, clean, shown = PAGE.on_screen(scenario, "solve for")
        chosen = household_or_none(household_id)
        if chosen is None or chosen.id != household.id:
            raise InvalidInput("The goals on screen are another household's; evaluate them again.")
        index = next((i for i, g in enumerate(shown.goals) if g.id == chosen_id(goal_id)), None)
        if index is None:
            raise InvalidInput("Choose one of this household's goals.")
        model = shown.model
        solution = goal_saving(model, shown.specs[index], probability, household=household.id)
        goal = shown.goals[index]
        return saving_solution(
            f"To reach {goal.name} ({money(goal.target_amount)}) with {percent(probability, 0)} probability, save ",
            money(solution.monthly_saving),
            f" a month (today's money); on the same {model.paths:,} paths as the goals on screen that reaches "
            f"{percent(solution.achieved_probability)}. Assumed: {_assumed(shown)}.",
        )
    except Exception as error:  # noqa: BLE001 - shown on the page
        return error_alert(error)


def _assumed(shown: Evaluation) -> str:
    """The settings of an evaluation in words (what a solve-for answer rests on)."""
    model = shown.model
    basis = shown.basis
    if basis.kind == "firm":
        returns = f"firm assumptions, {basis.assumptions['label']}"
    elif basis.kind == "gbm":
        returns = f"GBM with {percent(model.mu)} drift and {percent(model.sigma)} volatility"
    else:
        returns = f"historical estimate, {basis.history}"
    return (
        f"{returns}; inflation {percent(model.inflation)}; fee {percent(model.fee)} a year; seed {model.seed}"
    )
