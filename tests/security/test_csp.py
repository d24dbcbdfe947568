"""The Content-Security-Policy (issue 27.3): an injected inline script does not run and is reported; the
report endpoint validates, rate-limits and counts; the Operations page shows what was blocked."""

from __future__ import annotations

import json
import time

import pytest

from dashboard import csp
from dashboard.extensions import metrics
from tests.conftest import ADMIN, free_port

REPORT = "/api/v1/csp-report"


def _report(directive: str = "script-src-elem") -> bytes:
    return json.dumps(
        {
            "csp-report": {
                "document-uri": "http://127.0.0.1/risk",
                "violated-directive": directive,
                "effective-directive": directive,
                "blocked-uri": "inline",
            }
        }
    ).encode()


def _counted(app) -> dict[str, int]:
    with app.server.app_context():
        return {k: n for k, n in metrics.counters().items() if k.startswith("csp.")}


def test_csp001_reports_are_validated_rate_limited_and_counted(app):
    client = app.server.test_client()  # signed out: the sign-in page's violations are reported too
    sent = client.post(REPORT, data=_report(), content_type="application/csp-report")
    assert sent.status_code == 204
    reporting_api = [{"type": "csp-violation", "body": {"effectiveDirective": "style-src-attr"}}]
    assert client.post(REPORT, json=reporting_api, content_type="application/reports+json").status_code == 204
    odd = client.post(REPORT, data=_report("navigate-to"), content_type="application/csp-report")
    assert odd.status_code == 204  # counted as "other": the store's names stay bounded
    refused = {
        "type": client.post(REPORT, data=_report(), content_type="text/plain"),
        "json": client.post(REPORT, data=b"{not json", content_type="application/csp-report"),
        "shape": client.post(REPORT, data=b'{"a": 1}', content_type="application/csp-report"),
        "directive": client.post(
            REPORT, data=b'{"csp-report": {"blocked-uri": "x"}}', content_type="application/csp-report"
        ),
        "size": client.post(
            REPORT, data=b" " * (csp.MAX_REPORT_BYTES + 1) + _report(), content_type="application/csp-report"
        ),
    }
    assert {k: r.status_code for k, r in refused.items()} == {
        "type": 415,
        "json": 400,
        "shape": 400,
        "directive": 400,
        "size": 413,
    }
    assert all("error" in r.get_json() for r in refused.values())
    assert _counted(app) == {"csp.script-src-elem": 1, "csp.style-src-attr": 1, "csp.other": 1}
    # one address sends at most REPORTS_PER_MINUTE a minute (refused ones count): the rest are refused
    statuses = [
        client.post(REPORT, data=_report(), content_type="application/csp-report").status_code
        for _ in range(csp.REPORTS_PER_MINUTE)
    ]
    assert 429 in statuses and statuses[-1] == 429
    accepted = statuses.count(204)
    assert accepted == csp.REPORTS_PER_MINUTE - 3 - len(refused)
    assert _counted(app)["csp.script-src-elem"] == 1 + accepted


@pytest.mark.browser
@pytest.mark.usefixtures("browser_ready")
def test_csp002_an_injected_inline_script_is_blocked_and_reported(dash_duo, app):
    from tests.integration.test_pages import my_household

    dash_duo.start_server(app, port=free_port())
    dash_duo.driver.delete_all_cookies()
    dash_duo.sign_in(dash_duo.server_url, ADMIN)
    household = my_household()
    dash_duo.driver.get(f"{dash_duo.server_url}/risk?household={household.id}")
    dash_duo.wait_for_element("#risk-var", timeout=60)
    assert dash_duo.get_logs() == []  # the page itself runs under the policy without a violation
    assert _counted(app) == {}
    # what a stored-XSS payload would do: an inline script (and an inline handler) added to the page
    dash_duo.driver.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.__injected = 1';"
        "document.body.appendChild(s);"
        "const i = document.createElement('img'); i.setAttribute('onerror', 'window.__handler = 1');"
        "i.src = 'data:,x'; document.body.appendChild(i);"
    )
    time.sleep(0.5)
    assert dash_duo.driver.execute_script("return [window.__injected, window.__handler]") == [None, None]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and "csp.script-src-elem" not in _counted(app):
        time.sleep(0.3)
    counted = _counted(app)
    assert counted.get("csp.script-src-elem", 0) >= 1 and counted.get("csp.script-src-attr", 0) >= 1
    refused = [e for e in dash_duo.get_logs() if "Content Security Policy" in e["message"]]
    assert refused  # the browser says why it did not run them
    # the operator reads it on the Operations page
    dash_duo.driver.get(f"{dash_duo.server_url}/operations")
    dash_duo.wait_for_element("#perf-csp", timeout=30)
    total = int(dash_duo.find_element("#perf-csp").text.replace(",", ""))
    assert total >= 2
