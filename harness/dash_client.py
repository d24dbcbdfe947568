"""Callback requests built from the app itself, as the browser builds them: no hand-copied JSON.

A :class:`DashSite` reads the app's ``/_dash-dependencies`` once; a page's
layout comes from Dash's own router callback (``_pages_content``), and a
callback's body is filled from that layout's component values (pattern-matching
inputs, states and outputs resolved against it), with the values a scenario
changes and the input that fired. So a page or callback that changes never
leaves the load suite sending stale requests.

Standard library only (the load environment and the app's environment both import it).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

WILDCARDS = ("ALL", "MATCH", "ALLSMALLER")
UPDATE = "_dash-update-component"


def parse_id(raw: str) -> str | dict:
    """A dependency's id: a string, or a dict whose wildcard values are "ALL", "MATCH"..."""
    if raw.startswith("{"):
        parsed = json.loads(raw)
        return {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in parsed.items()}
    return raw


def key_of(component_id) -> str:
    """A hashable key for a component id (dict ids as compact JSON with sorted keys, as Dash writes them)."""
    return (
        json.dumps(component_id, sort_keys=True, separators=(",", ":"))
        if isinstance(component_id, dict)
        else component_id
    )


def split_outputs(output: str) -> list[tuple[str | dict, str]]:
    """``"..a.b...c.d.."`` or ``"a.b"`` -> [(id, property)] (``@hash`` of duplicate outputs dropped)."""
    text = output[2:-2] if output.startswith("..") else output
    parts = []
    for part in text.split("..."):
        component, prop = part.rsplit(".", 1)
        parts.append((parse_id(component), prop.split("@", 1)[0]))
    return parts


def matches(pattern, component_id) -> bool:
    if not isinstance(pattern, dict):
        return pattern == component_id
    if not isinstance(component_id, dict) or set(pattern) != set(component_id):
        return False
    return all(v in WILDCARDS or component_id[k] == v for k, v in pattern.items())


def walk(node) -> Iterator[dict]:
    """Every component (as Dash serialises it: type, namespace, props) in a layout tree."""
    if isinstance(node, list):
        for child in node:
            yield from walk(child)
    elif isinstance(node, dict) and "props" in node and "type" in node:
        yield node
        for value in node["props"].values():
            yield from walk(value)


def nav_paths(shell) -> list[str]:
    """The pages the shell's navigation bar links to, in its order (the app's own list of pages)."""
    return [
        node["props"]["href"]
        for node in walk(shell)
        if node["type"] == "NavLink" and isinstance(node["props"].get("href"), str)
    ]


@dataclass
class Layout:
    """Component props by id, from a layout tree; callbacks' results can be merged in."""

    props: dict[str, dict] = field(default_factory=dict)
    ids: dict[str, str | dict] = field(default_factory=dict)
    # the ids each wildcard pattern matched (a page's form: ~90 fields), until the layout changes
    _matched: dict[str, list] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, *trees) -> Layout:
        layout = cls()
        for tree in trees:
            layout.add(tree)
        return layout

    def add(self, tree) -> None:
        self._matched.clear()
        for component in walk(tree):
            component_id = component["props"].get("id")
            if component_id is not None:
                self.props[key_of(component_id)] = dict(component["props"])
                self.ids[key_of(component_id)] = component_id

    def value(self, component_id, prop: str):
        return self.props.get(key_of(component_id), {}).get(prop)

    def matching(self, pattern) -> list:
        key = key_of(pattern)
        if key not in self._matched:
            self._matched[key] = [cid for cid in self.ids.values() if matches(pattern, cid)]
        return list(self._matched[key])

    def apply(self, response: Mapping) -> None:
        """Fold a callback response (new props, new children with components) into the layout."""
        for key, props in (response or {}).items():
            component_id = json.loads(key) if key.startswith("{") else key
            self.props.setdefault(key_of(component_id), {}).update(props)
            if key_of(component_id) not in self.ids:
                self._matched.clear()
                self.ids[key_of(component_id)] = component_id
            for value in props.values():
                self.add(value)


