"""Extensions, created unbound here and bound to an app by ``create_app``."""

from __future__ import annotations

import flask

from dashboard.cache import CacheFacade
from dashboard.db import Database
from dashboard.settings import Settings

db = Database()
cache = CacheFacade()

_bound: dict[str, Settings] = {}


def bind_settings(server: flask.Flask, settings: Settings) -> None:
    server.extensions["meridian.settings"] = settings
    _bound["settings"] = settings


def settings_of() -> Settings:
    """The settings of the current app (or of the last app built, outside a request)."""
    if flask.has_app_context():
        found = flask.current_app.extensions.get("meridian.settings")
        if found is not None:
            return found
    if "settings" not in _bound:
        raise RuntimeError("no app has been created: call create_app() first")
    return _bound["settings"]
