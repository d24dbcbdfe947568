"""A household's goals: create, edit and delete (values already validated by ``forms.goals``);
every change bumps the household's goals version (what reads goals is computed again)."""

from __future__ import annotations

from sqlalchemy import select

from dashboard.data.models import Goal
from dashboard.errors import AccessDenied
from dashboard.extensions import db
from dashboard.services import audit
from dashboard.services.access import HouseholdRef
from dashboard.services.households import GoalSummary, household_changed


def save_goal(household: HouseholdRef, goal_id: int | None, values: dict) -> int:
    """Create (``goal_id`` None) or update one of ``household``'s goals; returns its id. Recorded in the
    audit trail with the change (or its failure)."""
    action = "goal-create" if goal_id is None else "goal-edit"
    failed = audit.failures(action, household_id=household.id, target=_target(goal_id))
    with failed, db.session() as session:
        if goal_id is None:
            goal = Goal(household_id=household.id, **values)
            session.add(goal)
        else:
            goal = _owned(session, household, goal_id)
            for key, value in values.items():
                setattr(goal, key, value)
        session.flush()
        saved = goal.id
        audit.record(session, action, household_id=household.id, target=_target(saved), detail=goal.name)
    household_changed(household.id, goals_only=True)
    return saved


def delete_goal(household: HouseholdRef, goal_id) -> None:
    failed = audit.failures("goal-delete", household_id=household.id, target=_target(goal_id))
    with failed, db.session() as session:
        goal = _owned(session, household, goal_id)
        target = _target(goal.id)
        audit.record(session, "goal-delete", household_id=household.id, target=target, detail=goal.name)
        session.delete(goal)
    household_changed(household.id, goals_only=True)


def _target(goal_id) -> str:
    return f"goal {goal_id}" if isinstance(goal_id, int) and not isinstance(goal_id, bool) else ""


def get_goal(household: HouseholdRef, goal_id) -> GoalSummary:
    with db.session() as session:
        g = _owned(session, household, goal_id)
        return GoalSummary(
            g.id, g.name, g.priority, g.target_amount, g.target_date, g.current_amount, g.monthly_contribution
        )


def _owned(session, household: HouseholdRef, goal_id) -> Goal:
    if isinstance(goal_id, bool) or not isinstance(goal_id, int):
        raise AccessDenied("That goal does not exist.")
    goal = session.scalar(select(Goal).where(Goal.id == goal_id, Goal.household_id == household.id))
    if goal is None:
        raise AccessDenied("That goal is not one of this household's goals.")
    return goal
