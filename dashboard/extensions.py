"""Extensions, created unbound here and bound to each app by ``create_app``.

Each keeps its per-app state in ``server.extensions`` and reaches it through
``flask.current_app``: inside a request, a background job or an
``app.server.app_context()``. Nothing remembers "the last app built".
"""

from __future__ import annotations

import flask

from dashboard.cache import CacheExtension
from dashboard.data.db import Database
from dashboard.metrics.store import metrics
from dashboard.settings import Settings

db = Database()
cache = CacheExtension()
__all__ = ["cache", "db", "metrics", "bind_settings", "settings_of"]


SETTINGS_KEY = "meridian.settings"


def bind_settings(server: flask.Flask, settings: Settings) -> None:
    server.extensions[SETTINGS_KEY] = settings


def settings_of() -> Settings:
    """The settings of the current app."""
    if not flask.has_app_context():
        raise RuntimeError("settings are read outside an app context: use app.server.app_context()")
    return flask.current_app.extensions[SETTINGS_KEY]
