"""Requests that are not what the app sent are refused with a 4xx and a message; a fault of ours is a 500.

A callback request is checked against the callback it names (outputs, inputs
and state in the declared shape) before Dash dispatches it, so anything that
goes wrong afterwards is the server's fault, not the request's: it is logged
with its traceback under a reference, counted as a callback error, and
answered 500 with that reference, which the page shows in its alert
(``assets/meridian-faults.js``). Tracebacks never reach the browser.
"""

from __future__ import annotations

import functools
import json
import logging
import re

import flask
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge

from dashboard import csp
from dashboard.delivery import STATIC_PREFIXES
from dashboard.errors import server_fault
from dashboard.metrics.instrumentation import CALLBACK_OUTPUT, mark_callback_failed

log = logging.getLogger("meridian.requests")

MAX_CALLBACK_BYTES = 2 * 1024 * 1024
_MULTI = ("ALL", "ALLSMALLER")  # wildcards that stand for a list of components
# JSON escapes of UTF-16 surrogates: a browser sends them only for text that is not valid Unicode (a
# pair is legal JSON, so a hit is confirmed on the parsed body)
_LONE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def register(server: flask.Flask, app, settings) -> None:
    update_path = app.config.routes_pathname_prefix + "_dash-update-component"
    report_uri = app.config.requests_pathname_prefix + csp.REPORT_PATH

    @functools.cache  # computed at the first response, once every inline script is declared
    def content_security_policy() -> str:
        return csp.policy(app.csp_hashes(), settings.allowed_frame_ancestors, report_uri)

    static = tuple(app.config.routes_pathname_prefix + p for p in (*STATIC_PREFIXES, "_favicon.ico"))

    @server.after_request
    def _security_headers(response):
        # Scripts only from the app (and Dash's inline ones by hash); only the firm's portal
        # (ALLOWED_FRAME_ANCESTORS) may embed the app in a frame; violations are reported (dashboard/csp.py).
        # Each is added unless the response has its own (the headers read once: werkzeug's setdefault
        # reads them all for every name).
        request = flask.request._get_current_object()  # one context look-up
        headers = response.headers
        present = {name.lower() for name, _ in headers}
        wanted = [
            ("Content-Security-Policy", content_security_policy()),
            ("Permissions-Policy", csp.PERMISSIONS_POLICY),
            ("Strict-Transport-Security", csp.HSTS) if request.is_secure else None,
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "same-origin"),
        ]
        for header in wanted:
            if header is not None and header[0].lower() not in present:
                headers.add(*header)
        if not request.path.startswith(static):
            # pages, callbacks and the API answer for one signed-in person: no browser or proxy keeps them
            headers["Cache-Control"] = "no-store"
        return response

    api_prefix = settings.url_prefix.rstrip("/") + "/api/"

    @server.before_request
    def _unknown_api_path():
        # Dash answers every unknown path with its page (200, HTML); under /api/ a client expects JSON.
        request = flask.request
        if request.path.startswith(api_prefix) and (
            request.url_rule is None
            or request.url_rule.endpoint not in server.view_functions
            or not request.url_rule.endpoint.startswith("meridian_api.")
        ):
            return flask.jsonify(error=f"No such API endpoint: {request.path[:200]}"), 404
        return None

    # No request body is larger than a callback's (an upload travels inside one): the limit holds on the
    # bytes read, whatever the transfer encoding (a chunked body has no Content-Length to check).
    # (werkzeug stops reading a body without a length at the limit: one byte more tells it was longer)
    server.config["MAX_CONTENT_LENGTH"] = MAX_CALLBACK_BYTES + 1

    @server.errorhandler(RequestEntityTooLarge)
    def _too_large(_error):
        return _refuse(f"request too large: at most {MAX_CALLBACK_BYTES // (1024 * 1024)} MB", 413)

    @server.before_request
    def _check_callback_request():
        if flask.request.path != update_path or flask.request.method != "POST":
            return None
        try:
            # werkzeug refuses a longer Content-Length at once, and stops a chunked body one byte past
            raw = flask.request.get_data(cache=True)
            if len(raw) > MAX_CALLBACK_BYTES:
                return _refuse("callback request too large", 413)
            # Parsed once here; Flask keeps it for Dash's own get_json().
            body = flask.request.get_json(force=True, cache=True)
        except RequestEntityTooLarge:
            return _refuse("callback request too large", 413)
        except BadRequest:
            return _refuse("callback request is not JSON")
        except RecursionError:  # nesting deeper than the parser follows: no callback sends that
            return _refuse("callback request is nested too deeply")
        if _LONE_SURROGATE.search(raw) and _has_lone_surrogate(body):
            return _refuse("callback request has text that is not valid Unicode")
        problem = callback_problem(body, app.callback_map)
        if problem is not None:
            log.info("refused a callback request: %s (output %.200r)", problem, _output_of(body))
            return _refuse(problem)
        flask.g.setdefault(CALLBACK_OUTPUT, body["output"])
        return None

    @server.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return error
        if flask.request.path == update_path:
            # The request was checked against its callback before dispatch: this is our fault.
            mark_callback_failed()
            message = server_fault(error)
        else:
            log.error("request failed: %s %s", flask.request.method, flask.request.path, exc_info=error)
            message = "Something went wrong on the server; nothing was changed."
        return flask.jsonify(error=message), 500


