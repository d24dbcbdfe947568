"""Requests that are not what the app sent: refused with a 4xx and a message, never a 500 or a traceback."""

from __future__ import annotations

import json
import logging
import uuid

import flask
from werkzeug.exceptions import HTTPException

log = logging.getLogger("meridian.requests")

MAX_CALLBACK_BYTES = 2 * 1024 * 1024


def register(server: flask.Flask, app, settings) -> None:
    update_path = app.config.routes_pathname_prefix + "_dash-update-component"
    frame_ancestors = "frame-ancestors " + " ".join(settings.allowed_frame_ancestors)

    @server.after_request
    def _security_headers(response):
        # Only the firm's portal (ALLOWED_FRAME_ANCESTORS) may embed the app in a frame.
        response.headers.setdefault("Content-Security-Policy", frame_ancestors)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @server.before_request
    def _check_callback_request():
        if flask.request.path != update_path or flask.request.method != "POST":
            return None
        if (flask.request.content_length or 0) > MAX_CALLBACK_BYTES:
            return _refuse("callback request too large", 413)
        try:
            body = json.loads(flask.request.get_data(cache=True) or b"null")
        except ValueError:
            return _refuse("callback request is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("output"), str):
            return _refuse("callback request has no output")
        if body["output"] not in app.callback_map:
            return _refuse("no such callback")
        for part in ("inputs", "state"):
            if not isinstance(body.get(part, []), list):
                return _refuse(f"callback {part} must be a list")
        return None

    @server.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return error
        reference = uuid.uuid4().hex[:8]
        log.error(
            "request failed (reference %s): %s %s",
            reference,
            flask.request.method,
            flask.request.path,
            exc_info=error,
        )
        if flask.request.path == update_path:
            # Dash's own dispatch raised: the payload did not match the callback it names
            return flask.jsonify(error="invalid callback request", reference=reference), 400
        return flask.jsonify(error="internal error", reference=reference), 500


def _refuse(message: str, status: int = 400):
    return flask.jsonify(error=message), status
