"""Users: passwords (scrypt hashes, never kept or logged in clear), roles and deactivation. Every change
drops what the session cache holds for the user, so it takes effect on their next request."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.data.models import User
from dashboard.errors import InvalidInput
from dashboard.extensions import db
from dashboard.services import audit
from dashboard.services.access import CurrentUser, _current, forget_user

log = logging.getLogger("meridian.users")

ROLES = ("analyst", "admin")
MIN_PASSWORD = 10
# Checked when the email is unknown, so a wrong email takes as long as a wrong password.
_DECOY = generate_password_hash("not a password of anyone", method="scrypt")


def hash_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD or len(password) > 1024:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD} characters.")
    return generate_password_hash(password, method="scrypt")


class SignInsBusy(Exception):
    """More sign-ins are waiting for their password check in this process than it takes at once."""


class PasswordChecks:
    """Password checks off the callbacks' CPU. A check is scrypt (N=2^15, r=8: ~70 ms of a core, its cost
    kept): a burst of 20 sign-ins a second would take most of two cores and every request thread. So each
    process checks one password at a time, in a thread the OS runs below the request threads (nice +5,
    about a third of their weight: a burst takes mostly the CPU the callbacks leave. At +10, a tenth, the
    checks all but stopped while the callbacks kept both cores busy: 20 sign-ins into a saturated server
    took p95 17-26 s against 8-9 s at +5, and the callbacks during a burst of 20 a second were no faster;
    at 0 they were slower, p95 19 ms against 8-10: docs/performance.md), and at most ``waiting`` sign-ins
    wait for it (gunicorn's worker sets it so that sign-ins hold at most half its request threads); one
    more waits up to ``admission`` seconds (asleep: no CPU) for its turn, then is told to try again in a
    moment (``SignInsBusy``), and any beyond that is told so at once: a sign-in waiting for its turn holds
    a request thread, and the callbacks need the others. ``hashlib.scrypt`` releases the GIL, so the
    process's other threads run meanwhile."""

    NICE = 5

    def __init__(self, waiting: int = 3, timeout: float = 10.0, admission: float = 2.0) -> None:
        self.waiting, self.timeout, self.admission = waiting, timeout, admission
        self._pid = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start this process's checking threads now (else at the first check): with the app, so they are
        older than any thread a test server later stops all its newer threads from (dash.testing)."""
        self._pool()

    def _pool(self) -> tuple[queue.SimpleQueue, threading.BoundedSemaphore, threading.BoundedSemaphore]:
        with self._lock:
            if self._pid != os.getpid():  # made once per process (a forked worker makes its own)
                self._work: queue.SimpleQueue = queue.SimpleQueue()
                for n in range(os.cpu_count() or 1):
                    threading.Thread(target=self._serve, name=f"password-check-{n}", daemon=True).start()
                self._pid, self._bound = os.getpid(), None
            if self._bound != self.waiting:  # set after the threads started (gunicorn's worker, once loaded)
                self._admitted = threading.BoundedSemaphore(self.waiting)
                self._holding = threading.BoundedSemaphore(self.waiting + 1)
                self._bound = self.waiting
            return self._work, self._admitted, self._holding

    def _serve(self) -> None:
        """One checking thread, below the request threads. It outlives whatever is raised in it, and a
        check it was interrupted in (an exception set on the thread from outside: dash.testing's server
        stops its thread that way, and a thread id is reused, so it may land here) is put back and
        checked again: the waiting sign-in still gets its answer."""
        with contextlib.suppress(OSError, AttributeError):  # not Linux (a thread's own nice value): as is
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), self.NICE)
        work = self._work
        while True:
            job = None
            try:
                job = work.get()
                stored, password, answer = job
                answer.put(_matches(stored, password))
                job = None
            except BaseException:  # noqa: BLE001 - interrupted from outside: check that one again
                if job is not None:
                    work.put(job)

    def check(self, stored: str, password: str) -> bool:
        work, admitted, holding = self._pool()
        if not holding.acquire(blocking=False):  # beyond those waiting and the next in turn: told at once
            raise SignInsBusy()
        try:
            if not admitted.acquire(timeout=self.admission):  # the next in turn waits a little, asleep
                raise SignInsBusy()
            try:
                answer: queue.SimpleQueue = queue.SimpleQueue()
                work.put((stored, password, answer))
                return answer.get(timeout=self.timeout)
            except queue.Empty:
                raise SignInsBusy() from None
            finally:
                admitted.release()
        finally:
            holding.release()


def _matches(stored: str, password: str) -> bool:
    """Whether ``password`` is the one ``stored`` was made from; a stored value that is no hash matches none."""
    try:
        return check_password_hash(stored, password)
    except (ValueError, TypeError):
        log.warning("a stored password hash is damaged: no password matches it")
        return False


CHECKS = PasswordChecks()


def verify_password(email: str, password: str) -> CurrentUser | None:
    """The active user with this email and password, or None (the same for every kind of wrong);
    SignInsBusy when this process has as many sign-ins waiting as it takes (nothing was checked)."""
    with db.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        if user is None or not user.password_hash:
            CHECKS.check(_DECOY, password)
            return None
        if not CHECKS.check(user.password_hash, password) or not user.is_active:
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
