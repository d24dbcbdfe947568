"""The Goals page's two forms: a goal (create and edit) and the simulation settings; and the requests they make."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from dashboard.analytics.requests import GoalSpec, SimulationRequest
from dashboard.data.models import GOAL_PRIORITIES
from dashboard.forms.fields import CHOICE, DATE, INTEGER, NUMBER, TEXT, Field, Form, FormErrors
from dashboard.forms.simulation import (
    MODEL_FIELDS,
    inflation_field,
    inflation_of,
    model_request,
    return_model_fields,
)

if TYPE_CHECKING:
    from dashboard.services.assumptions import AssumptionsRef
    from dashboard.services.households import HouseholdSnapshot, Portfolio

GOAL_FORM = Form(
    "goals",
    (
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
    ),
)
MAX_NAME = 120

SIM_FORM = Form(
    "goalsim",
    (
        *return_model_fields(),
        inflation_field(),
        Field("fee", "Annual fee", NUMBER, 0.5, 0, 20, percent=True),
        Field("paths", "Paths", INTEGER, 10_000, 100, 100_000),
        Field("seed", "Seed", INTEGER, 42, 0, 2**31 - 1),
        Field("probability", "Solve for probability", NUMBER, 80.0, 1, 99, percent=True),
    ),
    applies=MODEL_FIELDS,
    switch="model",
)


def clean_goal(raw: dict, valuation_date: dt.date | None) -> dict:
    """Validated goal values (the target date as a date), or FormErrors with a message per field."""
    clean, errors = GOAL_FORM.read_raw(raw)
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


def months_between(start: dt.date, end: dt.date) -> int:
    return max(1, (end.year - start.year) * 12 + end.month - start.month)


def model(
    clean: dict, portfolio: Portfolio, household_name: str, assumptions: AssumptionsRef | None
) -> SimulationRequest:
    """The return model the simulation settings ask for (goals bring their own horizons and savings)."""
    return model_request(
        clean,
        portfolio,
        household_name,
        assumptions,
        inflation=inflation_of(clean, assumptions),
        fee=clean["fee"],
        months=12,
    )


def goal_specs(snapshot: HouseholdSnapshot) -> list[GoalSpec]:
    """Each of the household's goals as the engine sees it, its horizon counted from the valuation date."""
    return [
        GoalSpec(
            g.name,
            g.target_amount,
            months_between(snapshot.as_of, g.target_date),
            g.current_amount,
            g.monthly_contribution,
        )
        for g in snapshot.goals
    ]
