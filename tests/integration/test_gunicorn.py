"""Two real gunicorn workers: every callback is timed, and /stats and /metrics add both workers up."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from dashboard.metrics.instrumentation import callback_label
from harness import serve
from harness.dash_client import DashSite, Layout
from tests.conftest import signed_session

pytestmark = pytest.mark.slow


def overview_request(base: str) -> dict:
    """The Overview's panel callback for household 1, built from the app's own dependencies."""
    site = DashSite(signed_session(base).get(f"{base}/_dash-dependencies", timeout=10).json())
    callback = site.callback("overview-content.children")
    return site.body(
        callback,
        Layout(),
        {"shell-household-select.value": 1, "overview-version.data": 0},
        ["shell-household-select.value"],
    )


@pytest.fixture
def gunicorn(seeded_settings):
    """Two workers of the production configuration (harness.serve: the one launcher of the tests,
    benchmarks and load runs); (its URL, the Prometheus folder its workers write)."""
    with serve.gunicorn(seeded_settings, workers=2) as base:
        yield base, seeded_settings.instance_path / "prometheus"


def test_gun001_two_workers_counts_add_up(gunicorn):
    base, prometheus_dir = gunicorn
    n = 60
    overview = overview_request(base)

    signed = signed_session(base)

    def session_factory():  # a new connection, the same signed-in session
        fresh = requests.Session()
        fresh.cookies.update(signed.cookies)
        fresh.headers.update(signed.headers)  # the callbacks' CSRF header, as the page sends it
        return fresh

    def call(_):
        with session_factory() as s:  # a new connection each time, so both workers take some
            response = s.post(
                f"{base}/_dash-update-component",
                data=json.dumps(overview),
                headers={"Content-Type": "application/json"},
                timeout=30,
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(call, range(n)))
    assert codes == [200] * n
    time.sleep(1.5)  # each worker flushes once a second
    stats = signed_session(base).get(f"{base}/api/v1/performance-metrics/stats", timeout=10).json()
    name = "callback." + callback_label(overview["output"])
    timed = stats["operations"][name]
    assert timed["count"] == n and timed["errors"] == 0
    assert 0 < timed["min"] <= timed["p50"] <= timed["p95"] <= timed["p99"] <= timed["max"]
    assert stats["operations"]["db.query"]["count"] > n
    assert stats["counters"]["cache.session.hits"] + stats["counters"]["cache.session.misses"] >= n
    # Prometheus: both workers wrote samples, and the exposition sums them
    pids = {p.name.split("_")[-1] for p in Path(prometheus_dir).glob("histogram_*.db")}
    assert len(pids) == 2
    body = signed_session(base).get(f"{base}/metrics", timeout=10).text
    line = next(
        x
        for x in body.splitlines()
        if x.startswith(f'meridian_operation_duration_seconds_count{{operation="{name}"}}')
    )
    assert float(line.split()[-1]) == n
    health = signed_session(base).get(f"{base}/api/v1/performance-metrics/health", timeout=10).json()
    assert health["status"] == "ok" and health["uptime_seconds"] > 0
    assert requests.get(f"{base}/api/v1/performance-metrics/health", timeout=10).json() == {"status": "up"}
