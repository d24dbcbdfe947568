"""Who is asking, and may they see this household? The one place every callback and route asks.

The signed-in user comes from the session (``dashboard/identity.py``, Flask-Login), looked up through
the session cache; a background job acts for the user who started it, by a signed grant. Authorisation
is enforced here on the server, never by what the UI happens to show: any callback can be called
directly. "Not yours" and "does not exist" get the same answer.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from dataclasses import dataclass, fields

import flask
from itsdangerous import BadSignature, URLSafeTimedSerializer
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
    epoch: int = 0  # the user's session epoch: a session cookie of another epoch is refused

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


# The user a background job acts for (set from its signed grant), outside any browser request.
_acting_for: contextvars.ContextVar[CurrentUser | None] = contextvars.ContextVar(
    "meridian_job_user", default=None
)
JOB_GRANT_SECONDS = 24 * 60 * 60


def current_user() -> CurrentUser:
    """The signed-in user (memoised for the request); AccessDenied when nobody is signed in."""
    job = _acting_for.get()
    if job is not None:
        return job
    if not flask.has_request_context():
        raise AccessDenied("Sign in first.")
    cached = flask.request.environ.get("meridian.user")  # per request (g outlives it in tests' contexts)
    if cached is not None:
        return cached
    from flask_login import current_user as session_user

    if not session_user or not session_user.is_authenticated:
        raise AccessDenied("Sign in first.")
    found = user_by_id(session_user.user_id)
    if found is None:
        raise AccessDenied("Your account is not active; sign in again.")
    flask.request.environ["meridian.user"] = found
    return found


def _current(user: User) -> CurrentUser:
    return CurrentUser(user.id, user.email, user.name, user.role, user.session_epoch or 0)


def user_by_id(user_id: int) -> CurrentUser | None:
    """The active user with this id, through the session cache (dropped on sign-out or any change)."""

    def load():
        with db.session() as session:
            user = session.get(User, user_id)
            return _current(user) if user is not None and user.is_active else None

    operation, request, _, user = session_entry(user_id)
    return cache.get_or_compute(operation, request, load, user=user)


def session_entry(user_id: int) -> tuple[str, dict, None, int]:
    """Where user ``user_id`` is cached for :func:`user_by_id`: (operation, request, household, user), as
    ``cache.lookup_many`` and ``cache.read_ahead`` take it."""
    return "session", {"user": user_id}, None, user_id


def user_by_email(email: str) -> CurrentUser | None:
    """The active user with this email (the portal's header names users by email)."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.email == email, User.is_active.is_(True)))
        return None if user is None else _current(user)


def end_session(user: CurrentUser) -> None:
    """Sign ``user`` out everywhere: a new session epoch (older cookies are refused) and nothing cached."""
    with db.session() as session:
        row = session.get(User, user.id)
        if row is not None:
            row.session_epoch = (row.session_epoch or 0) + 1
    forget_user(user.id)


def forget_user(user_id: int) -> None:
    """Drop the user's cached look-up and authorisations (sign-out, role, password or activity change)."""
    cache.invalidate(operation="session", user=user_id)
    cache.invalidate(operation="household", user=user_id)


def _grants() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings_of().secret_key, salt="meridian-job-grant")


def job_grant(household: HouseholdRef) -> str:
    """A signed note that the signed-in user may run a job on ``household`` (the job carries it)."""
    return _grants().dumps({"user": current_user().id, "household": household.id})


@contextlib.contextmanager
def acting_for(grant, household_id) -> None:
    """Inside a background job: act as the user whose grant it carries, for that household only."""
    try:
        claim = _grants().loads(grant, max_age=JOB_GRANT_SECONDS) if isinstance(grant, str) else None
    except BadSignature:
        claim = None
    if not isinstance(claim, dict) or claim.get("household") != household_id:
        raise AccessDenied("This job was not started by you for this household; run it again.")
    user = user_by_id(int(claim["user"]))
    if user is None:
        raise AccessDenied("Your account is not active; sign in again.")
    token = _acting_for.set(user)
    try:
        yield
    finally:
        _acting_for.reset(token)


@contextlib.contextmanager
def acting_as(email: str):
    """On the operator's command line: act as the active user ``email`` (what they may see, they see)."""
    user = user_by_email(email)
    if user is None:
        raise AccessDenied(f"No active user {email}.")
    token = _acting_for.set(user)
    try:
        yield user
    finally:
        _acting_for.reset(token)


