"""``create_app(settings=None, ui=...)``: builds the Dash app, binds the extensions, registers one concern at a time.

Production builds one app per process (gunicorn worker, Celery worker), from its
entry (``app.py``, ``meridian/cli.py``, ``meridian/worker.py``), which hands it
the UI (``callbacks.UI``): nothing here imports the layers above. The callbacks
are registered with ``dash.callback`` when ``callbacks`` is first imported, and
Dash hands them to the first app that serves a request; tests
that build an app each restore Dash's registry around every test instead
(``tests/conftest.py``), as Dash's own suite does.
"""

from __future__ import annotations

import logging
import sys
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dash
import flask

from dashboard import downloads, hardening, identity, wire
from dashboard.answers import answers
from dashboard.background import create_manager
from dashboard.delivery import MeridianDash, register_compression, register_plotly_bundle
from dashboard.extensions import SETTINGS_KEY, bind_settings, cache, db, metrics
from dashboard.forms import fields
from dashboard.metrics.instrumentation import (
    count_cache_events,
    instrument_callbacks,
    instrument_database,
)
from dashboard.observability.api import create_blueprint
from dashboard.services import catalogue
from dashboard.services.prices import MarketVersion
from dashboard.settings import PROJECT_ROOT, Settings, SettingsError

log = logging.getLogger("meridian")


@dataclass(frozen=True)
class Ui:
    """The user interface an app serves, handed to ``create_app`` by the app's entry (``callbacks.UI``,
    whose import registers every callback): the shell's layout, how a callback's failure reaches the page,
    the pages and components whose browser timings are accepted, and the first views of the pages drawn
    with their data (by path: what ``pages/`` asks the app for with ``dash.get_app().view(path)``, so no
    page imports a callback)."""

    layout: Callable[[], Any]
    on_error: Callable[[Exception], Any]
    measured: Mapping[str, Any]
    views: Mapping[str, Callable[[], Any]] = field(default_factory=dict)


