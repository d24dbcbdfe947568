"""Embedding in the intranet portal (issue 14, point 4): the whole app under URL_PREFIX in Chromium,
signed in; the portal tile's embed mode without navigation; only the portal may frame it; behind the
portal's proxy, its forwarded scheme makes the session cookie Secure."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.conftest import free_port, sign_in
from tests.integration.test_pages import my_household

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]

PORTAL = "https://portal.example"


@pytest.fixture
def portal_app(make_app, seeded_settings):
    app = make_app(
        seeded_settings.replace(url_prefix="/meridian/", allowed_frame_ancestors=(PORTAL,), proxy_hops=1)
    )
    with app.server.app_context():
        yield app


def test_emb001_the_app_works_under_a_prefix_and_as_a_portal_tile(dash_duo, portal_app):
    household = my_household()
    dash_duo.start_server(portal_app, port=free_port())  # signs in at /meridian/login
    base = dash_duo.server.url + "/meridian"
    dash_duo.driver.get(f"{base}/risk?household={household.id}")
    dash_duo.wait_for_element("#risk-var", timeout=60)
    links = dash_duo.driver.execute_script(
        "return Array.from(document.querySelectorAll('.shell-navbar a:not(.dropdown-toggle)')).map(a => a.getAttribute('href'))"
    )
    assert links and all(h.startswith("/meridian/") for h in links), links
    assert dash_duo.find_element(".shell-navbar").is_displayed()
    # the portal tile: the same page without the navigation chrome
    dash_duo.driver.get(f"{base}/monte-carlo?household={household.id}&embed=1&paths=1000")
    dash_duo.wait_for_element("#mc-probability", timeout=60)
    assert not dash_duo.driver.find_element(By.CSS_SELECTOR, ".shell-navbar").is_displayed()
    assert dash_duo.get_logs() == []


def test_emb002_only_the_portal_may_frame_it_and_forwarded_https_makes_cookies_secure(portal_app):
    client = portal_app.server.test_client()
    page = client.get("/meridian/login")
    assert f"frame-ancestors {PORTAL}" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    # behind the portal's proxy (PROXY_HOPS=1) the forwarded scheme is believed
    forwarded = portal_app.server.test_client()
    forwarded.environ_base.update({"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "198.51.100.4"})
    signed = sign_in(forwarded, prefix="/meridian/")
    cookie = next(c for c in signed.headers.getlist("Set-Cookie") if c.startswith("meridian_session="))
    assert "Secure" in cookie and "Path=/meridian/" in cookie
    assert signed.headers["Location"] == "/meridian/"
