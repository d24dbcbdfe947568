"""What an analyst hit (issue 16), in Chromium: actions follow the screen, links and uploads that
cannot be used say so, progress is in view, nothing overflows."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from tests.integration.test_pages import _field_css, click, my_household, open_page, set_field  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]


def test_fix001_a_link_with_bad_values_marks_them_and_runs_nothing(dash_duo, app):
    household = my_household()
    open_page(
        dash_duo,
        app,
        f"/optimisation?household={household.id}&universe=custom&tickers=AAPL,FOO&objective=bogus"
        "&risk_free_rate=abc",
    )
    dash_duo.wait_for_contains_text("#opt-alert", "highlighted", timeout=30)
    for name, text in (
        ("tickers", "Not a choice for chosen assets: FOO"),
        ("objective", "Choose one of the options for objective"),
        ("risk_free_rate", "must be a number"),
    ):
        feedback = dash_duo.find_element("#" + _field_css("opt", name).replace("opt-field", "opt-feedback"))
        assert text in feedback.text, (name, feedback.text)
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#opt-weights")  # nothing ran
    assert "AAPL" in dash_duo.driver.current_url and "FOO" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []


def test_fix002_frontier_click_after_editing_the_form_explains_the_drawn_frontier(dash_duo, app):
    household = my_household()
    open_page(dash_duo, app, f"/optimisation?household={household.id}")
    dash_duo.wait_for_element("#opt-weights", timeout=30)
    set_field(dash_duo, "opt", "start", "2017-06-01")  # edited, not optimised
    points = dash_duo.driver.find_elements(
        By.CSS_SELECTOR, "#opt-frontier .scatterlayer .trace:first-child .point"
    )
    ActionChains(dash_duo.driver).move_to_element(points[10]).pause(0.3).click().perform()
    dash_duo.wait_for_element("#opt-point-summary", timeout=20)
    hover_x = dash_duo.driver.execute_script(
        "var g = document.querySelector('#opt-frontier .js-plotly-plot');"
        "return g.data.find(t => t.name === 'Efficient frontier').x[10];"
    )
    assert f"volatility {hover_x:.2%}" in dash_duo.find_element("#opt-point-summary").text
    assert dash_duo.get_logs() == []
