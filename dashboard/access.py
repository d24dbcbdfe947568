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

from dashboard.extensions import cache, db, settings_of
from dashboard.models import Household, User
from engine.errors import InvalidInputError


class AccessDenied(Exception):
    """The current user may not see what was asked for; the message is safe to show."""


# One notion of "this input is invalid" from the form to the engine; the message is safe to show.
InvalidInput = InvalidInputError


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


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


def authorize_household(raw) -> Household:
    """The household ``raw`` names, if the current user may see it; AccessDenied otherwise."""
    household_id = parse_household_id(raw)
    user = current_user()
    with db.session() as session:
        household = session.get(Household, household_id)
    # The same answer whether it does not exist or belongs to someone else,
    # so ids cannot be probed.
    if household is None or not (user.is_admin or household.analyst_id == user.id):
        raise AccessDenied(f"Household {household_id} is not one of your households.")
    return household


def visible_households() -> list[Household]:
    """The households the current user may see, by name."""
    user = current_user()
    query = select(Household).order_by(Household.name, Household.id)
    if not user.is_admin:
        query = query.where(Household.analyst_id == user.id)
    with db.session() as session:
        return list(session.scalars(query))
