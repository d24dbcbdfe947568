"""Every callback's inputs, states and outputs exist in a layout the browser can show.

The index no longer ships Dash's whole-app validation layout (110 KB on every
visit, suppress_callback_exceptions=True), so the check the renderer did with
it is done here instead: a callback wired to an id that no layout has would
silently never fire.
"""

from __future__ import annotations

import json

import dash
import pytest
from dash.development.base_component import Component

from components import ids
from components.shell import create_appshell
from tests.conftest import ADMIN, signed_client

# Components that only callbacks render (with the callback that renders them): not in any page layout.
RENDERED_BY_CALLBACKS = {
    ids.OVERVIEW_TRANSACTIONS: "the grid, drawn once its library has loaded (choose_account)",
    ids.BT.LOG_SCALE: "the growth chart's scale switch, which comes with the backtest's results",
    ids.CMA.SAVE: "the assumptions editor's save, drawn for administrators (show_set)",
}
# Pattern-matching ids whose components come with results (zero of them is a valid state for ALL).
DYNAMIC_TYPES = {
    "goals-edit",
    "goals-probability",
    "threads-pick",
    "threads-delete-run",
    "threads-delete-thread",
    "chart-figure",  # every chart comes with results (components.graphs.graph)
    "chart-box",
    "perf-reset-button",  # shown to admins only
    "cma-edit",  # the assumptions editor's inputs, drawn for administrators
}


def _walk(component, found: set):
    if isinstance(component, list | tuple):
        for child in component:
            _walk(child, found)
        return
    if not isinstance(component, Component):
        return
    component_id = getattr(component, "id", None)
    if component_id is not None:
        found.add(
            json.dumps(component_id, sort_keys=True) if isinstance(component_id, dict) else component_id
        )
    for name in getattr(component, "_children_props", []) or ["children"]:
        _walk(getattr(component, name.split(".")[0].split("[")[0], None), found)
    _walk(getattr(component, "children", None), found)


@pytest.fixture
def layout_ids(app, signed_in) -> tuple[set, set]:
    """(plain ids, pattern types) in the shell and every page's layout, built as the browser gets them
    (by the admin, who sees every page: Operations too)."""
    found: set = set()
    with signed_in(app, ADMIN):
        _walk(create_appshell(), found)
        for page in dash.page_registry.values():
            _walk(page["layout"]() if callable(page["layout"]) else page["layout"], found)
    plain = {i for i in found if not i.startswith("{")}
    types = {json.loads(i)["type"] for i in found if i.startswith("{")}
    return plain, types


def _dependencies(app):
    client = signed_client(app)
    client.get("/")
    return client.get("/_dash-dependencies").get_json()


def _ids_of(spec: str):
    """Component ids in a dependency string: "a.prop", "..a.p...b.q..", '{"type":..}.prop'."""
    text = spec[2:-2] if spec.startswith("..") else spec
    for part in text.split("..."):
        component = part.rsplit(".", 1)[0].split("@")[0]
        yield json.loads(component) if component.startswith("{") else component


def test_layout001_every_callback_dependency_is_in_a_layout(app, layout_ids):
    plain, types = layout_ids
    missing = []
    for callback in _dependencies(app):
        wired = [] if callback.get("no_output") else list(_ids_of(callback["output"]))
        wired += [
            json.loads(d["id"]) if d["id"].startswith("{") else d["id"]
            for d in callback["inputs"] + callback["state"]
        ]
        for component in wired:
            if isinstance(component, dict):
                if component["type"] not in types | DYNAMIC_TYPES:
                    missing.append(component["type"])
            elif component not in plain and component not in RENDERED_BY_CALLBACKS:
                missing.append(component)
    assert sorted(set(missing)) == []


def test_layout002_the_index_is_small_and_has_no_validation_layout(app):
    index = signed_client(app).get("/")
    body = index.get_data(as_text=True)
    assert "validation_layout" not in body
    assert len(body.encode()) < 12_000  # was 106 KB, of which 105 KB was _dash-config
    import re

    scripts = re.findall(r'<script src="([^"]+)"', body)
    assert scripts and not [s for s in scripts if "dash_table" in s or "dash_ag_grid" in s]
    config = json.loads(body.split('id="meridian-config">')[1].split("</script>")[0])
    assert "dash_ag_grid" in config["lazy"] and config["beacon"].endswith("/performance-metrics/web-vitals")


def test_layout003_the_check_would_see_a_miswired_callback(app, layout_ids):
    plain, types = layout_ids
    dependencies = _dependencies(app)
    assert len(dependencies) > 30 and {"mc-results", "opt-frontier", "shell-household-select"} <= plain
    assert "thread-save" in types
    assert list(_ids_of("..a.children@12ab...b.value..")) == ["a", "b"]
    assert "no-such-component" not in plain


def test_layout004_pages_are_named_by_their_module_whoever_builds_the_app(make_app, seeded_settings):
    """The command line and the Celery worker build the app with their package (meridian/) imported;
    the pages are still ``pages.<module>`` (the navigation's ids, the page-view beacons), as under
    gunicorn: Dash names them from the module serving the app, never from that package."""
    import meridian.cli  # noqa: F401 - as ``python -m meridian`` and the worker have it

    make_app(seeded_settings)
    names = sorted(dash.page_registry)
    assert "pages.performance" in names and "pages.risk" in names
    assert all(name.startswith("pages.") for name in names), names


def test_layout005_the_index_tags_are_built_once_per_worker_and_each_file_still_served(app, monkeypatch):
    """The index's script and stylesheet tags (each bundle's fingerprinted address) are built on the first
    page load and then given as they are; every address in them is served."""
    import re

    from dashboard.delivery import MeridianDash

    assert isinstance(app, MeridianDash)
    client = signed_client(app)
    first = client.get("/").get_data(as_text=True)
    built = []
    real = dash.Dash._collect_and_register_resources
    monkeypatch.setattr(
        dash.Dash, "_collect_and_register_resources", lambda *a, **k: built.append(1) or real(*a, **k)
    )
    again = client.get("/risk").get_data(as_text=True)
    assert built == []  # nothing looked up again
    tags = lambda body: re.findall(r'<(?:script src|link rel="stylesheet" href)="([^"]+)"', body)  # noqa: E731
    assert tags(again) == tags(first) and len(tags(first)) > 3
    for src in tags(first):
        if src.startswith("/"):
            assert client.get(src).status_code == 200, src
    # a clientside function registered since is in the next page's index (the pages' title function
    # is registered on the first request, after the first index was built)
    app.clientside_callback(
        "function(v) { return 'layout005-' + v; }",
        dash.Output("layout005-out", "children"),
        dash.Input("layout005-in", "value"),
    )
    assert "layout005-" not in again and "layout005-" in client.get("/").get_data(as_text=True)
    built.clear()
    monkeypatch.setitem(app._dev_tools, "hot_reload", True)  # assets reloaded: built each time
    client.get("/")
    assert built
