"""The client report in Chromium: composed and previewed, its PDF made in the background with progress
and downloaded, the page printed as the report alone (issue 24)."""

from __future__ import annotations

import base64
import io

import pytest
import requests
from pypdf import PdfReader

from tests.integration.test_pages import click, my_household, open_page

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]


def _session_of(dash_duo) -> requests.Session:
    """A requests session with the browser's cookies (as the download link is followed)."""
    session = requests.Session()
    for cookie in dash_duo.driver.get_cookies():
        session.cookies.set(cookie["name"], cookie["value"])
    return session


def test_rep101_compose_preview_pdf_and_print(dash_duo, app):
    household = my_household()
    open_page(dash_duo, app, f"/report?household={household.id}&title=Review+for+the+client")
    dash_duo.wait_for_element("#report-article", timeout=60)
    assert "Review for the client" in dash_duo.find_element("#report-article h1").text
    assert "Methodology and disclosures" in dash_duo.find_element("#report-article").text
    # the charts on the printable page are drawn, each with its caption
    dash_duo.wait_for_element("#report-article .report-figure .main-svg", timeout=60)
    # the PDF, made in the background: progress, then a link to the file
    dash_duo.wait_for_element("#report-pdf:not([disabled])", timeout=30)
    click(dash_duo, "#report-pdf")
    dash_duo.wait_for_element("#report-pdf-link", timeout=120)
    link = dash_duo.find_element("#report-pdf-link")
    assert "MB, made in" in dash_duo.find_element("#report-pdf-result").text
    response = _session_of(dash_duo).get(link.get_attribute("href"), timeout=60)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    pdf = PdfReader(io.BytesIO(response.content))
    assert pdf.metadata.title == f"Review for the client: {household.name}" and len(pdf.pages) >= 8
    # the page printed by the browser is the report alone: no navigation, no composer
    printed = dash_duo.driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": True})
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(base64.b64decode(printed["data"]))).pages)
    assert "Review for the client" in text and "Methodology and disclosures" in text
    assert "Sign out" not in text and "Download PDF" not in text and "Note to the client" not in text
    assert dash_duo.get_logs() == []


def test_rep102_a_bad_composition_is_refused_beside_its_field(dash_duo, app):
    household = my_household()
    open_page(dash_duo, app, f"/report?household={household.id}&run_risk=999999")
    dash_duo.wait_for_contains_text("#report-alert", "Run #999999 is not a Risk run", timeout=60)
    assert dash_duo.find_element("#report-pdf").get_attribute("disabled") is not None
    assert dash_duo.get_logs() == []
