"""The shell and every page in a real Chromium: navigation, 404, the Overview's numbers."""

from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select, text

from dashboard.data.models import Household, User
from dashboard.extensions import db
from harness.site import PAGES
from tests import reference
from tests.conftest import ADMIN, free_port

OPERATIONS_LINK = """[id='{"index":"pages.performance","type":"shell-nav-link"}']"""

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]


def test_shell001_every_page_opens_without_console_errors(dash_duo, app):
    dash_duo.start_server(app, port=free_port())
    dash_duo.driver.get(dash_duo.server_url + "/")
    dash_duo.wait_for_element("#shell-household-select")
    links = dash_duo.driver.find_elements(
        By.CSS_SELECTOR, ".shell-navbar a.nav-link:not(.dropdown-toggle), .shell-navbar a.dropdown-item"
    )
    hrefs = [urlparse(a.get_attribute("textContent") and a.get_attribute("href")).path for a in links]
    # every page of the navigation (its "Data" menu too) is one the benchmarks measure, in their order
    assert hrefs == [p for p in PAGES if p in hrefs]
    assert {"/market-data", "/assumptions", "/operations"} <= set(hrefs)
    for path in PAGES:
        dash_duo.driver.get(dash_duo.server_url + path)
        dash_duo.wait_for_element("#_pages_content h1", timeout=10)
        navigation = dash_duo.find_element(".shell-navbar").text
        for link in (
            "Overview",
            "Goals",
            "Optimisation",
            "Monte Carlo",
            "Risk",
            "Diversification",
            "Retirement",
            "Tax",
            "Threads",
        ):
            assert link in navigation
        # the app's own speed is the admin's, not the analyst's; the data pages are in the "Data" menu
        assert "Data" in navigation
        assert "d-none" in dash_duo.find_element(OPERATIONS_LINK).get_attribute("class")
    assert dash_duo.get_logs() == []
    # Issue 25.5: an analyst who opens Operations reads that it is the admin's, and nothing of it
    dash_duo.driver.get(dash_duo.server_url + "/operations")
    dash_duo.wait_for_contains_text("#_pages_content", "for administrators", timeout=10)
    assert not dash_duo.driver.find_elements(By.CSS_SELECTOR, "#perf-summary")
    # the admin has it in the navigation, and the old address (a bookmark) lands on it, household kept
    dash_duo.sign_in(dash_duo.server_url, ADMIN)
    dash_duo.driver.get(dash_duo.server_url + "/performance?household=1")
    dash_duo.wait_for_element("#perf-summary", timeout=20)
    assert urlparse(dash_duo.driver.current_url).path == "/operations"
    assert "household=1" in dash_duo.driver.current_url
    dash_duo.find_element("#shell-menu .dropdown-toggle").click()  # the "Data" menu
    dash_duo.wait_for_element(OPERATIONS_LINK + ":not(.d-none)", timeout=10)
    menu = dash_duo.find_element("#shell-menu .dropdown-menu").text
    assert "Market data" in menu and "Firm assumptions" in menu and "Operations" in menu
    dash_duo.find_element("#shell-menu .dropdown-toggle").click()
    # signing out from the navigation ends the session: the pages ask to sign in again
    dash_duo.find_element("#shell-sign-out").click()
    dash_duo.wait_for_element("#login-notice", timeout=10)
    dash_duo.driver.get(dash_duo.server_url + "/risk")
    dash_duo.wait_for_element("#login-form", timeout=10)
    assert "/login?next=/risk" in dash_duo.driver.current_url


def test_shell002_unknown_path_shows_404(dash_duo, app):
    dash_duo.start_server(app, port=free_port())
    dash_duo.driver.get(dash_duo.server_url + "/no-such-page")
    dash_duo.wait_for_text_to_equal("#_pages_content h1", "Page not found")
    assert dash_duo.get_logs() == []


def test_shell003_overview_shows_the_households_numbers(dash_duo, app):
    with db.session() as session:
        analyst = session.scalar(select(User).where(User.email == "analyst@meridian.example"))
        household = session.scalars(
            select(Household).where(Household.analyst_id == analyst.id).order_by(Household.name)
        ).first()
        accounts = session.scalar(
            text("SELECT COUNT(*) FROM accounts WHERE household_id = :h"), {"h": household.id}
        )
    with db.engine.connect() as conn:
        held = reference.holdings(conn, household.id)  # valued independently of the page's code
    dash_duo.start_server(app, port=free_port())
    dash_duo.driver.get(f"{dash_duo.server_url}/?household={household.id}")
    dash_duo.wait_for_text_to_equal("#overview-household-name", household.name, timeout=10)
    net_worth = dash_duo.find_element("#overview-net-worth").text
    assert f"${held.invested + held.cash:,.0f}" in net_worth
    rows = dash_duo.find_elements("#overview-accounts tbody tr")
    assert len(rows) == accounts + 1  # plus the total row
    assert dash_duo.find_element("#overview-allocation .main-svg")
    assert dash_duo.get_logs() == []


def test_shell004_someone_elses_household_is_refused(dash_duo, app):
    with db.session() as session:
        other = session.scalars(
            select(Household).join(User).where(User.email != "analyst@meridian.example")
        ).first()
    dash_duo.start_server(app, port=free_port())
    dash_duo.driver.get(f"{dash_duo.server_url}/?household={other.id}")
    dash_duo.wait_for_contains_text("#shell-alert", "is not one of your households", timeout=10)
    assert other.name not in dash_duo.find_element("#overview-content").text
    assert dash_duo.get_logs() == []


def test_shell005_a_server_fault_shows_in_the_page_alert(dash_duo, app):
    from dash import Input, Output

    from components import ids

    # A bug of ours on the Overview: two outputs, one value returned (Dash notices after the function).
    @app.callback(
        Output(ids.OVERVIEW_ALERT, "children"),
        Output(ids.OVERVIEW_ALERT, "is_open"),
        Input(ids.OVERVIEW_VERSION, "data"),
    )
    def broken(_version):
        return ["only one"]

    dash_duo.start_server(app, port=free_port())
    dash_duo.driver.get(dash_duo.server_url + "/")
    dash_duo.wait_for_contains_text("#shell-alert", "Something went wrong on the server", timeout=15)
    assert "Reference:" in dash_duo.find_element("#shell-alert").text
    # the browser logs the failed callback request (network and renderer), and nothing else
    logs = dash_duo.get_logs()
    assert logs and all(
        "_dash-update-component" in e["message"] or "dash_renderer" in e["message"] for e in logs
    )