def analyst_of(household_id: int) -> str:
    """The email of the analyst a household is assigned to (InvalidInput when there is no such household)."""
    with db.session() as session:
        email = session.scalar(
            select(User.email)
            .join(Household, Household.analyst_id == User.id)
            .where(Household.id == household_id)
        )
    if email is None:
        raise InvalidInput(f"There is no household {household_id}.")
    return email


_ID = re.compile(r"[0-9]{1,10}")


def parse_household_id(raw) -> int:
    """A household id from a callback value, URL or form; InvalidInput otherwise."""
    if isinstance(raw, bool):
        raise InvalidInput("Choose a household.")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _ID.fullmatch(raw.strip()):
        value = int(raw.strip())  # ASCII digits only, at most ten ("²" is a digit to str.isdigit)
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


def authorisation(household_id: int, user_id: int) -> tuple[str, dict, int, int]:
    """Where the answer to "may user ``user_id`` see ``household_id``" is cached: (operation, request,
    household, user), as ``cache.lookup_many`` takes it."""
    return "household", {"authorised": household_id, "user": user_id}, household_id, user_id


def household_reads(household_id: int, user_id: int, *also: tuple[str, dict]) -> list[tuple]:
    """What :func:`household_with` reads for user ``user_id``: the authorisation and ``also``."""
    return [authorisation(household_id, user_id), *[(op, request, None, None) for op, request in also]]


def authorize_household(raw) -> HouseholdRef:
    """The household ``raw`` names, if the current user may see it; AccessDenied otherwise.

    The answer is kept in the session cache, scoped to the household, so a change
    to it (``household_changed``) drops it; a refusal is never kept.
    """
    household_id = parse_household_id(raw)
    user = current_user()
    operation, request, household, user_id = authorisation(household_id, user.id)
    found = cache.get_or_compute(
        operation,
        request,
        lambda: _load_household(household_id, user),
        household=household,
        user=user_id,
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


def household_with(raw, *also: tuple[str, dict]) -> tuple[HouseholdRef, list]:
    """``authorize_household(raw)``, and the cached values of ``also`` ((operation, request) each; None
    where nothing is cached), all read in one round trip when the authorisation is cached."""
    household_id = parse_household_id(raw)
    found = cache.lookup_many(household_reads(household_id, current_user().id, *also))
    household = found[0] if found[0] is not None else authorize_household(household_id)
    return household, found[1:]


def household_or_none(raw) -> HouseholdRef | None:
    """The chosen household if the current user may see it; None when nothing is chosen yet."""
    return None if raw is None else authorize_household(raw)


def visible_households() -> list[HouseholdRef]:
    """The households the current user may see, by name.

    Asked on every Overview and household choice, so not read from the database each time: which
    households (their ids, in order) is kept per user in the session cache (``household``, dropped at
    sign-out), and each one is its authorisation entry - what every callback on it reads, dropped with
    its data, so its versions are never stale. Those not cached are read in one query and kept."""
    user = current_user()
    ids = cache.get_or_compute(
        "household",
        {"visible": user.id, "admin": user.is_admin},
        lambda: [household.id for household in _visible(user)],
        user=user.id,
    )
    found = cache.lookup_many([authorisation(household_id, user.id) for household_id in ids])
    missing = [household_id for household_id, ref in zip(ids, found, strict=True) if ref is None]
    if missing:
        read = {ref.id: ref for ref in _visible(user, missing)}
        for ref in read.values():
            operation, request, household, user_id = authorisation(ref.id, user.id)
            cache.put(operation, request, ref, household=household, user=user_id)
        found = [
            read.get(household_id) if ref is None else ref
            for household_id, ref in zip(ids, found, strict=True)
        ]
    return [ref for ref in found if ref is not None]


def _visible(user: CurrentUser, among: list[int] | None = None) -> list[HouseholdRef]:
    """The households ``user`` may see (of ``among``, when given), by name, from the database."""
    # the columns of a HouseholdRef, not ORM objects
    query = select(*(getattr(Household, f.name) for f in fields(HouseholdRef)))
    query = query.order_by(Household.name, Household.id)
    if not user.is_admin:
        query = query.where(Household.analyst_id == user.id)
    if among is not None:
        query = query.where(Household.id.in_(among))
    with db.session() as session:
        return [HouseholdRef(**row._mapping) for row in session.execute(query)]
