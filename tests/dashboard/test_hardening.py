"""Malformed and tampered requests get a 4xx and a message; frames only from allowed origins."""

import json
import re

import pytest

from tests.conftest import signed_client

UPDATE = "/_dash-update-component"


@pytest.fixture
def client(app):
    client = signed_client(app)
    client.get("/")  # Dash sets itself up on the first request
    return client


@pytest.mark.parametrize(
    "body,status",
    [
        ("not json", 400),
        (json.dumps([1, 2]), 400),
        (json.dumps({"inputs": []}), 400),
        (json.dumps({"output": "..nope.children..", "inputs": []}), 400),
        (json.dumps({"output": "overview-goals-status.children", "inputs": "x"}), 400),
        (
            json.dumps(
                {"output": "overview-goals-status.children", "inputs": [{"id": 5}], "outputs": {"bad": 1}}
            ),
            400,
        ),
        (json.dumps({"output": "overview-goals-status.children", "pad": "x" * (3 * 1024 * 1024)}), 413),
    ],
)
def test_hard001_tampered_callback_requests_are_4xx(client, body, status):
    response = client.post(UPDATE, data=body, content_type="application/json")
    assert response.status_code == status
    assert "error" in response.get_json()
    assert b"Traceback" not in response.data


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def test_hard002_frame_ancestors_a_strict_policy_and_safe_headers(client, seeded_settings, make_app):
    """Issue 27.3: scripts from the app and Dash's inline ones by hash only (no unsafe-inline, no
    unsafe-eval), no plugins, no base or form elsewhere, frame-ancestors as configured, reports sent."""
    import base64
    import hashlib

    response = client.get("/")
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    hashes = policy["script-src"][1:]
    assert hashes and all(h.startswith("'sha256-") for h in hashes)
    assert not {"'unsafe-inline'", "'unsafe-eval'"} & set(policy["script-src"])
    assert policy["report-uri"] == ["/api/v1/csp-report"]
    # every inline script of the page is allowed by its hash, computed here from the page itself
    page = re.sub(r"<!--.*?-->", "", response.get_data(as_text=True), flags=re.S)  # (IE's, in a comment)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", page, re.S)
    executed = [body for attributes, body in inline if "application/json" not in attributes and body.strip()]
    assert executed
    for body in executed:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in hashes
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    portal = make_app(
        seeded_settings.replace(allowed_frame_ancestors=("'self'", "https://portal.example.com"))
    )
    headers = signed_client(portal).get("/").headers
    policy = _directives(headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'self'", "https://portal.example.com"]


def _update(client, output, inputs, outputs, changed=()):
    body = {"output": output, "outputs": outputs, "inputs": inputs, "changedPropIds": list(changed)}
    return client.post(UPDATE, data=json.dumps(body), content_type="application/json")


def test_hard003_requests_that_do_not_match_their_callback_are_400(client):
    output = "overview-goals-status.children"
    good_inputs = [
        {"id": "shell-household-select", "property": "value", "value": None},
        {"id": "overview-version", "property": "data", "value": 0},
    ]
    outputs = {"id": "overview-goals-status", "property": "children"}
    assert _update(client, output, good_inputs, outputs).status_code == 204  # PreventUpdate: nothing chosen
    for inputs, outs in (
        (good_inputs[:1], outputs),  # an input missing
        (good_inputs + good_inputs, outputs),  # extra inputs
        ([{**good_inputs[0], "property": "children"}, good_inputs[1]], outputs),  # another property
        ([{**good_inputs[0], "id": "shell-user"}, good_inputs[1]], outputs),  # another component
        (good_inputs, {"id": "overview-content", "property": "children"}),  # another output
        (good_inputs, [outputs, outputs]),  # a list for one output
    ):
        response = _update(client, output, inputs, outs)
        assert response.status_code == 400 and "match" in response.get_json()["error"]


def test_hard004_the_overview_without_a_household_answers_every_output(client):
    from harness.dash_client import DashSite, Layout

    site = DashSite(client.get("/_dash-dependencies").get_json())
    body = site.body(
        site.callback("overview-content.children"),
        Layout(),
        {"shell-household-select.value": None, "overview-version.data": 0},
        ["shell-household-select.value"],
    )
    response = client.post(UPDATE, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    assert set(response.get_json()["response"]) == {
        "overview-content",
        "overview-households",
        "overview-transactions-account",
        "overview-import-account",
        "overview-import-result",
    }


def test_hard005_a_server_fault_is_a_500_with_a_reference_logged_and_counted(
    seeded_settings, make_app, caplog
):
    from dash import Input, Output

    app = make_app(seeded_settings)

    # A bug of ours: two outputs, one value returned. Dash notices after the function returns.
    @app.callback(Output("probe-a", "children"), Output("probe-b", "children"), Input("probe-in", "value"))
    def broken(_value):
        return ["only one"]

    client = signed_client(app)
    client.get("/")
    with caplog.at_level("ERROR", logger="meridian.callbacks"):
        response = _update(
            client,
            "..probe-a.children...probe-b.children..",
            [{"id": "probe-in", "property": "value", "value": 1}],
            [{"id": "probe-a", "property": "children"}, {"id": "probe-b", "property": "children"}],
        )
    assert response.status_code == 500
    message = response.get_json()["error"]
    assert message.startswith("Something went wrong on the server") and "Reference:" in message
    assert b"Traceback" not in response.data
    reference = message.rsplit(" ", 1)[-1].rstrip(".")
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info is not None  # the traceback is in the log
    with app.server.app_context():
        from dashboard.extensions import metrics

        stats = metrics.stats("all")["callback.probe-a.children+probe-b.children"]
    assert stats["errors"] == 1


def test_hard010_unknown_api_paths_answer_json_404(client):
    """Issue 14.4: under /api/ an unknown path is a JSON 404, not the app's page with 200."""
    for path in ("/api/nope", "/api/v1/performance-metrics/nope", "/api/v2/stats"):
        response = client.get(path)
        assert response.status_code == 404 and response.is_json, path
        assert "No such API endpoint" in response.get_json()["error"]
    assert client.post("/api/v1/performance-metrics/nope", json={}).status_code == 404
    assert client.get("/api/v1/performance-metrics/health").status_code == 200
    assert client.get("/risk").status_code == 200  # pages still answer


def test_hard011_security_headers_are_added_once_a_responses_own_kept_and_hooks_asked_once(
    make_app, seeded_settings, monkeypatch
):
    """The security headers are read once per response (dashboard/hardening.py): each is there once, one
    the response set itself (in any letter case) is kept; an untouched session writes no cookie but says
    the answer varies with it; Flask asks once per hook whether it is a coroutine (factory.MeridianFlask)."""
    import flask.app

    app = make_app(seeded_settings)

    @app.server.route("/own-headers")
    def own_headers():
        response = flask.Response("{}", mimetype="application/json")
        response.headers["referrer-policy"] = "no-referrer"
        return response

    client = signed_client(app)
    answer = client.get("/own-headers")
    assert answer.status_code == 200
    assert answer.headers.getlist("Referrer-Policy") == ["no-referrer"]
    for name in ("Content-Security-Policy", "Permissions-Policy", "X-Content-Type-Options", "Cache-Control"):
        assert len(answer.headers.getlist(name)) == 1, name
    assert "Cookie" in answer.headers["Vary"] and "Set-Cookie" not in answer.headers

    asked = []
    real = flask.app.iscoroutinefunction
    monkeypatch.setattr(flask.app, "iscoroutinefunction", lambda func: asked.append(func) or real(func))
    client.get("/own-headers")
    first = len(asked)
    for _ in range(3):
        assert client.get("/own-headers").status_code == 200
    assert len(asked) == first  # every hook and the view asked about before, not again

    def for_one_request(response):  # as after_this_request registers: not kept alive by the answer kept
        return response

    import gc
    import weakref

    assert app.server.ensure_sync(for_one_request) is for_one_request
    gone = weakref.ref(for_one_request)
    del for_one_request
    asked.clear()  # (this test's own record of what was asked)
    gc.collect()
    assert gone() is None

    async def coroutine_view():
        return "never"

    for _ in range(2):  # a coroutine is still Flask's to wrap (without asgiref: its message), every time
        with pytest.raises(RuntimeError, match="'async' extra"):
            app.server.ensure_sync(coroutine_view)
