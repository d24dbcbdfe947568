"""Bad input, proven (issue 14, point 5): the callback endpoint and the metrics ingest endpoint take
property-based junk — wrong types, huge and deeply nested values, unknown ids and callbacks, NaN and
Infinity, any unicode — and answer with a 4xx or a polite result: never a 500, never a change to the
database."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.dash_client import DashSite, Layout
from tests.conftest import signed_client
from tests.security.test_isolation import database_digest

UPDATE = "/_dash-update-component"
INGEST = "/api/v1/performance-metrics/web-vitals"

junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=40,
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def fuzzed(app):
    client = signed_client(app)
    site = DashSite(client.get("/_dash-dependencies").get_json())
    shell = client.get("/_dash-layout").get_json()
    before = database_digest()
    yield client, site, Layout.of(shell)
    assert database_digest() == before, "fuzzed requests changed the database"


def _post(client, path, body):
    data = body if isinstance(body, bytes | str) else json.dumps(body, allow_nan=True)
    return client.post(path, data=data, content_type="application/json")


@FUZZ
@given(data=st.data())
def test_sec010_callback_endpoint_takes_junk_politely(fuzzed, data):
    client, site, layout = fuzzed
    callback = data.draw(st.sampled_from(site.callbacks))
    body = site.body(callback, layout, {}, [], {"page": "mc"})
    where = data.draw(st.sampled_from(["value", "inputs", "state", "output", "outputs", "body", "changed"]))
    if where == "value" and body["inputs"]:
        entries = [e for e in body["inputs"] if isinstance(e, dict)]
        if entries:
            data.draw(st.sampled_from(entries))["value"] = data.draw(junk)
    elif where == "body":
        body = data.draw(junk)
    elif where == "changed":
        body["changedPropIds"] = data.draw(junk)
    else:
        body[where] = data.draw(junk)
    response = _post(client, UPDATE, body)
    assert response.status_code < 500, (where, response.get_data()[:300])


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 20000 + b"]" * 20000,  # nesting deeper than any parser should follow
        b'{"page": "/", "vitals": ' + b"[" * 9000 + b"]" * 9000 + b"}",
        json.dumps({"output": "x", "inputs": [[[[[[[[[[[]]]]]]]]]]]}),
        json.dumps({"output": "shell-household-select.value", "inputs": list(range(300000))}),  # too large
        b"\xff\xfe not json",
        json.dumps({"output": "\u202e\U0001f4a9" * 50, "inputs": [], "state": []}),
        '{"output": NaN, "inputs": Infinity}',
    ],
)
def test_sec011_hostile_bodies_are_refused_not_crashed_on(fuzzed, body):
    client, _site, _layout = fuzzed
    for path in (UPDATE, INGEST):
        response = _post(client, path, body)
        assert 400 <= response.status_code < 500, (path, response.get_data()[:300])


@FUZZ
@given(body=junk)
def test_sec012_metrics_ingest_takes_junk_politely(fuzzed, body):
    client, _site, _layout = fuzzed
    response = _post(client, INGEST, body)
    assert response.status_code < 500, response.get_data()[:300]
    if response.status_code < 300:
        assert response.status_code == 202
