"""Automatic timing: every Dash callback (labelled by its outputs), database queries, cache events."""

from __future__ import annotations

import re
import time

import flask
from sqlalchemy import event

from dashboard.metrics.store import MetricsStore

# flask.g key: the output of a callback request that passed the request check.
CALLBACK_OUTPUT = "meridian_callback_output"
_DICT_ID = re.compile(r'\{[^{}]*"type":"([^"]+)"[^{}]*\}')
# Dash marks an output that several callbacks share (allow_duplicate) with "@<hash>": not part of a label.
_DUPLICATE = re.compile(r"@[0-9a-f]+(?=\.\.\.|\.\.$|$)")


def callback_label(output: str) -> str:
    """``..a.children...b.figure..`` -> ``a.children+b.figure``; pattern ids by their type."""
    text = _DUPLICATE.sub("", _DICT_ID.sub(lambda m: m.group(1), output))
    if text.startswith("..") and text.endswith(".."):
        parts = text[2:-2].split("...")
    else:
        parts = [text]
    return "+".join(parts)


def instrument_callbacks(server: flask.Flask, app, store: MetricsStore) -> None:
    """Time ``_dash-update-component`` requests; all callbacks share that URL, so label by output."""
    update_path = app.config.routes_pathname_prefix + "_dash-update-component"

    @server.before_request
    def _start_timer():
        if flask.request.path == update_path:
            flask.g.meridian_callback_started = time.perf_counter()

    @server.after_request
    def _stop_timer(response):
        started = flask.g.pop("meridian_callback_started", None)
        if started is not None:
            elapsed = (time.perf_counter() - started) * 1000
            # Set by the request check only for outputs the app really has (hardening), so a
            # tampered request cannot invent metric names; it is read from the body parsed there.
            output = flask.g.get(CALLBACK_OUTPUT)
            name = f"callback.{callback_label(output)}" if output else "callback.unknown"
            # a refused request (4xx) is the client's fault, not an error of the app's
            failed = response.status_code >= 500 or callback_failed()
            store.record(name, elapsed, error=failed)
        return response


def mark_callback_failed() -> None:
    """Called by the error handler: the callback raised, even though the response was a polite 200."""
    if flask.has_request_context():
        flask.g.meridian_callback_failed = True


def callback_failed() -> bool:
    """The callback of this request raised (its polite answer is not its result)."""
    return bool(flask.g.get("meridian_callback_failed", False))


def instrument_database(engine, store: MetricsStore) -> None:
    """Time every query on ``engine`` as ``db.query`` in ``store``."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("meridian_query_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        stack = conn.info.get("meridian_query_started")
        if stack:
            store.record("db.query", (time.perf_counter() - stack.pop()) * 1000)

    @event.listens_for(engine, "handle_error")
    def _error(context):
        stack = (
            context.connection.info.get("meridian_query_started") if context.connection is not None else None
        )
        if stack:
            store.record("db.query", (time.perf_counter() - stack.pop()) * 1000, error=True)


def count_cache_events(counters, store: MetricsStore) -> None:
    """Every cache counter increment also counts as ``cache.<operation>.<event>`` in ``store``."""
    counters.sink = lambda operation, name: store.count(f"cache.{operation}.{name}")