class MeridianFlask(flask.Flask):
    """Flask, asking once per hook or view whether it is a coroutine function: Flask asks before every
    call (``ensure_sync``, its documented override), some fifteen times a callback request. The answer is
    kept by the function, weakly (a function made for one request, ``after_this_request``, goes with it);
    a coroutine function is Flask's to wrap every time, as before."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._synchronous: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def ensure_sync(self, func):
        plain = getattr(func, "__func__", func)  # a bound method: its function (a new method each time)
        try:
            if self._synchronous.get(plain):
                return func
        except TypeError:  # not weakly referable (a builtin): asked every time
            return super().ensure_sync(func)
        synced = super().ensure_sync(func)
        if synced is func:
            self._synchronous[plain] = True
        return synced


def create_server(settings: Settings | None = None) -> flask.Flask:
    """The app's Flask server with its services (settings, database, cache, metrics) and no pages: the
    app's own (``create_app``), and what the command line's data commands run in (an import there moves
    the cache's market version as the app's would). Invalid settings end the process with one line."""
    if settings is None:
        try:
            settings = Settings.from_env()
        except SettingsError as error:
            print(f"meridian: {error}", file=sys.stderr)
            raise SystemExit(2) from None
    configure_logging(settings)

    # root_path given: "meridian" is also the entries' package, which Flask would take for the app's root
    server = MeridianFlask("meridian", root_path=str(PROJECT_ROOT), instance_path=str(settings.instance_path))
    server.json = wire.RequestJSON(server)  # request bodies read with orjson (dashboard/wire.py)
    server.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        TESTING=settings.testing,
    )
    register_extensions(server, settings)
    return server


def create_app(settings: Settings | None = None, *, ui: Ui) -> dash.Dash:
    """Build the app serving ``ui``; invalid settings end the process with one line naming the variable."""
    server = create_server(settings)
    settings = server.extensions[SETTINGS_KEY]
    manager = create_manager(server, settings)
    server.extensions["meridian.background"] = manager
    wire.install()  # Dash's responses written in one orjson pass (dashboard/wire.py)
    app = MeridianDash(
        # Dash finds the project (its pages' module names) from the module serving the app: app.py. Not
        # "meridian": that is the entries' package, and Dash would name every page "work.main.pages.<x>".
        "app",
        server=server,
        use_pages=True,
        pages_folder=str(PROJECT_ROOT / "pages"),
        assets_folder=str(PROJECT_ROOT / "assets"),
        assets_path_ignore=["sign-in"],  # the sign-in page's own script, not in Dash's pages
        url_base_pathname=settings.url_prefix,
        title="Meridian",
        update_title=None,
        # No whole-app validation layout in every index: tests/test_layout.py checks the callbacks instead.
        suppress_callback_exceptions=True,
        on_error=ui.on_error,
        compress=False,
        background_callback_manager=manager,
    )
    app.layout = ui.layout
    app.views = dict(ui.views)
    read_ahead, replay_answer, keep_answer = answers.register(
        server, app.config.routes_pathname_prefix + "_dash-update-component"
    )
    server.after_request(keep_answer)  # before flask-compress's hook, so it runs after it: bytes compressed
    register_compression(server, app.config.routes_pathname_prefix)
    register_plotly_bundle(server, app.config.routes_pathname_prefix)
    register_instrumentation(server, app)
    server.register_blueprint(create_blueprint(settings, app, measured=ui.measured))
    server.register_blueprint(downloads.create_blueprint(settings))
    register_moved(server, app)
    if settings.proxy_hops:  # behind the portal's proxy: its forwarded address, scheme, host and prefix
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)
    # a run's request: what the sign-in check and the replay will read of the cache, in one round trip
    server.before_request(read_ahead)
    identity.register(server, app, settings)  # first: signed out, nothing else is even looked at
    server.before_request(replay_answer)  # a run answered before, for a signed-in user allowed to see it
    hardening.register(server, app, settings)
    return app


def shutdown(app: dash.Dash | flask.Flask) -> None:
    """Release what an app (or a server of ``create_server``) holds (its metrics flusher, its database
    pool): scripts and tests that build apps."""
    server = app if isinstance(app, flask.Flask) else app.server
    server.extensions[metrics.key].close()
    server.extensions[db.key].engine.dispose()


# Pages that moved: a bookmark of the old address lands on the new one, its query (the household) kept.
# (Not Dash's ``redirect_from``: it registers on whichever app its context last saw, wrong in a process
# that builds several apps, and it drops the query.)
MOVED = {"/performance": "/operations"}


def register_moved(server: flask.Flask, app: dash.Dash) -> None:
    prefix = app.config.routes_pathname_prefix
    for old, new in MOVED.items():

        def moved(new=new):
            query = flask.request.query_string.decode("latin-1")
            return flask.redirect(app.get_relative_path(new) + (f"?{query}" if query else ""), code=301)

        server.add_url_rule(prefix + old.lstrip("/"), endpoint=f"moved:{old}", view_func=moved)


def register_extensions(server: flask.Flask, settings: Settings) -> None:
    bind_settings(server, settings)
    db.init_app(server, settings)
    bound = cache.init_app(server, settings)
    # every cache key carries the market version: a price import makes older results unreachable
    bound.market_version = MarketVersion(server.extensions[db.key].engine)
    # the forms offer and check the securities the database holds (imports included)
    fields.provide(fields.SECURITY_CHOICES, catalogue.choices)
    fields.provide(fields.SECTOR_OF, catalogue.sector_of)
    metrics.init_app(server, settings)


def register_instrumentation(server: flask.Flask, app: dash.Dash) -> None:
    """Every callback, query and cache event of this app counted in its metrics store."""
    store = server.extensions[metrics.key]
    instrument_callbacks(server, app, store)
    instrument_database(server.extensions[db.key].engine, store)
    count_cache_events(server.extensions[cache.key].counters, store)


def configure_logging(settings: Settings) -> None:
    """Meridian's loggers at the configured level; a plain stderr handler if nobody configured one."""
    logging.getLogger("meridian").setLevel(settings.log_level)
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.WARNING)
