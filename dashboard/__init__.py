"""Meridian's app core: ``create_app(settings=None)`` builds the Dash app and binds the extensions."""

from __future__ import annotations

import copy
import logging
import sys

import dash
import flask

from dashboard.settings import PROJECT_ROOT, Settings, SettingsError

log = logging.getLogger("meridian")


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build the app; invalid settings end the process with one line naming the variable."""
    if settings is None:
        try:
            settings = Settings.from_env()
        except SettingsError as error:
            print(f"meridian: {error}", file=sys.stderr)
            raise SystemExit(2) from None
    configure_logging(settings)

    server = flask.Flask("meridian", instance_path=str(settings.instance_path))
    server.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        TESTING=settings.testing,
    )
    register_extensions(server, settings)

    from components.shell import create_appshell
    from dashboard.background import create_manager
    from dashboard.errors import on_callback_error

    manager = create_manager(settings)
    server.extensions["meridian.background"] = manager
    app = dash.Dash(
        "meridian",
        server=server,
        use_pages=True,
        pages_folder=str(PROJECT_ROOT / "pages"),
        assets_folder=str(PROJECT_ROOT / "assets"),
        url_base_pathname=settings.url_prefix,
        title="Meridian",
        update_title=None,
        suppress_callback_exceptions=False,
        on_error=on_callback_error,
        compress=False,
        background_callback_manager=manager,
    )
    app.layout = create_appshell
    _offer_callbacks()
    register_instrumentation(server, app)
    register_api(server, app, settings)
    register_hardening(server, app, settings)
    return app


def register_hardening(server: flask.Flask, app: dash.Dash, settings: Settings) -> None:
    from dashboard import hardening

    hardening.register(server, app, settings)


def register_instrumentation(server: flask.Flask, app: dash.Dash) -> None:
    from dashboard.extensions import cache, db
    from dashboard.instrumentation import count_cache_event, instrument_callbacks, instrument_database

    instrument_callbacks(server, app)
    instrument_database(db.engine)
    cache.counters.sink = count_cache_event


def register_api(server: flask.Flask, app: dash.Dash, settings: Settings) -> None:
    from dashboard.api import create_blueprint

    server.register_blueprint(create_blueprint(settings, app))


def register_extensions(server: flask.Flask, settings: Settings) -> None:
    from dashboard.extensions import bind_settings, cache, db
    from dashboard.metrics import metrics

    bind_settings(server, settings)
    db.init_app(settings)
    cache.init_app(server, settings)
    metrics.init_app(server, settings)


def configure_logging(settings: Settings) -> None:
    """Meridian's loggers at the configured level; a plain stderr handler if nobody configured one."""
    logging.getLogger("meridian").setLevel(settings.log_level)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.WARNING)


_registered: dict[str, object] = {}


def _offer_callbacks() -> None:
    """Make every ``dash.callback`` available to the app being built.

    Dash moves the global registrations into the first app that serves a
    request and empties the registry, so a second app in the same process
    (every test builds its own) would start with none. The callback modules are
    imported once; a snapshot of what they registered is offered to each app.
    """
    from dash import _callback

    import callbacks  # noqa: F401 - registers every callback via dash.callback

    if not _registered:
        _registered["map"] = copy.deepcopy(_callback.GLOBAL_CALLBACK_MAP)
        _registered["list"] = copy.deepcopy(_callback.GLOBAL_CALLBACK_LIST)
    _callback.GLOBAL_CALLBACK_MAP.clear()
    _callback.GLOBAL_CALLBACK_MAP.update(copy.deepcopy(_registered["map"]))
    _callback.GLOBAL_CALLBACK_LIST[:] = copy.deepcopy(_registered["list"])
