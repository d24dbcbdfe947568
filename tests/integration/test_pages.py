"""Each analyst page's main flow in Chromium: run, the numbers equal the engine's, bad input, URL round trip."""

from __future__ import annotations

import time
from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from sqlalchemy import select

from dashboard.data.models import Goal, Household, User
from dashboard.extensions import db
from tests import reference
from tests.conftest import free_port

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]


def my_household():
    with db.session() as session:
        return session.scalars(
            select(Household)
            .join(User)
            .where(User.email == "analyst@meridian.example")
            .order_by(Household.name)
        ).first()


def open_page(dash_duo, app, path):
    if not getattr(dash_duo, "_meridian_started", False):
        dash_duo.start_server(app, port=free_port())
        dash_duo._meridian_started = True
    dash_duo.driver.get(dash_duo.server_url + path)


def click(dash_duo, css):
    """Scroll to an element and click it (a loading overlay must not swallow the click)."""
    element = dash_duo.find_element(css)
    dash_duo.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", element
    )


def set_field(dash_duo, page, name, value):
    element = dash_duo.find_element(f"#{_field_css(page, name)}")
    element.clear()
    element.send_keys(str(value))
    element.send_keys("\t")  # debounced inputs commit on blur


def _field_css(page, name):
    return pattern_id_css({"index": name, "type": f"{page}-field"})


def pattern_id_css(pattern: dict) -> str:
    """The CSS id of a pattern-matching component (Dash writes the id as compact JSON with sorted keys)."""
    import json

    return dash_duo_escape(json.dumps(pattern, separators=(",", ":"), sort_keys=True))


def dash_duo_escape(text):
    out = []
    for ch in text:
        out.append("\\" + ch if not ch.isalnum() and ch not in "-_" else ch)
    return "".join(out)


def test_page001_monte_carlo_matches_the_engine_and_the_link_reproduces_it(dash_duo, app):
    household = my_household()
    open_page(
        dash_duo, app, f"/monte-carlo?household={household.id}&paths=3000&seed=11&years=15&target=500000"
    )
    dash_duo.wait_for_element("#mc-probability", timeout=30)
    shown = dash_duo.find_element("#mc-probability").text
    with db.engine.connect() as conn:
        held = reference.holdings(conn, household.id)
    expected = reference.monte_carlo(held, paths=3000, seed=11, years=15, target=500000)
    assert shown == reference.percent(expected.probability_of_success)
    assert dash_duo.find_element("#mc-seed").text == "11"
    assert dash_duo.find_element("#mc-fan-chart .main-svg")
    # change the seed, run: the address bar carries the scenario; opening it gives the same number
    set_field(dash_duo, "mc", "seed", 12)
    click(dash_duo, "#mc-run")
    dash_duo.wait_for_text_to_equal("#mc-seed", "12", timeout=30)
    url = dash_duo.driver.current_url
    assert "seed=12" in urlparse(url).query and f"household={household.id}" in url
    first = dash_duo.find_element("#mc-probability").text
    dash_duo.driver.get(url)
    dash_duo.wait_for_text_to_equal("#mc-seed", "12", timeout=30)
    assert dash_duo.find_element("#mc-probability").text == first
    assert dash_duo.get_logs() == []


def test_page002_monte_carlo_bad_input_shows_messages_beside_the_fields(dash_duo, app):
    household = my_household()
    open_page(dash_duo, app, f"/monte-carlo?household={household.id}&paths=1000")
    dash_duo.wait_for_element("#mc-probability", timeout=30)
    set_field(dash_duo, "mc", "years", 0)
    set_field(dash_duo, "mc", "fee", 99)
    click(dash_duo, "#mc-run")
    dash_duo.wait_for_contains_text("#mc-alert", "Fix the highlighted fields", timeout=15)
    feedback = dash_duo.driver.find_elements(By.CSS_SELECTOR, ".invalid-feedback")
    texts = " ".join(f.text for f in feedback)
    assert (
        "Horizon (years) must be between 1 and 100" in texts
        and "Annual fee must be between 0 % and 20 %" in texts
    )
    assert len(dash_duo.driver.find_elements(By.CSS_SELECTOR, "input.is-invalid")) == 2
    assert dash_duo.get_logs() == []


def test_page003_large_simulation_runs_in_the_background_with_progress(dash_duo, app):
    household = my_household()
    open_page(dash_duo, app, f"/monte-carlo?household={household.id}&paths=150000&years=10&model=gbm&seed=5")
    dash_duo.wait_for_element(
        "#mc-progress-area[style*='block']", timeout=30
    )  # the running state shows progress
    dash_duo.wait_for_element("#mc-probability", timeout=90)
    assert dash_duo.find_element("#mc-seed").text == "5"
    assert "150,000 paths" in dash_duo.find_element("#mc-results").text
    assert dash_duo.get_logs() == []


