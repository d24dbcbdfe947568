"""Page weight in Chromium, as the browser receives it: budgets on compressed JavaScript, the grid and
dash_table only where used, and charts drawn only with trace types the partial plotly.js bundle has.

Bytes are deterministic (the same files, compressed the same way), so they are asserted here; timings
(LCP, TBT, the Lighthouse score) are measured by ``make bench-browser``, not asserted.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.conftest import ADMIN, free_port, signed_session

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]

KIB = 1024
BEFORE_RENDER_BUDGET = 350 * KIB
CHART_PAGE_BUDGET = 800 * KIB
GRID_PAGE_BUDGET = 1300 * KIB
# page -> charts drawn once its analysis has run on page load
CHART_PAGES = {
    "/": 3,
    "/goals": 1,
    "/optimisation": 1,
    "/monte-carlo": 2,
    "/risk": 1,
    "/diversification": 3,
    "/retirement": 2,
    "/backtest": 4,
}
OTHER_PAGES = ["/tax", "/threads", "/operations"]

RESOURCES = """
return performance.getEntriesByType('resource').map(e => ({
  name: e.name, encoded: e.encodedBodySize, decoded: e.decodedBodySize, type: e.initiatorType}));
"""
DRAWN_TRACES = """
const plots = Array.from(document.querySelectorAll('.js-plotly-plot'));
return {
  drawn: plots.map(p => (p._fullData || []).map(t => t.type)).flat(),
  asked: plots.map(p => (p.data || []).map(t => t.type || 'scatter')).flat(),
  registered: window.Plotly ? Object.keys(window.Plotly.PlotSchema.get().traces) : [],
};
"""


_SESSIONS: dict = {}


def _session(base: str):
    if base not in _SESSIONS:
        _SESSIONS[base] = signed_session(base)
    return _SESSIONS[base]


def _index_scripts(base: str, path: str) -> list[str]:
    html = _session(base).get(base + path, timeout=30).text
    return [base + src if src.startswith("/") else src for src in re.findall(r'<script src="([^"]+)"', html)]


def _settle(dash_duo, charts: int) -> None:
    """Until the page has drawn its charts and stopped fetching."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        drawn = dash_duo.driver.execute_script(
            "return document.querySelectorAll('.js-plotly-plot .main-svg').length"
        )
        if drawn >= charts:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"{charts} charts were not drawn")
    before = -1
    while time.monotonic() < deadline:
        count = dash_duo.driver.execute_script("return performance.getEntriesByType('resource').length")
        if count == before:
            return
        before = count
        time.sleep(1.0)


def _scripts(dash_duo) -> list[dict]:
    return [r for r in dash_duo.driver.execute_script(RESOURCES) if r["name"].split("?")[0].endswith(".js")]


def test_weight001_javascript_budgets_per_page_and_every_chart_uses_a_trace_type_the_bundle_has(
    dash_duo, app
):
    """Each page's JavaScript within its budget, compressed, the grid and dash_table only where used; on
    the chart pages, every trace drawn as a type the partial plotly.js bundle registers, and the bundle
    registering nothing the pages never draw (one walk over the pages for both)."""
    dash_duo.start_server(app, port=free_port())
    base = dash_duo.server_url
    seen = set()
    for path in [*CHART_PAGES, *OTHER_PAGES]:
        if path == "/operations":  # the admin's page
            dash_duo.sign_in(base, ADMIN)
        dash_duo.driver.get("about:blank")
        dash_duo.driver.get(base + path)
        dash_duo.wait_for_element("#shell-household-select")
        _settle(dash_duo, CHART_PAGES.get(path, 0))
        if path == "/":  # the Overview fetches the grid's library once the browser is idle: wait for it
            dash_duo.wait_for_element("#overview-transactions .ag-row", timeout=60)
            _settle(dash_duo, CHART_PAGES[path])
        scripts = _scripts(dash_duo)
        by_url = {s["name"]: s for s in scripts}
        before = [by_url[u] for u in _index_scripts(base, path) if u in by_url]
        assert before, path
        assert all(s["encoded"] < s["decoded"] for s in scripts if s["decoded"] > 2048), (
            f"{path}: uncompressed"
        )
        before_bytes = sum(s["encoded"] for s in before)
        total = sum(s["encoded"] for s in scripts)
        grid = [s for s in scripts if "dash_ag_grid" in s["name"]]
        assert before_bytes <= BEFORE_RENDER_BUDGET, (
            f"{path}: {before_bytes / KIB:.0f} KiB before first render"
        )
        assert not [s for s in scripts if "dash_table" in s["name"]], f"{path} loaded dash_table"
        if path == "/":
            assert grid and total <= GRID_PAGE_BUDGET, f"/: {total / KIB:.0f} KiB of JavaScript"
        else:
            assert not grid, f"{path} loaded the grid"
            assert total <= CHART_PAGE_BUDGET, f"{path}: {total / KIB:.0f} KiB of JavaScript"
        print(f"{path}: {before_bytes / KIB:.0f} KiB before first render, {total / KIB:.0f} KiB in all")
        plotly = [s for s in scripts if s["name"].endswith("plotly/package_data/plotly.min.js")]
        if path in CHART_PAGES:
            assert plotly and plotly[0]["encoded"] < 450 * KIB, f"{path}: not the partial plotly.js bundle"
            seen.update(_drawn_traces(dash_duo, path))
        else:
            assert not plotly, f"{path} loaded plotly.js without drawing a chart"
    # the bundle holds nothing the pages never draw
    assert seen == {"scatter", "bar", "pie", "heatmap"}
    assert dash_duo.get_logs() == []


def _drawn_traces(dash_duo, path: str) -> set[str]:
    """The trace types the page's charts asked for, each drawn as that type by the bundle."""
    traces = dash_duo.driver.execute_script(DRAWN_TRACES)
    registered = set(traces["registered"])
    assert registered >= {"scatter", "bar", "pie", "heatmap"}, path
    missing = set(traces["asked"]) - registered
    assert not missing, f"{path} draws {sorted(missing)}, which frontend/plotly-meridian.js does not register"
    assert traces["drawn"] == traces["asked"], path  # each trace was drawn as the type it asked for
    return set(traces["asked"])
