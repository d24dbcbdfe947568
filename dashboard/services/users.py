"""Users: passwords (scrypt hashes, never kept or logged in clear), roles and deactivation. Every change
drops what the session cache holds for the user, so it takes effect on their next request."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.data.models import User
from dashboard.errors import InvalidInput
from dashboard.extensions import db
from dashboard.services import audit
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


def _change(email: str, action: str, detail: str, end_sessions: bool = False, **values) -> int:
    """Set ``values`` on the user (``end_sessions``: and a new session epoch), recorded in the audit
    trail as ``action`` (target: the user changed), then forget what is cached."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise InvalidInput(f"No user {email}.")
        for name, value in values.items():
            setattr(user, name, value)
        if end_sessions:
            user.session_epoch = (user.session_epoch or 0) + 1
        user_id = user.id
        audit.record(session, action, target=user.email, detail=detail)
    forget_user(user_id)
    return user_id


def set_password(email: str, password: str) -> int:
    """A new password ends the user's sessions."""
    with audit.failures("user-password", target=str(email)):
        hashed = hash_password(password)
        return _change(email, "user-password", "sessions ended", end_sessions=True, password_hash=hashed)


def set_role(email: str, role: str) -> int:
    with audit.failures("user-role", target=str(email)):
        if role not in ROLES:
            raise InvalidInput(f"The role must be one of {', '.join(ROLES)}.")
        return _change(email, "user-role", f"role {role}", role=role)


def set_active(email: str, active: bool) -> int:
    """Deactivating ends the user's sessions (reactivating does not bring them back)."""
    with audit.failures("user-active", target=str(email)):
        detail = "activated" if active else "deactivated, sessions ended"
        return _change(email, "user-active", detail, end_sessions=not active, is_active=bool(active))
