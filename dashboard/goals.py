"""A household's goals: validated create, edit and delete; every change invalidates its cached analyses."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from dashboard import analytics
from dashboard.access import AccessDenied
from dashboard.extensions import db
from dashboard.forms import CHOICE, DATE, NUMBER, TEXT, Field, FormErrors, validate
from dashboard.households import household_changed, portfolio_of, snapshot
from dashboard.models import GOAL_PRIORITIES, Goal, Household

GOAL_FIELDS = [
    Field("name", "Goal", TEXT, ""),
    Field("target_amount", "Target amount ($)", NUMBER, None, 1, 1e12),
    Field("target_date", "Target date", DATE, None),
    Field(
        "priority",
        "Priority",
        CHOICE,
        "important",
        choices=tuple((p, p.capitalize()) for p in GOAL_PRIORITIES),
    ),
    Field("current_amount", "Saved so far ($)", NUMBER, 0.0, 0, 1e12),
    Field("monthly_contribution", "Monthly saving ($)", NUMBER, 0.0, 0, 1e10),
]
MAX_NAME = 120


def clean_goal(raw: dict, valuation_date: dt.date | None) -> dict:
    """Validated goal values, or FormErrors with a message per field."""
    clean, errors = validate(GOAL_FIELDS, raw)
    name = (clean.get("name") or "").strip()
    if "name" not in errors and not 1 <= len(name) <= MAX_NAME:
        errors["name"] = f"Name the goal in 1 to {MAX_NAME} characters."
    if "target_date" not in errors and clean.get("target_date"):
        day = dt.date.fromisoformat(clean["target_date"])
        floor = valuation_date or dt.date.today()
        if day <= floor + dt.timedelta(days=31):
            errors["target_date"] = f"The target date must be at least a month after {floor:%Y-%m-%d}."
        elif day.year > floor.year + 100:
            errors["target_date"] = "The target date must be within 100 years."
    if errors:
        raise FormErrors(errors)
    clean["name"] = name
    clean["target_date"] = dt.date.fromisoformat(clean["target_date"])
    return clean


def save_goal(household: Household, goal_id: int | None, values: dict) -> int:
    """Create (``goal_id`` None) or update one of ``household``'s goals; returns its id."""
    with db.session() as session:
        if goal_id is None:
            goal = Goal(household_id=household.id, **values)
            session.add(goal)
        else:
            goal = _owned(session, household, goal_id)
            for key, value in values.items():
                setattr(goal, key, value)
        session.flush()
        saved = goal.id
    household_changed(household.id)
    return saved


def delete_goal(household: Household, goal_id: int) -> None:
    with db.session() as session:
        session.delete(_owned(session, household, goal_id))
    household_changed(household.id)


def get_goal(household: Household, goal_id: int) -> Goal:
    with db.session() as session:
        return _owned(session, household, goal_id)


def _owned(session, household: Household, goal_id) -> Goal:
    if isinstance(goal_id, bool) or not isinstance(goal_id, int):
        raise AccessDenied("That goal does not exist.")
    goal = session.scalar(select(Goal).where(Goal.id == goal_id, Goal.household_id == household.id))
    if goal is None:
        raise AccessDenied("That goal is not one of this household's goals.")
    return goal


def months_between(start, end) -> int:
    return max(1, (end.year - start.year) * 12 + end.month - start.month)


def evaluation(household, clean: dict):
    """(goals, valuation date, model request, goal specs) for the household and simulation settings.

    ``clean``: validated settings (see ``components.goals.SIM_FIELDS``); the
    parametric model uses the household's holdings by market value.
    """
    with db.session() as session:
        snap = snapshot(session, household)
        portfolio = portfolio_of(session, household)
    raw = {
        "model": clean["model"],
        "mu": clean["mu"],
        "sigma": clean["sigma"],
        "inflation": clean["inflation"],
        "fee": clean["fee"],
        "paths": clean["paths"],
        "seed": clean["seed"],
        "months": 12,
    }
    raw = analytics.with_holdings(raw, portfolio, household.name, clean["start"])
    model = analytics.SimulationRequest.build(**raw)
    as_of = snap.as_of
    specs = [
        analytics.GoalSpec(
            g.name,
            g.target_amount,
            months_between(as_of, g.target_date),
            g.current_amount,
            g.monthly_contribution,
        )
        for g in snap.goals
    ]
    return snap.goals, as_of, model, specs