def callback_problem(body, callback_map) -> str | None:
    """Why ``body`` is not a request the renderer could have sent for the callback it names, or None."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), str):
        return "callback request has no output"
    spec = callback_map.get(body["output"])
    if spec is None:
        return "no such callback"
    for part in ("inputs", "state"):
        given = body.get(part, [])
        if not isinstance(given, list):
            return f"callback {part} must be a list"
        if not _shaped(spec[part], given):
            return f"callback {part} do not match the callback"
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        return "changedPropIds must be a list of strings"
    if not _triggered_by_inputs(changed, body.get("inputs", [])):
        return "changedPropIds must name the callback's inputs"
    if spec.get("no_output"):
        return None
    declared = list(spec["output"]) if isinstance(spec["output"], list | tuple) else [spec["output"]]
    outputs = body.get("outputs")
    given = outputs if body["output"].startswith("..") else [outputs]  # several outputs: "..a.b...c.d.."
    declared_dicts = [o.to_dict() for o in declared]
    if not isinstance(given, list) or not _shaped(declared_dicts, given):
        return "callback outputs do not match the callback"
    if not _wildcards_line_up(declared_dicts, given, spec, body):
        return "callback outputs do not match the components the callback reads"
    return None


def _triggered_by_inputs(changed: list[str], inputs: list) -> bool:
    """Each changed property is one of the request's inputs (``id.property``, a dict id as JSON)."""
    if not changed:
        return True
    given = set()
    for entry in inputs:
        for one in entry if isinstance(entry, list) else [entry]:
            given.add(_id_key(one["id"], one["property"]))
    for name in changed:
        component, dot, prop = name.rpartition(".")
        if not dot or not component:
            return False
        if component.startswith("{"):
            try:
                component = json.loads(component)
            except ValueError:
                return False
            if not isinstance(component, dict):
                return False
        if _id_key(component, prop) not in given:
            return False
    return True


def _id_key(component, prop: str):
    if isinstance(component, dict):
        return json.dumps(component, sort_keys=True), prop
    return component, prop


def _wildcards_line_up(declared: list[dict], given: list, spec: dict, body: dict) -> bool:
    """A wildcard output names the same components, in the same order, as the wildcard ``id`` state or
    input the callback reads them from (every such callback returns one value per id it read)."""
    readers = [
        (dependency, entry)
        for part in ("inputs", "state")
        for dependency, entry in zip(spec[part], body.get(part, []), strict=True)
        if dependency["property"] == "id" and _is_multi(dependency)
    ]
    for dependency, entry in zip(declared, given, strict=True):
        if not _is_multi(dependency):
            continue
        wild = _wild_keys(dependency)
        partner = [e for d, e in readers if _wild_keys(d) == wild]
        if not wild or len(partner) != 1:
            continue
        wanted = [[c["id"][k] for k in wild] for c in partner[0]]
        if [[c["id"][k] for k in wild] for c in entry] != wanted:
            return False
    return True


def _is_multi(dependency: dict) -> bool:
    pattern = _pattern(dependency["id"])
    return isinstance(pattern, dict) and any(v in _MULTI for v in pattern.values())


def _wild_keys(dependency: dict) -> tuple[str, ...]:
    pattern = _pattern(dependency["id"])
    return tuple(sorted(k for k, v in pattern.items() if v == "ALL"))


def _has_lone_surrogate(value) -> bool:
    """True when a string anywhere in ``value`` (parsed JSON) holds a lone UTF-16 surrogate."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _shaped(declared: list[dict], given: list) -> bool:
    """``given`` has one entry per declared dependency: a list where the id's wildcard stands for many."""
    if len(declared) != len(given):
        return False
    for dependency, entry in zip(declared, given, strict=True):
        pattern = _pattern(dependency["id"])
        prop = dependency["property"]
        if isinstance(pattern, dict) and any(v in _MULTI for v in pattern.values()):
            if not isinstance(entry, list) or not all(_same(pattern, prop, e) for e in entry):
                return False
        elif not _same(pattern, prop, entry):
            return False
    return True


@functools.lru_cache(maxsize=4096)
def _pattern(component_id: str):
    """A declared id (as the callback map writes it): a string, or a dict whose wildcard values are
    "ALL", "MATCH" or "ALLSMALLER". Parsed once per id (the callback map does not change)."""
    if component_id.startswith("{"):
        parsed = json.loads(component_id)
        return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in parsed.items()}
    return component_id


def _same(pattern, prop: str, entry) -> bool:
    if not isinstance(entry, dict) or not isinstance(entry.get("property"), str):
        return False
    # an output with allow_duplicate is sent as "<property>@<hash of the callback>"
    if entry["property"] != prop and entry["property"].split("@", 1)[0] != prop:
        return False
    given = entry.get("id")
    if not isinstance(pattern, dict):
        return given == pattern
    if not isinstance(given, dict) or set(given) != set(pattern):
        return False
    return all(v in ("ALL", "MATCH", "ALLSMALLER") or given[k] == v for k, v in pattern.items())


def _output_of(body) -> object:
    return body.get("output") if isinstance(body, dict) else None


def _refuse(message: str, status: int = 400):
    return flask.jsonify(error=message), status
