"""A run saved to a thread and reopened, and a statement imported (a bad file, then a good one), in
Chromium."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By

from tests.integration.test_pages import click, my_household, open_page, pattern_id_css

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]


def test_thr001_save_a_run_to_a_thread_and_reopen_it(dash_duo, app):
    household = my_household()
    open_page(dash_duo, app, f"/monte-carlo?household={household.id}&paths=1000&seed=21")
    dash_duo.wait_for_text_to_equal("#mc-seed", "21", timeout=30)
    probability = dash_duo.find_element("#mc-probability").text
    title = dash_duo.find_element("#" + pattern_id_css({"page": "mc", "type": "thread-title"}))
    title.send_keys("Plan <b>review</b>")
    click(dash_duo, "#" + pattern_id_css({"page": "mc", "type": "thread-save"}))
    dash_duo.wait_for_contains_text(
        "#" + pattern_id_css({"page": "mc", "type": "thread-feedback"}), "Saved", timeout=20
    )
    dash_duo.driver.get(dash_duo.server_url + "/threads")
    dash_duo.wait_for_contains_text("#threads-list", "Plan <b>review</b>", timeout=20)
    assert not dash_duo.driver.find_elements(
        By.CSS_SELECTOR, "#threads-list b"
    )  # the title is text, not markup
    link = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#threads-list a[href*='seed=21']")[0]
    dash_duo.driver.get(link.get_attribute("href"))
    dash_duo.wait_for_text_to_equal("#mc-seed", "21", timeout=30)
    assert dash_duo.find_element("#mc-probability").text == probability
    assert dash_duo.get_logs() == []


def test_thr002_runs_ticked_in_the_threads_list_are_compared(dash_duo, app):
    """The saved runs' rows (built as data, components/threads.py) work in the browser: two runs saved,
    both ticked in the list, compared side by side."""
    household = my_household()
    for seed in (21, 22):
        open_page(dash_duo, app, f"/monte-carlo?household={household.id}&paths=1000&seed={seed}")
        dash_duo.wait_for_text_to_equal("#mc-seed", str(seed), timeout=30)
        dash_duo.find_element("#" + pattern_id_css({"page": "mc", "type": "thread-title"})).send_keys(
            f"Seed {seed}"
        )
        click(dash_duo, "#" + pattern_id_css({"page": "mc", "type": "thread-save"}))
        dash_duo.wait_for_contains_text(
            "#" + pattern_id_css({"page": "mc", "type": "thread-feedback"}), "Saved", timeout=20
        )
    dash_duo.driver.get(dash_duo.server_url + "/threads")
    dash_duo.wait_for_contains_text("#threads-list", "Seed 22", timeout=20)
    boxes = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#threads-list input[type=checkbox]")
    assert len(boxes) == 2
    for box in boxes:
        box.click()
    click(dash_duo, "#threads-compare")
    dash_duo.wait_for_contains_text("#threads-comparison-area", "Comparison", timeout=20)
    compared = dash_duo.find_element("#threads-comparison-area").text
    assert "Monte Carlo #1" in compared and "Monte Carlo #2" in compared
    assert dash_duo.get_logs() == []


def test_imp001_import_bad_then_good_statement(dash_duo, app, tmp_path):
    household = my_household()
    open_page(dash_duo, app, f"/?household={household.id}")
    dash_duo.wait_for_element("#overview-transactions .ag-row", timeout=30)
    # the first account is chosen already (Everyday checking)
    dash_duo.wait_for_contains_text("#overview-import-account", "checking", timeout=10)
    upload = dash_duo.driver.find_element(By.CSS_SELECTOR, "#overview-import-upload input[type=file]")
    bad = tmp_path / "bad.csv"
    bad.write_text("date,description,amount\n2018-01-01,ok,5\nnot-a-date,x,abc\n")
    upload.send_keys(str(bad))
    dash_duo.wait_for_element("#overview-import-errors", timeout=20)
    errors = dash_duo.find_element("#overview-import-errors").text
    assert "is not a date" in errors and "is not a number" in errors
    good = tmp_path / "good.csv"
    good.write_text(
        "date,description,amount,category\n2018-04-11,<img src=x onerror=alert(1)>,-12.5,Hostile\n"
    )
    upload = dash_duo.driver.find_element(By.CSS_SELECTOR, "#overview-import-upload input[type=file]")
    upload.send_keys(str(good))
    dash_duo.wait_for_element("#overview-import-ok", timeout=20)
    deadline = time.monotonic() + 20
    cells = []
    while time.monotonic() < deadline:
        # read the text in one go: the grid re-renders its cells while it loads
        cells = dash_duo.driver.execute_script(
            "return Array.from(document.querySelectorAll('#overview-transactions .ag-cell')).map(c => c.textContent)"
        )
        if any("<img src=x onerror=alert(1)>" in c for c in cells):
            break
        time.sleep(0.3)
    assert any("<img src=x onerror=alert(1)>" in c for c in cells)  # shown as text
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#overview-transactions img")  # never as markup
    assert dash_duo.get_logs() == []
