"""Every page usable by keyboard and screen reader, and readable at every width (issue 25), in Chromium.

Each page is opened signed in (as an administrator, who sees every page and household), its analysis
drawn; axe-core (npm, the version in package.json) then checks it against WCAG 2.x A/AA, 2.2 AA and
best practice at 1440x900 and 390x844, and the page is laid out at every width of WIDTHS without
overflow, overlap or cut text. A keyboard-only session runs an optimisation, chooses a frontier point
and downloads the CSV.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard.settings import PROJECT_ROOT
from tests.conftest import ADMIN, browser_sign_in, free_port
from tests.integration.test_analyst_fixes import OVERLAPS
from tests.integration.test_pages import my_household

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
AXE_SIZES = ((1440, 900), (390, 844))
WIDTHS = (390, 768, 1024, 1280, 1400, 1440, 1920)
# page -> what shows that its analysis has been drawn
PAGES = {
    "/": "#overview-transactions .ag-row",
    "/goals": "#goals-content table",
    "/optimisation": "#opt-weights",
    "/monte-carlo": "#mc-probability",
    "/risk": "#risk-var",
    "/backtest": "#bt-statistics",
    "/diversification": "#div-hhi",
    "/retirement": "#ret-success",
    "/tax": "#tax-lots",
    "/threads": "#threads-list",
    "/operations": "#perf-summary",
    "/market-data": "#market-history",
    "/assumptions": "#cma-securities",
    "/report": "#report-article",
    "/backtest/method": "h1",
}
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({rule: v.id, impact: v.impact,
     nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').slice(0, 200))}))))
  .catch(e => done([{rule: 'axe failed', impact: 'critical', nodes: [String(e)]}]));
"""
SETTLED = "return new Promise(r => requestAnimationFrame(() => setTimeout(r, 400)));"
BUSY = "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length"


def axe_violations(driver) -> list[dict]:
    """axe-core's violations on the page as it is now (injected from node_modules)."""
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(AXE.read_text())
    driver.set_script_timeout(60)
    return driver.execute_async_script(RUN_AXE % json.dumps(RULES))


