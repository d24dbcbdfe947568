"""What an analyst hit (issue 16), in Chromium: actions follow the screen, links and uploads that
cannot be used say so, progress is in view, nothing overflows."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from tests.integration.test_pages import _field_css, click, my_household, open_page, set_field

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


def test_fix003_uploads_that_fail_say_so_and_the_same_file_imports_again(dash_duo, app, tmp_path):
    from dashboard.forms.statement import MAX_BYTES

    household = my_household()
    open_page(dash_duo, app, f"/?household={household.id}")
    dash_duo.wait_for_contains_text("#overview-import-account", "checking", timeout=30)

    def choose(path):
        upload = dash_duo.driver.find_element(By.CSS_SELECTOR, "#overview-import-upload input[type=file]")
        dash_duo.driver.execute_script("arguments[0].click = function () {};", upload)  # no OS dialog
        click(dash_duo, "#overview-import-upload button")
        upload.send_keys(str(path))

    good = tmp_path / "one.csv"
    good.write_text("date,description,amount\n2018-04-02,Coffee,-4.5\n")
    choose(good)
    dash_duo.wait_for_contains_text("#overview-import-ok", "Imported 1 transaction into", timeout=20)
    # the same file again is read again (its rows are new: no external ids)
    dash_duo.driver.execute_script("document.getElementById('overview-import-ok').id = 'first-ok';")
    choose(good)
    dash_duo.wait_for_element("#overview-import-ok", timeout=20)
    # not a CSV: said at once, and the earlier success does not stay
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    choose(text)
    dash_duo.wait_for_contains_text("#overview-import-result", "is not a CSV file", timeout=10)
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#overview-import-ok")
    # over the size limit: said at once
    big = tmp_path / "big.csv"
    big.write_text("date,description,amount\n" + "2018-04-02,x,-1\n" * (MAX_BYTES // 15 + 10))
    choose(big)
    dash_duo.wait_for_contains_text("#overview-import-result", "can be imported", timeout=10)
    assert dash_duo.get_logs() == []


def test_fix004_background_progress_is_under_the_run_button_and_readable(dash_duo, app):
    household = my_household()
    dash_duo.driver.set_window_size(1440, 900)
    open_page(dash_duo, app, f"/monte-carlo?household={household.id}&paths=400000&years=10&model=gbm&seed=8")
    dash_duo.wait_for_element("#mc-progress-area[style*='block']", timeout=30)
    dash_duo.wait_for_contains_text("#mc-progress-text", " of 400,000 paths", timeout=60)
    run_button = dash_duo.find_element("#mc-run").rect
    area = dash_duo.find_element("#mc-progress-area").rect
    assert 0 <= area["y"] - (run_button["y"] + run_button["height"]) < 80  # right under the button
    label = dash_duo.find_element("#mc-progress-text")
    assert dash_duo.driver.execute_script(
        "return arguments[0].scrollWidth <= arguments[0].clientWidth;", label
    )
    click(dash_duo, "#mc-cancel")
    dash_duo.wait_for_contains_text("#mc-results", "cancelled", timeout=30)
