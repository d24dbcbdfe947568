"""What the analyst feels, measured: web vitals and render timings from a real Chromium reach the metrics
store per page (soft navigations included), the Performance page shows them, and bad beacons leave the
store bounded and the page working."""

from __future__ import annotations

import json
import time

import pytest
from selenium.webdriver.common.by import By

from tests.conftest import ADMIN, free_port, signed_session
from tests.integration.test_pages import click

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]

API = "/api/v1/performance-metrics"
PAGES = {"risk": "risk-drawdown", "monte-carlo": "mc-fan-chart", "diversification": "div-heatmap"}


BUSY = "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length"


def _stats(base: str) -> dict:
    return _session(base).get(base + API + "/stats", timeout=10).json()["operations"]


_SESSIONS: dict = {}


def _session(base: str):
    """One signed-in requests session per server (the API answers signed-in users only)."""
    if base not in _SESSIONS:
        _SESSIONS[base] = signed_session(base)
    return _SESSIONS[base]


def _wait_for(base: str, names: set[str], timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        operations = _stats(base)
        if names <= set(operations):
            return operations
        time.sleep(0.5)
    pytest.fail(f"not reported within {timeout} s: {sorted(names - set(_stats(base)))}")


def _from_browsers(names) -> set[str]:
    """The names browsers' beacons made (the page's own callbacks keep adding server names meanwhile)."""
    return {n for n in names if n.startswith(("render.", "web_vitals."))}


def _nav(dash_duo, name: str) -> None:
    """A soft navigation, as the analyst makes it: a click on the navbar (its "Data" menu opened first for
    the pages in it)."""
    from components.shell import MENU_PAGES

    if name in dict(MENU_PAGES).values():
        dash_duo.find_element("#shell-menu .dropdown-toggle").click()
    dash_duo.driver.find_element(By.LINK_TEXT, name).click()


def test_bm001_a_session_on_three_pages_reaches_the_store_and_the_performance_page(dash_duo, app):
    dash_duo.start_server(app, port=free_port())
    base = dash_duo.server_url
    dash_duo.sign_in(base, ADMIN)  # the session ends on Operations, the admin's page
    # the simulation computed once first (on a slower database the first one takes longer than Chromium's
    # soft-navigation heuristics wait for the page to paint), so the session below meets cached answers
    dash_duo.driver.get(base + "/monte-carlo")
    dash_duo.wait_for_element("#mc-fan-chart .main-svg", timeout=30)
    dash_duo.driver.get(base + "/risk")
    dash_duo.wait_for_element("#risk-drawdown .main-svg", timeout=30)
    click(dash_duo, "#risk-run")  # a run: its render is timed from the click
    time.sleep(0.3)
    deadline = time.monotonic() + 30  # its answer drawn before the next page (a slower database: later)
    while dash_duo.driver.execute_script(BUSY) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.7)
    _nav(dash_duo, "Monte Carlo")
    dash_duo.wait_for_element("#mc-fan-chart .main-svg", timeout=30)
    _nav(dash_duo, "Diversification")
    dash_duo.wait_for_element("#div-heatmap .main-svg", timeout=30)
    _nav(dash_duo, "Operations")
    wanted = {f"web_vitals.{page}.LCP" for page in PAGES} | {
        f"render.{page}.{chart}" for page, chart in PAGES.items()
    }
    wanted |= {f"render.{page}.first-chart" for page in PAGES}
    operations = _wait_for(base, wanted)
    for page, chart in PAGES.items():
        lcp = operations[f"web_vitals.{page}.LCP"]
        assert lcp["count"] >= 1 and 0 < lcp["p50"] < 60_000, page
        render = operations[f"render.{page}.{chart}"]
        assert render["count"] >= 1 and 0 < render["max"] < 60_000, (page, render)
    assert operations["render.risk.risk-drawdown"]["count"] >= 2  # the page load and the run
    # the Performance page shows them (it refreshes every 10 s; choosing the window redraws it now)
    dash_duo.driver.find_element(By.CSS_SELECTOR, "#perf-window option[value='24h']").click()
    dash_duo.wait_for_contains_text("#perf-components", "risk-drawdown", timeout=20)
    for page in PAGES:
        dash_duo.wait_for_contains_text("#perf-vitals", page, timeout=20)
    assert "LCP" in dash_duo.find_element("#perf-vitals").text
    assert "callback" not in dash_duo.find_element("#perf-alert").text.lower()
    assert dash_duo.get_logs() == []


def test_bm002_bad_beacons_leave_the_store_bounded_and_the_page_working(dash_duo, app):
    dash_duo.start_server(app, port=free_port())
    base = dash_duo.server_url
    url = base + API + "/web-vitals"
    before = set(_stats(base))
    garbage = [
        ("not json", 400),
        (json.dumps({"page": "/", "vitals": [{"name": "LCP", "value": "NaN"}]}), 400),
        ('{"page": "/", "vitals": [{"name": "LCP", "value": NaN}]}', 400),
        (
            json.dumps({"page": "/", "renders": [{"component": "x", "duration_ms": 1}] * 101}),
            400,
        ),  # huge batch
        (json.dumps({"page": "/", "pad": "x" * 50_000}), 413),
    ]
    for body, status in garbage:
        response = _session(base).post(
            url, data=body, headers={"Content-Type": "application/json"}, timeout=10
        )
        assert response.status_code == status, body[:60]
    assert _from_browsers(_stats(base)) == _from_browsers(before)  # nothing stored
    # a thousand distinct names, on made-up pages and components: one bucket
    for start in range(0, 1000, 100):
        renders = [{"component": f"made-up-{i}", "duration_ms": 3} for i in range(start, start + 100)]
        response = _session(base).post(
            url, json={"page": f"/nowhere-{start}", "renders": renders}, timeout=10
        )
        assert response.status_code == 202
    after = _from_browsers(_stats(base))
    assert after - _from_browsers(before) <= {"render.other.other"}
    dash_duo.sign_in(base, ADMIN)  # the Operations page is the admin's
    dash_duo.driver.get(base + "/operations")
    dash_duo.wait_for_contains_text("#perf-components", "other", timeout=20)
    assert "made-up" not in dash_duo.find_element("#perf-components").text
    assert dash_duo.find_element("#perf-alert").text == ""
    assert dash_duo.get_logs() == []
