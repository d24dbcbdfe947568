"""What can go wrong for the analyst, and what the analyst is told of it (never a traceback): how a
callback's failure reaches the page is the UI's (``callbacks/alerts.py``)."""

from __future__ import annotations

import logging
import uuid

from dashboard.data.db import timed_out
from engine.errors import EngineError, InvalidInputError

log = logging.getLogger("meridian.callbacks")


class AccessDenied(Exception):
    """The current user may not see what was asked for; the message is safe to show."""


# One notion of "this input is invalid" from the form to the engine; the message is safe to show.
InvalidInput = InvalidInputError

# Errors whose message is written for the analyst and safe to show as is.
USER_FACING: tuple[type[Exception], ...] = (AccessDenied, InvalidInput, EngineError)


def user_message(error: Exception) -> str | None:
    if isinstance(error, USER_FACING):
        return str(error)
    if timed_out(error):
        log.warning("a database statement was cut off by the statement timeout: %s", error)
        return (
            "The database took too long to answer, so the request was stopped and nothing was changed. "
            "Try again in a moment, or narrow the request (fewer rows, a shorter period)."
        )
    return None


def server_fault(error: BaseException) -> str:
    """Log ``error`` with its traceback under a fresh reference; the analyst's message quotes it."""
    reference = uuid.uuid4().hex[:8]
    log.error("callback failed (reference %s)", reference, exc_info=error)
    return f"Something went wrong on the server; nothing was changed. Reference: {reference}."


def describe(error: Exception) -> tuple[str, str]:
    """(message, colour) for the analyst; anything unexpected is logged with a reference they can quote."""
    message = user_message(error)
    if message is not None:
        log.info("refused: %s", message)
        return message, "warning"
    return server_fault(error), "danger"
