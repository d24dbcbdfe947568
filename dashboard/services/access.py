"""Who is asking, and may they see this household? The one place every callback and route asks.

Until the identity issue lands, the signed-in user is the configured demo
analyst (``DEMO_USER_EMAIL``); identity plugs into :func:`current_user` without
touching any caller. Authorisation is enforced here on the server, never by
what the UI happens to show: any callback can be called directly.
"""

from __future__ import annotations

from dataclasses import dataclass

import flask
from sqlalchemy import select

from dashboard.data.models import Household, User
from dashboard.errors import AccessDenied, InvalidInput
from dashboard.extensions import cache, db, settings_of


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class HouseholdRef:
    """A household the current user may see: what every layer above the services holds."""

    id: int
    name: str
    risk_profile: str
    analyst_id: int
    data_version: int  # of what the portfolio analyses read: accounts, holdings, transactions, lots
    goals_version: int  # of its goals


def current_user() -> CurrentUser:
    """The signed-in user (memoised for the request)."""
    cached = flask.g.get("meridian_user") if flask.has_request_context() else None
    if cached is not None:
        return cached
    email = settings_of().demo_user_email
    found = cache.get_or_compute("session", {"email": email}, lambda: _load_user(email))
    if found is None:
        raise AccessDenied("No signed-in user: the demo analyst is missing. Run `make setup`.")
    if flask.has_request_context():
        flask.g.meridian_user = found
    return found


def _load_user(email: str) -> CurrentUser | None:
    with db.session() as session:
        user = session.scalar(select(User).where(User.email == email, User.is_active.is_(True)))
    return None if user is None else CurrentUser(user.id, user.email, user.name, user.role)


def end_session(user: CurrentUser) -> None:
    """Forget everything cached for ``user``'s session (logout)."""
    cache.invalidate(operation="session", user=user.id)
    cache.delete("session", {"email": user.email})


def parse_household_id(raw) -> int:
    """A household id from a callback value, URL or form; InvalidInput otherwise."""
    if isinstance(raw, bool):
        raise InvalidInput("Choose a household.")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw.strip())
    else:
        raise InvalidInput("Choose a household.")
    if not 0 < value < 2**31:
        raise InvalidInput("Choose a household.")
    return value


def _ref(household: Household) -> HouseholdRef:
    return HouseholdRef(
        household.id,
        household.name,
        household.risk_profile,
        household.analyst_id,
        household.data_version,
        household.goals_version,
    )


def authorize_household(raw) -> HouseholdRef:
    """The household ``raw`` names, if the current user may see it; AccessDenied otherwise.

    The answer is kept in the session cache, scoped to the household, so a change
    to it (``household_changed``) drops it; a refusal is never kept.
    """
    household_id = parse_household_id(raw)
    user = current_user()
    found = cache.get_or_compute(
        "household",
        {"authorised": household_id, "user": user.id},
        lambda: _load_household(household_id, user),
        household=household_id,
        user=user.id,
    )
    if found is None:
        # The same answer whether it does not exist or belongs to someone else, so ids cannot be probed.
        raise AccessDenied(f"Household {household_id} is not one of your households.")
    return found


def _load_household(household_id: int, user: CurrentUser) -> HouseholdRef | None:
    with db.session() as session:
        household = session.get(Household, household_id)
        if household is None or not (user.is_admin or household.analyst_id == user.id):
            return None
        return _ref(household)


def household_or_none(raw) -> HouseholdRef | None:
    """The chosen household if the current user may see it; None when nothing is chosen yet."""
    return None if raw is None else authorize_household(raw)


def visible_households() -> list[HouseholdRef]:
    """The households the current user may see, by name."""
    user = current_user()
    query = select(Household).order_by(Household.name, Household.id)
    if not user.is_admin:
        query = query.where(Household.analyst_id == user.id)
    with db.session() as session:
        return [_ref(h) for h in session.scalars(query)]
