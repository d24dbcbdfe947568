"""Dash's JSON in one orjson pass (dashboard/wire.py): the bytes plotly's ``to_json_plotly`` writes, and
the app's responses written by it."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import gzip
import json
import re

import brotli
import dash._callback
import dash.dash
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import dash_table, dcc, html
from dash._utils import AttributeDict
from dash.development.base_component import Component
from plotly.io.json import to_json_plotly

from dashboard import wire
from harness.dash_client import DashSite, Layout
from tests.callbacks.test_pages import households
from tests.conftest import signed_client


@dataclasses.dataclass
class Point:
    x: int
    y: float


class Label(str):
    pass


class Labels(list):
    pass


Pair = collections.namedtuple("Pair", "left right")


# Every value holds a component, so plotly cleans it (its path for every response of the app).
VALUES = {
    "floats, NaN, infinities, escapes": {
        "a": [1, 2.5, float("nan"), float("inf"), -float("inf"), None, True],
        "b": html.Div([html.P("x</script><b>"), dcc.Graph(figure=go.Figure(go.Scatter(x=[1, 2], y=[3, 4])))]),
    },
    "numpy arrays of every kind": [
        html.Div(id={"type": "t", "index": 1}),
        np.arange(5),
        np.array([0.1, np.nan, 2.0]),
        np.arange(6).reshape(2, 3)[:, 1],  # not contiguous
        np.array([True, False]),
        np.array(["a", "b"]),
        np.array([1, "x", None], dtype=object),
        np.array(["2020-01-01", "2021-06-30"], dtype="datetime64[D]"),
    ],
    "scalars plotly converts": (
        html.Span(),
        dt.date(2020, 1, 2),
        dt.datetime(2020, 1, 2, 3, 4, 5),
        pd.Timestamp("2021-03-04 05:06"),
        decimal.Decimal("1.5"),
        np.float64(1.25),
        np.float32(0.1),
        np.int64(7),
        np.bool_(True),
        pd.NaT,
    ),
    "pandas, subclasses, keys, separators": [
        html.B(),
        pd.Series([1.0, 2.0]),
        pd.Series(pd.to_datetime(["2020-01-01", "2020-01-02"])),
        pd.DatetimeIndex(["2020-01-01"]),
        Label("a label"),
        {1: "an int key", "u": "\u2028 \u2029 é ü ✓"},
        Point(3, 0.5),
        AttributeDict(a=1, b=[html.I(), AttributeDict(c=np.int64(2))]),
        Pair(1, html.Div()),
        Labels(["x", Label("y")]),
    ],
    "figures and tables": {
        "figure": go.Figure(go.Bar(x=["a", "b"], y=np.array([1.0, 2.0]))),
        "table": dash_table.DataTable(data=[{"a": 1, "b": "x"}], columns=[{"id": "a", "name": "A"}]),
        "nested": html.Div([html.Div([html.Div(["deep", 1, None])])]),
    },
    "a whole response": {
        "multi": True,
        "response": {"risk-results": {"children": [html.H2("Risk"), dcc.Graph(figure={"data": []})]}},
    },
}


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_wire001_writes_the_bytes_plotly_writes(value):
    assert wire.to_json(value) == to_json_plotly(value)


def test_wire002_what_it_cannot_write_fails_as_plotly_fails():
    class Opaque:
        pass

    with pytest.raises(TypeError) as ours:
        wire.to_json({"x": [html.Div(), Opaque()]})
    with pytest.raises(TypeError) as plotlys:
        to_json_plotly({"x": [html.Div(), Opaque()]})
    assert str(ours.value) == str(plotlys.value)


def _decoded(response) -> str:
    data = response.data
    if response.headers.get("Content-Encoding") == "br":
        data = brotli.decompress(data)
    elif response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data.decode()


def test_wire003_the_apps_responses_and_layout_are_written_by_it(app, monkeypatch):
    assert dash._callback.to_json is wire.to_json and dash.dash.to_json is wire.to_json
    hooked = []
    write = wire._write

    def counting(obj):
        hooked.append(isinstance(obj, Component))
        return write(obj)

    monkeypatch.setattr(wire, "_write", counting)
    client = signed_client(app)
    shell = client.get("/_dash-layout").get_json()
    assert hooked, "the layout's components went through the hook"
    site = DashSite(client.get("/_dash-dependencies").get_json())
    routed = client.post("/_dash-update-component", json=site.page_body("/risk")).get_json()
    layout = Layout.of(shell, routed["response"]["_pages_content"]["children"])
    hooked.clear()
    body = site.body(
        site.callback("risk-results.children"),
        layout,
        {"shell-household-select.value": households()[0][0].id, "risk-run.n_clicks": 1},
        ["risk-run.n_clicks"],
    )
    response = client.post("/_dash-update-component", json=body)
    text = _decoded(response)
    assert response.status_code == 200 and any(hooked)  # the results' components
    payload = json.loads(text)
    assert payload["response"]["risk-results"]["children"]  # the panel, as the browser reads it
    assert text == to_json_plotly(payload)  # the bytes plotly writes for what was sent


def test_wire004_a_table_built_as_data_sends_what_its_components_would():
    """A chart's data table and a thread's saved runs are built as data (``as_data``): the same props,
    type and namespace as the components' own ``to_plotly_json()``, and a chart's table the same bytes."""
    import dash_bootstrap_components as dbc
    from dash import dcc

    from components.tables import as_data

    pick = {"type": "threads-pick", "index": 7}
    for kind, children, props in (
        (html.Td, "1.5 %", {}),
        (html.Th, "Date", {"scope": "col"}),
        (html.Td, 3, {}),
        (html.Td, "note", {"className": "small", "aria-label": "Note"}),
        (dbc.Checkbox, None, {"id": pick, "value": False}),
        (dcc.Link, "Open", {"href": "/risk?household=1", "className": "me-2", "id": pick}),
        (dbc.Button, "Delete", {"id": pick, "size": "sm", "color": "link", "className": "text-danger p-0"}),
    ):
        component = kind(**props) if children is None else kind(children, **props)
        assert as_data(kind, children, **props) == component.to_plotly_json()
    built = html.Table(
        [
            as_data(html.Thead, as_data(html.Tr, [as_data(html.Th, "x", scope="col")])),
            as_data(html.Tbody, [as_data(html.Tr, [as_data(html.Td, "1")])]),
        ]
    )
    as_components = html.Table(
        [html.Thead(html.Tr([html.Th("x", scope="col")])), html.Tbody([html.Tr([html.Td("1")])])]
    )
    assert wire.to_json(built) == to_json_plotly(as_components)


@pytest.mark.parametrize("value", list(VALUES.values()), ids=list(VALUES))
def test_wire005_a_kept_panel_reads_back_as_the_standard_library_reads_its_json(value):
    from callbacks.rendered import plain

    kept = plain(value)
    assert kept == json.loads(to_json_plotly(value))
    assert wire.to_json(kept) == to_json_plotly(value)  # and is sent as the panel itself would be


def test_wire006_a_static_file_is_compressed_once_at_its_best_level_for_every_app_of_the_process(
    make_app, seeded_settings, monkeypatch
):
    """Each app serves Dash's scripts compressed at the best level (brotli 9, gzip 9); the second app of a
    process (a worker's app built again, or the tests' next) serves the same bytes without compressing
    them again."""
    from dashboard import delivery

    made = collections.Counter()
    brotli_compress, gzip_compress = delivery.brotli.compress, delivery.gzip.compress

    def counted_brotli(data, **kwargs):
        made["br"] += 1
        return brotli_compress(data, **kwargs)

    def counted_gzip(data, *args, **kwargs):
        made["gzip"] += 1
        return gzip_compress(data, *args, **kwargs)

    monkeypatch.setattr(delivery.brotli, "compress", counted_brotli)
    monkeypatch.setattr(delivery.gzip, "compress", counted_gzip)
    monkeypatch.setattr(delivery, "_BEST", delivery.StaticCompressedCache())  # nothing compressed before
    answers = []
    for _ in range(2):
        app = make_app(seeded_settings)
        client = signed_client(app)
        html_page = client.get("/").get_data(as_text=True)
        renderer = next(src for src in re.findall(r'src="([^"]+)"', html_page) if "dash_renderer" in src)
        for encoding in ("br", "gzip"):
            response = client.get(renderer, headers={"Accept-Encoding": encoding})
            assert response.status_code == 200 and response.headers["Content-Encoding"] == encoding
            answers.append((encoding, response.data))
    assert made == {"br": 1, "gzip": 1}
    assert answers[0] == answers[2] and answers[1] == answers[3]
    raw = brotli.decompress(answers[0][1])
    assert gzip.decompress(answers[1][1]) == raw
    assert answers[0][1] == brotli.compress(raw, quality=9)  # the best level


READ_ALIKE = [
    b'{"a":1,"a":2}',  # the last of a repeated key
    b'{"inputs":[{"id":"x","property":"value","value":-0.0}],"n":1.5e-320,"s":"\\u00e9\\ud83d\\ude00"}',
    b"1e400",  # orjson refuses: Python reads inf
    b"[NaN, Infinity, -Infinity]",  # likewise
    b'"\\ud800"',  # a lone surrogate: likewise
    b"123456789012345678901234567890",  # beyond 64 bits: Python's int, not orjson's float
    b"[9223372036854775807, -9223372036854775808, 18446744073709551615]",
    b'{"a": "1234567890123456789012"}',  # nineteen digits in a string: Python reads it (the same)
    b' \n{ "spaced" : [ 1 , 2 ] } \n',
    "é".encode("latin-1"),  # not UTF-8: both refuse
    b"[1,]",  # both refuse
    b"",
    b"[" * 5000 + b"]" * 5000,  # deeper than both read
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from dashboard.factory import create_server, shutdown
    from dashboard.settings import Settings

    built = create_server(Settings.for_tests(tmp_path_factory.mktemp("wire")))
    yield built
    shutdown(built)


@pytest.mark.parametrize("text", READ_ALIKE)
def test_wire007_request_bodies_read_as_pythons_reader_reads_them(server, text, monkeypatch):
    """RequestJSON (the app's Flask JSON provider) reads with orjson what orjson reads alike, and leaves the
    rest to Python's reader: the same value, or the same error, as ``json.loads``; a request's body too."""
    import flask
    from flask.json.provider import DefaultJSONProvider
    from werkzeug.exceptions import BadRequest

    assert isinstance(server.json, wire.RequestJSON)

    def outcome(read):
        try:
            value = read()
        except (ValueError, RecursionError, BadRequest) as error:
            return ("refused", type(error).__name__)
        return ("read", json.dumps(value, sort_keys=True), repr(value))

    def request_body():
        with server.test_request_context(data=text, content_type="application/json"):
            return outcome(lambda: flask.request.get_json())

    assert outcome(lambda: server.json.loads(text)) == outcome(lambda: json.loads(text))
    ours = request_body()
    monkeypatch.setattr(server, "json", DefaultJSONProvider(server))  # Flask's own, as it was
    assert ours == request_body()
