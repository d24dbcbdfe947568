"""Stored and reflected text never runs (issue 14, point 5): goal names, thread titles and notes,
imported descriptions and links carrying script payloads are shown as text in Chromium."""

from __future__ import annotations

import json

import pytest
from selenium.common.exceptions import NoAlertPresentException
from sqlalchemy import select

from dashboard.data.models import Account, Goal, Thread, ThreadItem, Transaction
from dashboard.extensions import db
from tests.integration.test_pages import my_household, open_page

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]

PAYLOADS = {
    "goal": "<img src=x onerror=window.__xss=1>",
    "thread": "<script>window.__xss=2</script>",
    "note": "<svg onload=window.__xss=3></svg>",
    "transaction": "<img src=x onerror=window.__xss=4>",
}


def plant(household_id: int) -> None:
    from dashboard.services.households import household_changed

    with db.session() as session:
        session.scalars(select(Goal).where(Goal.household_id == household_id)).first().name = PAYLOADS["goal"]
        thread = session.scalars(select(Thread).where(Thread.household_id == household_id)).first()
        thread.title = PAYLOADS["thread"]
        session.add(
            ThreadItem(
                thread_id=thread.id,
                created_by=thread.created_by,
                page="mc",
                params="javascript:window.__xss=5",
                seed=1,
                summary=json.dumps({"probability_of_success": 0.5, "<b>key</b>": "<i>v</i>"}),
                note=PAYLOADS["note"],
            )
        )
        account = session.scalars(select(Account).where(Account.household_id == household_id)).first()
        session.scalars(
            select(Transaction).where(Transaction.account_id == account.id).order_by(Transaction.date.desc())
        ).first().description = PAYLOADS["transaction"]
    household_changed(household_id)


def assert_nothing_ran(dash_duo):
    assert dash_duo.driver.execute_script("return window.__xss === undefined")
    try:
        dash_duo.driver.switch_to.alert.dismiss()
        pytest.fail("an alert opened")
    except NoAlertPresentException:
        pass


def test_sec020_stored_text_and_links_never_run(dash_duo, app):
    household = my_household()
    plant(household.id)
    open_page(dash_duo, app, f"/?household={household.id}")
    dash_duo.wait_for_contains_text("#overview-content", PAYLOADS["thread"], timeout=30)
    dash_duo.wait_for_element("#overview-transactions .ag-row", timeout=30)
    assert_nothing_ran(dash_duo)
    open_page(dash_duo, app, f"/goals?household={household.id}")
    dash_duo.wait_for_contains_text("#goals-content", PAYLOADS["goal"], timeout=30)
    assert_nothing_ran(dash_duo)
    open_page(dash_duo, app, f"/threads?household={household.id}")
    dash_duo.wait_for_contains_text("#threads-list", PAYLOADS["note"], timeout=30)
    hrefs = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('#threads-list a')).map(a => a.getAttribute('href'))"
    )
    assert hrefs and not any(h.lower().startswith("javascript:") for h in hrefs)
    assert_nothing_ran(dash_duo)
    # reflected: a link with script in its values opens with them marked, as text
    open_page(
        dash_duo,
        app,
        f"/monte-carlo?household={household.id}&seed=%3Cscript%3Ewindow.__xss%3D6%3C%2Fscript%3E"
        "&model=%3Cimg%20src%3Dx%20onerror%3Dwindow.__xss%3D7%3E",
    )
    dash_duo.wait_for_contains_text("#mc-alert", "highlighted", timeout=30)
    assert_nothing_ran(dash_duo)
    assert [e for e in dash_duo.get_logs() if "__xss" in e.get("message", "")] == []
