"""What an analyst hit (issue 31), each point at its cause, with the callbacks called directly."""

from __future__ import annotations

from sqlalchemy import select

from callbacks import goals as goals_cb
from dashboard.data.models import Goal
from dashboard.extensions import db
from dashboard.forms.goals import SIM_FORM
from engine.goals import Goal as EngineGoal
from engine.goals import solve_monthly_saving
from tests import reference
from tests.callbacks.test_pages import find, form, held, households, text_of, triggered


def test_walk001_saving_needed_answers_for_the_goals_on_screen_not_the_edited_form(app, signed_in):
    """Issue 31.1: evaluate with inflation 3.5 %, change inflation to 1 % without evaluating, solve: the
    answer is the 3.5 % run's (the table and URL on screen), and says what it assumed."""
    mine, _ = households()
    household = mine[0].id
    with signed_in(app):
        values, ids = form(SIM_FORM, paths=2000, inflation=3.5, probability=80.0)
        out = triggered("goals-run.n_clicks", goals_cb.render_goals, 1, None, household, values, ids, 0)
        scenario = out[4]
        assert "inflation=3.5" in scenario
        edited, _ = form(SIM_FORM, paths=2000, inflation=1.0, probability=80.0)
        with db.session() as session:
            goal = session.scalars(
                select(Goal).where(Goal.household_id == household).order_by(Goal.target_date)
            ).first()
        solved = goals_cb.solve_saving(1, goal.id, household, scenario, edited, ids)
    holdings = held(household)
    months = (goal.target_date.year - 2018) * 12 + goal.target_date.month - 4
    target = EngineGoal(goal.name, goal.target_amount, months, goal.current_amount, goal.monthly_contribution)
    at_run = solve_monthly_saving(reference.firm_model(holdings), target, 0.8, 2000, 42, 0.035, 0.005)
    edited_form = solve_monthly_saving(reference.firm_model(holdings), target, 0.8, 2000, 42, 0.01, 0.005)
    assert at_run.monthly_saving != edited_form.monthly_saving
    shown = find(solved, "goals-solved-saving").children
    assert shown == f"${at_run.monthly_saving:,.0f}", (shown, at_run, edited_form)
    said = text_of(solved)
    assert "on the same 2,000 paths as the goals on screen" in said
    assert "inflation 3.5%" in said and "firm assumptions" in said and "seed 42" in said
    # nothing evaluated yet: the solve says to evaluate first
    with signed_in(app):
        nothing = goals_cb.solve_saving(1, goal.id, household, None, edited, ids)
    assert "Run the goals first" in text_of(nothing)
