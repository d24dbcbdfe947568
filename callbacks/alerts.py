"""How a callback's failure reaches the page: the shell's alert, never a traceback (the app's ``on_error``)."""

from __future__ import annotations

import dash

from components import ids
from dashboard.errors import describe
from dashboard.metrics.instrumentation import mark_callback_failed


def show_alert(message: str, color: str = "danger") -> None:
    """Show ``message`` in the shell's alert, from inside any callback."""
    dash.set_props(ids.SHELL_ALERT, {"children": message, "is_open": True, "color": color})


def on_callback_error(error: Exception) -> None:
    """App-wide ``on_error``: a clear alert, outputs left unchanged, details only in the log."""
    mark_callback_failed()
    message, color = describe(error)
    show_alert(message, color=color)
    return None
