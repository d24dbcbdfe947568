"""The layering rules of docs/architecture.md, checked on the source (imports found anywhere in a module).

- data flows one way: pages -> callbacks -> services / analytics facade -> engine; figures from components;
- no import cycle among first-party modules, imports inside functions included;
- callbacks, components and pages never touch the database (sqlalchemy, models, sessions);
- components are pure builders: no pandas, no services, no analytics, no parsing of user input;
- no product module reaches into Dash's private callback registries.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dashboard.settings import PROJECT_ROOT

PACKAGES = ("meridian", "dashboard", "callbacks", "components", "pages", "engine")


def _modules() -> dict[str, Path]:
    found = {"app": PROJECT_ROOT / "app.py"}
    for package in PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _type_checking_lines(tree: ast.AST) -> set[int]:
    """Line numbers inside ``if TYPE_CHECKING:`` blocks (annotations only, never run)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(name: str) -> set[str]:
    """Every module ``name`` imports at run time, at module level or inside a function."""
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    return imports_in(MODULES[name].read_text(), package)


def imports_in(source: str, package: str) -> set[str]:
    tree = ast.parse(source)
    skip = _type_checking_lines(tree)
    out: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def first_party_graph() -> dict[str, set[str]]:
    return {name: {m for m in imports_of(name) if m in MODULES and m != name} for name in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_arch001_no_import_cycle_among_first_party_modules():
    assert _cycles(first_party_graph()) == []


def test_arch002_the_checker_sees_function_level_imports_and_cycles():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from dashboard.services import households\n"
        "def f():\n    from callbacks import threads\n    import engine.optimize\n"
        "from . import sibling\n"
    )
    found = imports_in(source, "dashboard.analytics")
    assert {"callbacks.threads", "engine.optimize", "dashboard.analytics.sibling"} <= found
    assert "dashboard.services.households" not in found  # annotations only
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