def _settle(driver, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    driver.execute_script(SETTLED)
    while driver.execute_script(BUSY) and time.monotonic() < deadline:
        time.sleep(0.2)
    driver.execute_script(SETTLED)


def _artefacts(tmp_path) -> Path:
    folder = Path(os.environ.get("MERIDIAN_ARTEFACTS") or tmp_path) / "accessibility"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def as_admin(dash_duo, app):
    dash_duo.start_server(app, port=free_port())
    dash_duo.driver.delete_all_cookies()
    browser_sign_in(dash_duo.driver, dash_duo.server_url + "/", ADMIN)
    dash_duo.get_logs()  # the analyst's first page, refused once her session was dropped
    return dash_duo


@pytest.mark.parametrize("path", list(PAGES))
def test_a11y001_every_page_passes_axe_and_fits_every_width(as_admin, path, tmp_path):
    dash_duo = as_admin
    driver = dash_duo.driver
    household = my_household()
    folder = _artefacts(tmp_path)
    driver.set_window_size(1440, 900)
    driver.get(f"{dash_duo.server_url}{path}?household={household.id}")
    dash_duo.wait_for_element(PAGES[path], timeout=60)
    _settle(driver)
    problems = {}
    for width, height in AXE_SIZES:
        driver.set_window_size(width, height)
        _settle(driver)
        found = axe_violations(driver)
        if found:
            problems[f"axe at {width}x{height}"] = found
    for width in WIDTHS:
        driver.set_window_size(width, 900)
        _settle(driver)
        overlaps = driver.execute_script(OVERLAPS)
        driver.save_screenshot(str(folder / f"{path.strip('/').replace('/', '-') or 'overview'}-{width}.png"))
        if overlaps:
            problems[f"layout at {width}"] = overlaps
    name = path.strip("/").replace("/", "-") or "overview"
    (folder / f"{name}-problems.json").write_text(json.dumps(problems, indent=1))
    assert not problems, json.dumps(problems, indent=1)[:6000]
    assert dash_duo.get_logs() == []


def test_a11y002_the_sign_in_page_passes_axe(dash_duo, app):
    dash_duo.start_server(app, port=free_port())
    dash_duo.driver.delete_all_cookies()
    dash_duo.driver.get(dash_duo.server_url + "/login")
    dash_duo.wait_for_element("#login-email")
    for width, height in AXE_SIZES:
        dash_duo.driver.set_window_size(width, height)
        assert axe_violations(dash_duo.driver) == []


def _tab_to(driver, predicate, limit: int = 250):
    """Press Tab until the focused element satisfies ``predicate``; it, or AssertionError."""
    for _ in range(limit):
        element = driver.switch_to.active_element
        if predicate(element):
            return element
        element.send_keys(Keys.TAB)
    raise AssertionError("never reached with Tab")


def test_a11y003_an_optimisation_by_keyboard_alone(dash_duo, app):
    """Tab to the run button and press Enter; Tab to the frontier point list and choose with the arrow
    keys; Tab to Download CSV and press Enter: the file arrives. Focus is visible all along."""
    from tests.integration.test_pages import open_page

    household = my_household()
    open_page(dash_duo, app, f"/optimisation?household={household.id}&points=10")
    driver = dash_duo.driver
    dash_duo.wait_for_element("#opt-weights", timeout=60)  # the page's first run
    driver.find_element(By.TAG_NAME, "body").click()
    run = _tab_to(driver, lambda e: e.get_attribute("id") == "opt-run")
    outline = driver.execute_script("return getComputedStyle(arguments[0]).outlineStyle", run)
    assert outline not in ("none", ""), "the focused button shows no outline"
    run.send_keys(Keys.ENTER)
    dash_duo.wait_for_element("#opt-point-select option[value='3']", timeout=60)
    choice = _tab_to(driver, lambda e: e.get_attribute("id") == "opt-point-select")
    for _ in range(4):
        choice.send_keys(Keys.ARROW_DOWN)
    dash_duo.wait_for_element("#opt-point-weights", timeout=30)
    assert "Return" in dash_duo.find_element("#opt-point-summary").text
    download = _tab_to(driver, lambda e: e.get_attribute("id") == "opt-download-button")
    download.send_keys(Keys.ENTER)
    folder = Path(dash_duo.download_path)
    deadline = time.monotonic() + 30
    while not list(folder.glob("opt-*.csv")) and time.monotonic() < deadline:
        time.sleep(0.3)
    files = list(folder.glob("opt-*.csv"))
    assert files and "weights" in files[0].read_text()
    assert dash_duo.get_logs() == []


def test_a11y004_errors_are_tied_to_their_field_and_runs_announced(dash_duo, app):
    """A bad value: the field says it is invalid and names its message (aria-describedby), and the
    message is a live region; corrected and run again, the mark goes and the run is announced."""
    from tests.integration.test_pages import open_page

    household = my_household()
    open_page(dash_duo, app, f"/risk?household={household.id}")
    dash_duo.wait_for_element("#risk-var", timeout=60)
    driver = dash_duo.driver
    paths = driver.find_element(By.CSS_SELECTOR, """[id='{"index":"paths","type":"risk-field"}']""")
    paths.clear()
    paths.send_keys("12", Keys.TAB)
    driver.find_element(By.ID, "risk-run").click()
    dash_duo.wait_for_text_to_equal(
        '[id=\'{"index":"paths","type":"risk-feedback"}\']',
        "Monte Carlo VaR paths must be between 1,000 and 1,000,000.",
        timeout=30,
    )
    _settle(driver)
    described = paths.get_attribute("aria-describedby")
    assert described == '{"index":"paths","type":"risk-feedback"}'
    assert paths.get_attribute("aria-invalid") == "true"
    message = driver.find_element(By.CSS_SELECTOR, f"[id='{described}']")
    assert message.get_attribute("role") == "status"
    paths.clear()
    paths.send_keys("2000", Keys.TAB)
    driver.find_element(By.ID, "risk-run").click()
    dash_duo.wait_for_text_to_equal(f"[id='{described}']", "", timeout=30)
    _settle(driver)
    assert paths.get_attribute("aria-invalid") is None
    live = driver.execute_script(
        "return [...document.querySelectorAll('[aria-live=polite]')].map(e => e.textContent).join('|')"
    )
    assert "Risk: results updated." in live
    assert axe_violations(driver) == []
    assert dash_duo.get_logs() == []
