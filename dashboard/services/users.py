"""Users: passwords (scrypt hashes, never kept or logged in clear), roles and deactivation. Every change
drops what the session cache holds for the user, so it takes effect on their next request."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.data.models import User
from dashboard.errors import InvalidInput
from dashboard.extensions import db
from dashboard.services.access import CurrentUser, _current, forget_user

ROLES = ("analyst", "admin")
MIN_PASSWORD = 10
# Checked when the email is unknown, so a wrong email takes as long as a wrong password.
_DECOY = generate_password_hash("not a password of anyone", method="scrypt")


def hash_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD or len(password) > 1024:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD} characters.")
    return generate_password_hash(password, method="scrypt")


def verify_password(email: str, password: str) -> CurrentUser | None:
    """The active user with this email and password, or None (the same for every kind of wrong)."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is None or not user.password_hash:
            check_password_hash(_DECOY, password)
            return None
        if not check_password_hash(user.password_hash, password) or not user.is_active:
            return None
        return _current(user)


def _change(email: str, end_sessions: bool = False, **values) -> int:
    """Set ``values`` on the user (``end_sessions``: and a new session epoch), then forget what is cached."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise InvalidInput(f"No user {email}.")
        for name, value in values.items():
            setattr(user, name, value)
        if end_sessions:
            user.session_epoch = (user.session_epoch or 0) + 1
        user_id = user.id
    forget_user(user_id)
    return user_id


def set_password(email: str, password: str) -> int:
    """A new password ends the user's sessions."""
    return _change(email, end_sessions=True, password_hash=hash_password(password))


def set_role(email: str, role: str) -> int:
    if role not in ROLES:
        raise InvalidInput(f"The role must be one of {', '.join(ROLES)}.")
    return _change(email, role=role)


def set_active(email: str, active: bool) -> int:
    """Deactivating ends the user's sessions (reactivating does not bring them back)."""
    return _change(email, end_sessions=not active, is_active=bool(active))
