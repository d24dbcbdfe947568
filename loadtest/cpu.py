"""The app with each request's CPU time counted (``make load LOAD_ARGS=--cpu``): where a load run's
server time goes, per callback.

gunicorn serves ``loadtest.cpu:counted_app()`` instead of ``app:server``: the same app, its WSGI entry
wrapped to read the request thread's own CPU clock (``time.thread_time``: what this request computed,
not the time it waited for the interpreter lock, the database or Redis) around each request, counted
under what the request was: a callback by the input that fired it and where its first output goes
(``risk-run.n_clicks -> risk-field``), a page, an API call. Each worker writes its counts to
``MERIDIAN_CPU_OUT`` (a folder) every few seconds and as it exits; :func:`read` adds them up. Only load
runs use it: nothing in the app imports it.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import threading
import time
from collections import defaultdict
from pathlib import Path

_counts: dict[str, list] = defaultdict(lambda: [0, 0.0])  # name -> [requests, CPU seconds]
_lock = threading.Lock()


def _name(environ) -> str:
    path = environ.get("PATH_INFO", "")
    if not path.endswith("_dash-update-component"):
        kind = "page" if "." not in path and not path.startswith(("/_", "/api/")) else path
        return f"{environ.get('REQUEST_METHOD', '?')} {kind}"
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)  # the app reads it again
    try:
        request = json.loads(body)
        fired, output = (request.get("changedPropIds") or ["?"])[0], _first_output(request.get("output", ""))
    except (ValueError, AttributeError, TypeError):
        fired, output = "?", "?"
    poll = " (background poll)" if "cacheKey=" in environ.get("QUERY_STRING", "") else ""
    return f"callback {fired} -> {output}{poll}"


def _first_output(output: str) -> str:
    """The component a callback's first output goes to (a pattern id by its type)."""
    first = output.removeprefix("..").split("...")[0]
    if first.startswith("{"):
        return str(json.loads(first[: first.rindex("}") + 1]).get("type", "?"))
    return first.split(".")[0]


def counting(wsgi_app):
    """``wsgi_app`` with each request's CPU time counted under its name."""

    def counted(environ, start_response):
        name = _name(environ)
        started = time.thread_time()
        result = wsgi_app(environ, start_response)
        try:
            body = b"".join(result)  # the response is made within the count
        finally:
            if hasattr(result, "close"):
                result.close()
        spent = time.thread_time() - started
        with _lock:
            entry = _counts[name]
            entry[0] += 1
            entry[1] += spent
        return [body]

    return counted


def _write() -> None:
    folder = os.environ.get("MERIDIAN_CPU_OUT")
    if folder:
        with _lock:
            text = json.dumps(_counts)
        (Path(folder) / f"cpu-{os.getpid()}.json").write_text(text)


def _every_few_seconds() -> None:
    while True:
        time.sleep(3)
        _write()


def counted_app():
    """gunicorn's app (``loadtest.cpu:counted_app()``): the app as app.py builds it (an entry: nothing
    imports app.py), counted; each worker writes its counts every few seconds and as it exits."""
    from callbacks import UI
    from dashboard.factory import create_app

    server = create_app(ui=UI).server
    server.wsgi_app = counting(server.wsgi_app)
    atexit.register(_write)
    threading.Thread(target=_every_few_seconds, name="cpu-counts", daemon=True).start()
    return server


def read(folder: Path) -> list[list]:
    """Rows (what, requests, CPU ms a request, share of all request CPU) over every worker's counts."""
    total: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for path in folder.glob("cpu-*.json"):
        for name, (requests, seconds) in json.loads(path.read_text()).items():
            total[name][0] += requests
            total[name][1] += seconds
    spent = sum(seconds for _, seconds in total.values()) or 1.0
    rows = [
        [name, requests, 1000 * seconds / requests, f"{100 * seconds / spent:.1f} %"]
        for name, (requests, seconds) in total.items()
    ]
    return sorted(rows, key=lambda row: -row[1] * row[2])
