"""Malformed and tampered requests get a 4xx and a message; frames only from allowed origins."""

import json

import pytest

UPDATE = "/_dash-update-component"


@pytest.fixture
def client(app):
    client = app.server.test_client()
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


def test_hard002_frame_ancestors_and_safe_headers(client, seeded_settings):
    from dashboard import create_app

    response = client.get("/")
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    portal = create_app(
        seeded_settings.replace(allowed_frame_ancestors=("'self'", "https://portal.example.com"))
    )
    headers = portal.server.test_client().get("/").headers
    assert headers["Content-Security-Policy"] == "frame-ancestors 'self' https://portal.example.com"
