"""The sign-in page in Chromium when many people sign in at once (issue 26.3): told to try again in a
moment, the page sends the same form again by itself after the server's Retry-After, saying so, and
signs the person in without their typing the password again; any other answer shows as before."""

from __future__ import annotations

import threading

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.services import users
from harness.dash_client import sign_in_form
from tests.conftest import ADMIN, PASSWORD, free_port

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]


def _fill(driver, email: str, password: str) -> None:
    driver.find_element(By.ID, "login-email").send_keys(email)
    driver.find_element(By.ID, "login-password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()


def test_signin001_told_to_wait_the_page_tries_again_by_itself_and_signs_in(dash_duo, app, monkeypatch):
    checks = users.PasswordChecks(waiting=1, admission=0.2)
    monkeypatch.setattr(users, "CHECKS", checks)
    release, holding = threading.Event(), threading.Event()
    real = users.check_password_hash

    def held(stored, password):
        if password == "the other person's":  # another sign-in, checked while ours arrives
            holding.set()
            release.wait(60)
        return real(stored, password)

    monkeypatch.setattr(users, "check_password_hash", held)
    dash_duo.start_server(app, port=free_port())
    driver = dash_duo.driver
    driver.delete_all_cookies()
    other = app.server.test_client()
    form = sign_in_form(other.get("/login").get_data(as_text=True), ADMIN, "the other person's")
    busy = threading.Thread(target=other.post, args=("/login",), kwargs={"data": form})
    busy.start()
    assert holding.wait(30)  # the one check this worker takes at once is someone else's
    driver.get(dash_duo.server_url + "/login?next=/risk")
    dash_duo.wait_for_element("#login-email")
    _fill(driver, ADMIN, PASSWORD)
    # told to try again (429, Retry-After): the page says so and tries again by itself
    dash_duo.wait_for_contains_text("#login-wait", "signing you in when it is your turn", timeout=20)
    WebDriverWait(driver, 20).until(
        lambda d: int(d.find_element(By.ID, "login-wait").get_attribute("data-attempt") or 0) >= 3
    )  # tried again twice; still the sign-in page, the form as typed, nothing retyped
    assert "/login" in driver.current_url
    assert driver.find_element(By.ID, "login-password").get_attribute("value") == PASSWORD
    release.set()
    busy.join(30)
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)
    assert driver.current_url.endswith("/risk")  # where it was asked to go
    dash_duo.wait_for_element("#risk-var", timeout=60)  # its analysis drawn (nothing left in flight)
    assert dash_duo.get_logs() == []


def _failed_sign_ins() -> int:
    from sqlalchemy import func, select

    from dashboard.data.models import AuditEvent
    from dashboard.extensions import db

    with db.session() as session:
        return session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "sign-in-failed")
        )


def test_signin002_a_wrong_password_through_the_page_shows_its_message_and_counts_once(dash_duo, app):
    before = _failed_sign_ins()
    dash_duo.start_server(app, port=free_port())
    driver = dash_duo.driver
    driver.delete_all_cookies()
    driver.get(dash_duo.server_url + "/login?next=/risk")
    dash_duo.wait_for_element("#login-email")
    _fill(driver, ADMIN, "not the password")
    dash_duo.wait_for_contains_text("#login-error", "Wrong email or password.", timeout=20)
    assert "/login" in driver.current_url
    assert _failed_sign_ins() == before + 1  # one attempt, sent once
    # the form is there again, focused on the password, and works: the right one signs in
    assert driver.switch_to.active_element.get_attribute("id") == "login-password"
    driver.find_element(By.ID, "login-password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)
    dash_duo.wait_for_element("#risk-var", timeout=60)  # its analysis drawn (nothing left in flight)
    # the sign-in page's script is its own: Dash's pages do not load it
    assert not driver.execute_script("return [...document.scripts].some(s => s.src.includes('sign-in'))")
    assert dash_duo.get_logs() == []
