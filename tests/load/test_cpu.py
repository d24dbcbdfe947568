"""``make load LOAD_ARGS=--cpu`` (loadtest/cpu.py): each request's CPU time, counted under what it was."""

from __future__ import annotations

import io
import json
import time

from loadtest import cpu


def _callback_environ(body: dict, query: str = "") -> dict:
    raw = json.dumps(body).encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/_dash-update-component",
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(raw)),
        "wsgi.input": io.BytesIO(raw),
    }


def test_cpu001_requests_are_counted_by_what_fired_them_and_the_app_still_reads_the_body(
    tmp_path, monkeypatch
):
    seen = []

    def app(environ, start_response):
        if "wsgi.input" in environ:
            seen.append(environ["wsgi.input"].read())  # what the app reads: the whole body, as sent
        deadline = time.thread_time() + 0.02
        while time.thread_time() < deadline:  # 20 ms of this thread's CPU
            pass
        start_response("200 OK", [])
        return [b"{}"]

    monkeypatch.setattr(cpu, "_counts", type(cpu._counts)(cpu._counts.default_factory))
    counted = cpu.counting(app)
    run = {
        "output": '..{"index":["ALL"],"type":"risk-field"}.className...risk-results.children..',
        "changedPropIds": ["risk-run.n_clicks"],
    }
    for _ in range(2):
        assert counted(_callback_environ(run), lambda *a: None) == [b"{}"]
    assert seen[0] == json.dumps(run).encode()
    poll = {"output": "mc-results.children@abc", "changedPropIds": ["mc-job.data"]}
    counted(_callback_environ(poll, "cacheKey=k&job=j"), lambda *a: None)
    counted({"REQUEST_METHOD": "GET", "PATH_INFO": "/risk"}, lambda *a: None)
    counted({"REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/performance-metrics/stats"}, lambda *a: None)

    monkeypatch.setenv("MERIDIAN_CPU_OUT", str(tmp_path))
    cpu._write()
    rows = {row[0]: row for row in cpu.read(tmp_path)}
    assert set(rows) == {
        "callback risk-run.n_clicks -> risk-field",
        "callback mc-job.data -> mc-results (background poll)",
        "GET page",
        "GET /api/v1/performance-metrics/stats",
    }
    _, requests, ms_each, share = rows["callback risk-run.n_clicks -> risk-field"]
    assert requests == 2 and 18 <= ms_each <= 200  # the 20 ms each request spent, not wall time
    assert 36 <= float(share.removesuffix(" %")) <= 44  # two of five requests of the same CPU each
