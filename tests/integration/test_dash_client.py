"""The signed-in Dash client the tests, benchmarks and load runs share (harness/dash_client.py)."""

from __future__ import annotations

import json

import dash_bootstrap_components as dbc
from dash import html

from dashboard import wire
from harness import dash_client
from harness.dash_client import answer_alerts


def _answer(payload: dict) -> tuple[bytes, dict]:
    content = wire.to_json(payload).encode()  # the bytes the app sends
    return content, json.loads(content)


def test_client001_an_answers_alerts_are_found_and_looked_for_only_where_there_can_be_one(monkeypatch):
    danger = {
        "risk-alert": {"children": dbc.Alert(["The seed ", html.B("-1"), " is not valid."], color="danger")}
    }
    assert answer_alerts(*_answer({"multi": True, "response": danger})) == ["The seed  -1  is not valid."]
    side = {"shell-alerts": {"children": [dbc.Alert("Household 9 is not one of yours.", color="warning")]}}
    found = answer_alerts(*_answer({"multi": True, "response": {"x": {"data": 1}}, "sideUpdate": side}))
    assert found == ["Household 9 is not one of yours."]
    # a success is no failure; the word in prose is no alert
    saved = {"goals-alert": {"children": dbc.Alert("Goal saved.", color="success")}}
    assert answer_alerts(*_answer({"multi": True, "response": saved})) == []
    prose = {"risk-results": {"children": html.P('An "Alert" is not shown here')}}
    assert answer_alerts(*_answer({"multi": True, "response": prose})) == []

    walked = []
    monkeypatch.setattr(dash_client, "alerts_in", lambda r: walked.append(r) or [])
    plain = {"risk-results": {"children": html.Div([html.P("Volatility 12 %")] * 200)}}
    assert answer_alerts(*_answer({"multi": True, "response": plain})) == [] and walked == []