def test_page004_optimisation_frontier_click_and_engine_weights(dash_duo, app):
    from engine.optimize import estimate, optimize

    household = my_household()
    open_page(
        dash_duo, app, f"/optimisation?household={household.id}&objective=min_volatility&risk_model=sample"
    )
    dash_duo.wait_for_element("#opt-weights", timeout=30)
    with db.engine.connect() as conn:
        held = reference.holdings(conn, household.id)
    stats = estimate(reference.bundled_prices(held.tickers, "2013-04-11"), "mean_historical", "sample")
    expected = optimize(stats, "min_volatility", risk_free_rate=0.02, bounds=(0.0, 1.0))
    top = max(expected.weights, key=expected.weights.get)
    first_row = dash_duo.find_element("#opt-weights tbody tr").text
    assert first_row.startswith(top) and f"{expected.weights[top] * 100:.1f}%" in first_row
    points = dash_duo.driver.find_elements(
        By.CSS_SELECTOR, "#opt-frontier .scatterlayer .trace:first-child .point"
    )
    assert len(points) == 40
    # Plotly listens on its drag layer above the points: move there and click, as a user does
    ActionChains(dash_duo.driver).move_to_element(points[20]).pause(0.3).click().perform()
    dash_duo.wait_for_element("#opt-point-weights", timeout=20)
    assert "Return" in dash_duo.find_element("#opt-point-summary").text
    assert dash_duo.get_logs() == []


def test_page005_optimisation_engine_error_is_an_alert_on_the_page(dash_duo, app):
    household = my_household()
    open_page(
        dash_duo, app, f"/optimisation?household={household.id}&objective=efficient_risk&target_volatility=1"
    )
    dash_duo.wait_for_contains_text("#opt-alert", "lowest achievable volatility", timeout=30)
    assert dash_duo.get_logs() == []


def test_page006_goals_create_evaluate_and_delete(dash_duo, app):
    household = my_household()
    open_page(dash_duo, app, f"/goals?household={household.id}&paths=1000")
    dash_duo.wait_for_element("#goals-table", timeout=30)
    set_field(dash_duo, "goals", "name", "Sailing boat <b>bold</b>")
    set_field(dash_duo, "goals", "target_amount", 90000)
    set_field(dash_duo, "goals", "target_date", "2031-06-01")
    click(dash_duo, "#goals-save")
    dash_duo.wait_for_contains_text(
        "#goals-table", "Sailing boat <b>bold</b>", timeout=30
    )  # text, not markup
    with db.session() as session:
        goal = session.scalars(
            select(Goal).where(Goal.household_id == household.id, Goal.name.like("Sailing%"))
        ).one()
    cell = "#" + pattern_id_css({"index": goal.id, "type": "goals-probability"})
    dash_duo.wait_for_element(cell, timeout=20)
    assert dash_duo.find_element(cell).text.endswith("%")
    # bad input: messages next to the fields, nothing saved
    set_field(dash_duo, "goals", "target_amount", -1)
    click(dash_duo, "#goals-save")
    dash_duo.wait_for_contains_text("#goals-alert", "Target amount ($) must be between", timeout=15)
    with db.session() as session:
        assert session.get(Goal, goal.id).target_amount == 90000
    assert dash_duo.get_logs() == []


def test_page007_overview_grid_pages_server_side(dash_duo, app):
    household = my_household()
    open_page(dash_duo, app, f"/?household={household.id}")
    dash_duo.wait_for_element("#overview-transactions .ag-row", timeout=30)
    deadline = time.monotonic() + 15
    while (
        time.monotonic() < deadline
        and "of" not in dash_duo.find_element("#overview-transactions .ag-paging-row-summary-panel").text
    ):
        time.sleep(0.2)
    summary = dash_duo.find_element("#overview-transactions .ag-paging-row-summary-panel").text
    assert summary.startswith("1 to 50 of")
    click(dash_duo, "#overview-transactions .ag-paging-button[aria-label='Next Page']")
    dash_duo.wait_for_contains_text(
        "#overview-transactions .ag-paging-row-summary-panel", "51 to 100", timeout=15
    )
    assert dash_duo.get_logs() == []


@pytest.mark.parametrize(
    "path,result",
    [
        ("/risk", "#risk-var"),
        ("/diversification", "#div-heatmap .main-svg"),
        ("/retirement?paths=1000", "#ret-success"),
        ("/tax", "#tax-lots"),
    ],
)
def test_page008_risk_diversification_retirement_and_tax_show_their_results(dash_duo, app, path, result):
    household = my_household()
    joiner = "&" if "?" in path else "?"
    open_page(dash_duo, app, f"{path}{joiner}household={household.id}")
    dash_duo.wait_for_element(result, timeout=45)
    assert dash_duo.find_element(result)
    assert dash_duo.get_logs() == []