@dataclass(frozen=True)
class Callback:
    output: str
    inputs: list[dict]
    state: list[dict]

    def outputs(self) -> list[tuple[str | dict, str]]:
        return split_outputs(self.output)


class DashSite:
    """The app's callbacks, read from ``/_dash-dependencies``."""

    def __init__(self, dependencies: list[dict]):
        self.callbacks = [
            Callback(d["output"], d["inputs"], d["state"])
            for d in dependencies
            if not d.get("clientside_function") and not d.get("no_output")
        ]
        self._found: dict[tuple, Callback] = {}  # each lookup once (a load run asks thousands of times)

    def callback(self, *outputs: str) -> Callback:
        """The server callback whose outputs include all of ``outputs`` ("id.prop"; a duplicate output,
        "id.prop@…", belongs to another callback)."""

        def parts(output: str) -> set[str]:
            return set((output[2:-2] if output.startswith("..") else output).split("..."))

        def find() -> Callback:
            found = [c for c in self.callbacks if set(outputs) <= parts(c.output)]
            if len(found) != 1:
                raise LookupError(f"{len(found)} callbacks output {outputs}")
            return found[0]

        return self._once(("output", *outputs), find)

    def triggered_by(self, dependency: str) -> Callback:
        """The server callback with ``dependency`` ("id.prop") among its inputs."""

        def find() -> Callback:
            found = [
                c for c in self.callbacks if any(f"{i['id']}.{i['property']}" == dependency for i in c.inputs)
            ]
            if len(found) != 1:
                raise LookupError(f"{len(found)} callbacks take {dependency}")
            return found[0]

        return self._once(("input", dependency), find)

    def _once(self, question: tuple, find) -> Callback:
        if question not in self._found:
            self._found[question] = find()
        return self._found[question]

    def router(self) -> Callback:
        return self.callback("_pages_content.children")

    def body(
        self,
        callback: Callback,
        layout: Layout,
        changed: Mapping[str, Any] | None = None,
        fired: list[str] | None = None,
        match: Mapping[str, Any] | None = None,
    ) -> dict:
        """The request for ``callback`` with the layout's values; ``changed``: {"id.prop" or
        '{"index":"seed","type":"risk-field"}.value': value} overrides; ``fired``: changedPropIds;
        ``match``: the values ``MATCH`` stands for (e.g. {"page": "risk"})."""
        changed = dict(changed or {})

        def concrete(pattern):
            if isinstance(pattern, dict) and "MATCH" in pattern.values():
                return {k: (match or {})[k] if v == "MATCH" else v for k, v in pattern.items()}
            return pattern

        def entry(component_id, prop: str, with_value: bool):
            item = {"id": component_id, "property": prop}
            if with_value:
                override = f"{key_of(component_id)}.{prop}"
                item["value"] = changed[override] if override in changed else layout.value(component_id, prop)
                if prop == "id" and item["value"] is None:
                    item["value"] = component_id
            return item

        def dependency(spec: dict, with_value: bool):
            pattern = concrete(parse_id(spec["id"]))
            if isinstance(pattern, dict) and any(v in WILDCARDS for v in pattern.values()):
                return [entry(cid, spec["property"], with_value) for cid in layout.matching(pattern)]
            return entry(pattern, spec["property"], with_value)

        outputs = []
        for component, prop in callback.outputs():
            pattern = component = concrete(component)
            if isinstance(pattern, dict) and any(v in WILDCARDS for v in pattern.values()):
                outputs.append([{"id": cid, "property": prop} for cid in layout.matching(pattern)])
            else:
                outputs.append({"id": component, "property": prop})
        return {
            "output": callback.output,
            "outputs": outputs if callback.output.startswith("..") else outputs[0],
            "inputs": [dependency(spec, True) for spec in callback.inputs],
            "state": [dependency(spec, True) for spec in callback.state],
            "changedPropIds": list(fired or []),
        }

    def page_body(self, path: str, search: str = "") -> dict:
        router = self.router()
        layout = Layout()
        return self.body(
            router,
            layout,
            {"_pages_location.pathname": path, "_pages_location.search": search},
            ["_pages_location.pathname"],
        )