FORBIDDEN = {
    # layer: (prefixes it must not import, why)
    "callbacks": (
        # the cache, yes (callbacks/rendered.py keeps rendered panels); the database, never
        ("sqlalchemy", "dashboard.data.models", "dashboard.data.db", "dashboard.extensions.db"),
        "database",
    ),
    "pages": (
        (
            "sqlalchemy",
            "dashboard.data",
            "dashboard.extensions",
            "dashboard.services",
            "dashboard.analytics",
            "callbacks",  # a page drawn with data asks the app for its first view (dash.get_app().view)
        ),
        "database, computation or behaviour",
    ),
    "components": (
        (
            "sqlalchemy",
            "pandas",
            "numpy",
            "dashboard.data",
            "dashboard.extensions",
            "dashboard.services",
            "dashboard.analytics",
            "dashboard.errors",
            "engine",
            "callbacks",
        ),
        "data, computation or parsing",
    ),
    "engine": (("dash", "flask", "plotly", "dashboard", "callbacks", "components", "pages"), "the app"),
    "dashboard.services": (
        ("callbacks", "components", "pages", "dashboard.analytics", "dashboard.forms"),
        "the layers above",
    ),
    "dashboard.analytics": (
        ("callbacks", "components", "pages", "sqlalchemy", "dashboard.data.models", "dash", "plotly"),
        "SQL or the UI's rendering",
    ),
    # the metrics store is low: the cache, the analytics and the app record into it
    "dashboard.metrics": (
        (
            "dashboard.observability",
            "dashboard.services",
            "dashboard.analytics",
            "dashboard.cache",
            "dashboard.extensions",
            "dashboard.data",
            "dashboard.factory",
            "callbacks",
            "components",
            "pages",
        ),
        "the API and reports that read it, or anything that records into it",
    ),
    "dashboard.forms": (
        ("callbacks", "sqlalchemy", "dashboard.services", "dashboard.extensions"),
        "the database",
    ),
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_arch003_each_layer_imports_only_what_it_may(layer):
    prefixes, what = FORBIDDEN[layer]
    offences = [
        f"{name} imports {imported}"
        for name in MODULES
        if name == layer or name.startswith(layer + ".")
        for imported in sorted(imports_of(name))
        if any(imported == p or imported.startswith(p + ".") for p in prefixes)
        and not (layer == "dashboard.forms" and imported == "dashboard.data.models")  # GOAL_PRIORITIES only
    ]
    assert offences == [], f"{layer} must not reach {what}"


def test_arch004_sessions_are_opened_only_by_services_and_the_data_layer():
    opened = [
        name
        for name, path in MODULES.items()
        if "db.session(" in path.read_text() or "db.engine" in path.read_text()
    ]
    allowed = ("dashboard.services.", "dashboard.data.", "dashboard.observability.api", "dashboard.factory")
    assert [n for n in opened if not n.startswith(allowed)] == []


def test_arch005_no_product_module_touches_dashs_private_registries():
    """Nor any other part of ``dash._callback``, but one: ``dashboard.wire`` sets where Dash looks up its
    serialiser (``dash._callback.to_json``; Dash has no setting for it, and test wire003 fails if an
    upgrade moves it). Only that name, only there."""
    import re

    for name, path in MODULES.items():
        source = path.read_text()
        assert "GLOBAL_CALLBACK" not in source and "_pages.PAGE_REGISTRY" not in source, name
        assert "from dash import _callback" not in source, name
        touched = re.sub(r"^\s*import dash\._callback$", "", source, flags=re.M)
        touched = touched.replace("dash._callback.to_json", "") if name == "dashboard.wire" else touched
        assert "dash._callback" not in touched, name


def test_arch006_component_ids_are_written_once():
    """A literal id ("<page>-<thing>") appears in product code only in components/ids.py."""
    import re

    known = set(
        re.findall(
            r'"((?:shell|overview|opt|mc|goals|risk|div|ret|tax|threads)-[a-z0-9-]+)"',
            (PROJECT_ROOT / "components" / "ids.py").read_text(),
        )
    )
    offences = []
    for name, path in MODULES.items():
        if name == "components.ids" or name.startswith("engine"):
            continue
        for literal in re.findall(r'"([a-z]+-[a-z0-9-]+)"', path.read_text()):
            if literal in known:
                offences.append(f"{name}: {literal}")
    assert offences == []


# The app's entries: app.py (the web's) and meridian/ (the command line, the Celery worker). They stand at
# the top: they hand create_app the UI it serves (callbacks.UI), and nothing imports them.
ENTRIES = ("app", "meridian")


def test_arch007_nothing_below_the_ui_imports_it_and_nothing_imports_the_entries():
    """The factory and the errors (and everything else in dashboard/) are handed the UI by the app's
    entries; they never import callbacks, components or pages, and no module imports an entry."""
    offences = [
        f"{name} imports {imported}"
        for name in MODULES
        if name.startswith("dashboard")
        for imported in sorted(imports_of(name))
        if imported.split(".")[0] in ("callbacks", "components", "pages")
    ]
    offences += [
        f"{name} imports {imported}"
        for name in MODULES
        if name.split(".")[0] not in ENTRIES
        for imported in sorted(imports_of(name))
        if imported.split(".")[0] in ENTRIES
    ]
    assert offences == []


def test_arch008_the_metrics_api_and_reports_are_read_from_the_top_only():
    """``dashboard.observability`` (the metrics HTTP API, the Operations reports) reads the store and the
    audit trail: only the factory (which mounts the API) and the Operations page's callbacks import it."""
    readers = ("dashboard.factory", "callbacks.performance", "dashboard.observability")
    offences = [
        f"{name} imports {imported}"
        for name in MODULES
        if not (name == "dashboard.observability" or name.startswith(readers))
        for imported in sorted(imports_of(name))
        if imported == "dashboard.observability" or imported.startswith("dashboard.observability.")
    ]
    assert offences == []


TOOLS = {
    # package: what it must not import
    "harness": ("tests", "benchmarks", "loadtest"),
    "loadtest": ("tests", "benchmarks"),
    "benchmarks": ("tests", "loadtest"),
    "tests": ("benchmarks",),
}


@pytest.mark.parametrize("package", sorted(TOOLS))
def test_arch009_tests_benchmarks_and_load_runs_share_the_harness_and_never_import_each_other(package):
    """One gunicorn launcher, one free port, one signed-in client, one private Redis (``harness/``), used
    by the tests, the benchmarks and the load runs (``loadtest/``); none of them imports another, and the
    product imports none of them."""
    offences = []
    for path in (PROJECT_ROOT / package).rglob("*.py"):
        name = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
        for imported in imports_in(path.read_text(), name.rpartition(".")[0]):
            if imported.split(".")[0] in TOOLS[package]:
                offences.append(f"{name} imports {imported}")
    for name in MODULES:
        offences += [
            f"{name} imports {imported}" for imported in imports_of(name) if imported.split(".")[0] == package
        ]
    assert offences == []
