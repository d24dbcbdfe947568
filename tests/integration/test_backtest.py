"""The Backtest page in Chromium: the household's holdings and its saved optimisation against SPY from 2006,
every figure equal to the command line's; the log scale; bad input beside its field; a screenshot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By

from components.backtest import _number, shown_statistics
from dashboard.forms.optimisation import FORM as OPT_FORM
from dashboard.services.threads import create_thread, save_run
from tests import reference
from tests.integration.test_pages import click, my_household, open_page, pattern_id_css, set_field

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]

ROOT = Path(__file__).resolve().parents[2]
CELLS = """
return Array.from(document.querySelectorAll('#bt-statistics td[data-key]')).map(td => [td.dataset.key, td.textContent]);
"""


def _cli(*args) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "engine", "backtest", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(done.stdout)


def _saved_optimisation(app, household) -> int:
    from dashboard.data.models import User
    from dashboard.extensions import db

    with app.server.app_context():
        with db.session() as session:
            user = session.query(User).filter_by(email="analyst@meridian.example").one()
            user_id = user.id
        thread = create_thread(household.id, user_id, "Backtest review")
        query = OPT_FORM.canonical_query(OPT_FORM.defaults(), household.id)
        return save_run(household.id, user_id, thread, "opt", query, None, {"objective": "max_sharpe"}, "")


def test_btb001_holdings_and_their_optimum_against_spy_from_2006_equal_the_command_line(
    dash_duo, app, tmp_path
):
    household = my_household()
    run_id = _saved_optimisation(app, household)
    open_page(
        dash_duo,
        app,
        f"/backtest?household={household.id}&saved={run_id}&start=2006-01-01&late_assets=leave_out",
    )
    dash_duo.wait_for_element("#bt-statistics", timeout=60)
    dash_duo.wait_for_element("#bt-growth .main-svg", timeout=30)
    cells = dash_duo.driver.execute_script(CELLS)
    names = [th.text for th in dash_duo.driver.find_elements(By.CSS_SELECTOR, "#bt-statistics thead th")][1:]
    assert names == ["Current holdings", f"Optimised (run #{run_id})", "SPY"]
    with app.server.app_context():
        from dashboard.extensions import db

        with db.engine.connect() as conn:
            held = reference.holdings(conn, household.id)
    weights = ",".join(f"{t}={w!r}" for t, w in zip(held.tickers, held.weights, strict=True))
    cli = _cli(
        "--tickers",
        ",".join(held.tickers),
        "--weights",
        weights,
        "--start",
        "2006-01-01",
        "--rebalance",
        "annual",
        "--risk-free-rate",
        "0.02",
        "--rolling",
        "36",
        "--leave-out-late",
    )
    assert cli["window"]["first_month"] == "2006-01" and cli["window"]["last_month"] == "2018-03"
    columns = len(names)
    by_key: dict[str, list[str]] = {}
    for key, text in cells:
        by_key.setdefault(key, []).append(text)
    checked = 0
    for key, _, kind, relative in shown_statistics_rows(cli):
        page_current, page_spy = by_key[key][0], by_key[key][columns - 1]
        assert page_current == _number(cli.get(key), kind), key
        if not relative:
            assert page_spy == _number(cli["benchmark"].get(key), kind), key
        checked += 1
    assert checked >= 20
    window = dash_duo.find_element("#bt-window").text
    assert "January 2006 to March 2018, 147 months" in window and "2005-12-30" in window
    notes = dash_duo.find_element("#bt-results").text
    assert "left out" in notes and "BABA" in notes
    # the log scale
    click(dash_duo, "#bt-log-scale")
    until(
        lambda: (
            dash_duo.driver.execute_script(
                "const p = document.querySelector('#bt-growth.js-plotly-plot, #bt-growth .js-plotly-plot');"
                "return p && p._fullLayout && p._fullLayout.yaxis.type;"
            )
            == "log"
        ),
        timeout=20,
    )
    folder = Path(os.environ.get("MERIDIAN_ARTEFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.set_window_size(1440, 2600)
    dash_duo.driver.save_screenshot(str(folder / "backtest.png"))
    assert dash_duo.get_logs() == []


def shown_statistics_rows(cli: dict):
    """The page's rows for a backtest like the CLI's (no cash flows, with a benchmark)."""

    class _P:
        statistics = {"cagr": cli["cagr"], "total_contributions": 0.0, "total_withdrawals": 0.0}

    class _R:
        portfolios = [_P()]
        benchmark = object()

    return shown_statistics(_R())


def test_btb002_refusing_late_assets_names_them_beside_the_start(dash_duo, app):
    household = my_household()
    open_page(dash_duo, app, f"/backtest?household={household.id}")
    dash_duo.wait_for_element("#bt-statistics", timeout=60)
    set_field(dash_duo, "backtest", "start", "2006-01-01")
    click(dash_duo, "#bt-run")
    feedback = "#" + pattern_id_css({"index": "start", "type": "backtest-feedback"})
    dash_duo.wait_for_contains_text(feedback, "has prices only from", timeout=30)
    assert "Start in" in dash_duo.find_element(feedback).text
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#bt-statistics")  # nothing run
    assert dash_duo.get_logs() == []