def field(form: str, name: str, prop: str = "value") -> str:
    """The override key of a form field's property (see ``components/ids.field``)."""
    return f"{key_of({'type': f'{form}-field', 'index': name})}.{prop}"


def alerts_in(response: Mapping) -> list[str]:
    """Texts of error alerts a callback response puts on the page (a 200 can still be a failure)."""
    found = []
    for props in (response or {}).values():
        for value in props.values():
            for component in walk(value):
                p = component["props"]
                if component["type"] == "Alert" and p.get("color") in ("danger", "warning"):
                    found.append(_text(p.get("children")))
    return found


def answer_alerts(content: bytes, payload: Mapping) -> list[str]:
    """``alerts_in`` over a callback's whole answer (its response and side updates), ``content`` being the
    answer's bytes: an alert is a component of type "Alert", so without those bytes there is none and the
    tree is not walked (the load generator checks every answer, on the server's cores)."""
    if b'"Alert"' not in content:
        return []
    return alerts_in(payload.get("response") or {}) + alerts_in(payload.get("sideUpdate") or {})


def _text(node) -> str:
    if node is None:
        return ""
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list):
        return " ".join(_text(n) for n in node)
    if isinstance(node, dict):
        return _text(node.get("props", {}).get("children"))
    return ""


SIGN_IN_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
# what the sign-in page says when it asks for another try shortly (sign-ins of the account in flight, or
# the password checks busy), as opposed to a pause of minutes after failed attempts
TRY_AGAIN = "try again in a moment"


def sign_in_form(page: str, email: str, password: str, next_path: str = "/") -> dict:
    """The sign-in form as the sign-in page's HTML ``page`` asks it to be sent (its token)."""
    return {
        "email": email,
        "password": password,
        "csrf": SIGN_IN_TOKEN.search(page).group(1),
        "next": next_path,
    }


def sign_in_through_form(
    get_page: Callable[[], str],
    post: Callable[[dict], tuple[str, Any]],
    email: str,
    password: str,
    next_path: str = "/",
    tries: int = 8,
    pause: float = 1.0,
):
    """The sign-in conversation of every client of the tests, benchmarks and locustfile: the sign-in page,
    its form's token, the POST. Asked to try again in a moment, it does, as a person would, up to
    ``tries`` times. ``get_page()`` is the page's HTML; ``post(form)`` is (the answer's text, the
    response); the last response is returned."""
    for attempt in range(tries):
        text, response = post(sign_in_form(get_page(), email, password, next_path))
        if TRY_AGAIN not in text:
            break
        time.sleep(min(pause * (attempt + 1), 4.0))
    return response


def signed_opener(base: str, email: str | None = None, password: str | None = None):
    """A urllib opener signed in to the app at ``base`` through its sign-in form (LOAD_EMAIL and
    LOAD_PASSWORD, by default the demo analyst)."""
    import http.cookiejar
    import os
    import urllib.error
    import urllib.parse
    import urllib.request

    email = email or os.environ.get("LOAD_EMAIL", "analyst@meridian.example")
    password = password or os.environ.get("LOAD_PASSWORD", "meridian-demo")
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(form: dict) -> tuple[str, Any]:
        data = urllib.parse.urlencode(form).encode()
        try:
            with opener.open(base + "/login", data=data, timeout=30) as answer:
                return answer.read().decode(), answer
        except urllib.error.HTTPError as refused:
            return refused.read().decode(), refused

    answer = sign_in_through_form(
        lambda: opener.open(base + "/login", timeout=30).read().decode(), post, email, password
    )
    if "/login" in answer.geturl():
        raise RuntimeError(f"could not sign in to {base} as {email}")
    opener.cookie_header = "; ".join(f"{c.name}={c.value}" for c in jar)  # for tools that take a header
    opener.csrf_token = next((c.value for c in jar if c.name == "_csrf_token"), "")
    opener.addheaders.append(("X-CSRFToken", opener.csrf_token))  # as Dash's renderer sends it
    return opener
