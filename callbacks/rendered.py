"""Results as sent to the browser (the UI's concern, so here rather than in the analytics below), kept
per scenario: for a scenario already computed, building the
panel's components and serialising its figures is most of what a run costs, so it is done once.

``remember`` stores the rendered output as plain JSON-ready data (never component objects), under the
page and the scenario (the clean form, the household and the version(s) of its data the page reads; the
market data are the bundled dataset, part of every key through the engine version), scoped to the
household so a change to its data drops it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson

from dashboard import wire
from dashboard.extensions import cache

# The shape of what the pages render: part of every key, raised when a page's rendered output changes
# shape (a panel kept by an older release is then never read back into the new code).
RENDER_VERSION = 3  # 3: the Overview's panel holds a slot its threads list is placed in
OPERATION = "rendered"


def scenario_key(value) -> Any:
    """A cache key of primitives for a scenario (requests, dataclasses, tuples, primitives)."""
    if hasattr(value, "key") and callable(value.key):
        return value.key()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: scenario_key(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [scenario_key(v) for v in value]
    if isinstance(value, dict):
        return {str(k): scenario_key(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    raise TypeError(f"a scenario holds a {type(value).__name__}, which has no cache key")


def plain(output):
    """Components and figures as the JSON-ready data Dash would send (``wire.to_json`` writes strict
    JSON - NaN as null, integers of 64 bits - which orjson reads as the standard library would)."""
    return orjson.loads(wire.to_json(output))


def _request(page: str, scenario) -> dict:
    return {"page": page, "render": RENDER_VERSION, "scenario": scenario_key(scenario)}


def remember(page: str, scenario, household: int | None, build: Callable[[], Any], refresh: bool = False):
    """``build()``'s output for ``page`` and ``scenario``, rendered once and kept (``refresh``: build again)."""
    return cache.get_or_compute(
        OPERATION, _request(page, scenario), lambda: plain(build()), household=household, refresh=refresh
    )


def remembered(page: str, scenario, household: int | None):
    """What ``remember`` kept for ``page`` and ``scenario``, or None (nothing is built)."""
    return cache.lookup(OPERATION, _request(page, scenario), household=household)


def placed(tree, slot: str, part):
    """``tree`` (rendered as ``remember`` keeps it) with its component whose id is ``slot`` replaced by
    ``part``: a panel kept apart from a part of it that changes more often. The dicts and lists along
    the way are copied, the rest shared: what the cache keeps is never changed. A tree without the
    slot (a panel that shows no such part, e.g. a household without accounts) is given as it is."""
    found = _placed(tree, slot, part)
    return tree if found is None else found


def _placed(node, slot: str, part):
    if isinstance(node, list):
        for i, child in enumerate(node):
            found = _placed(child, slot, part)
            if found is not None:
                return [*node[:i], found, *node[i + 1 :]]
        return None
    if not isinstance(node, dict) or not isinstance(node.get("props"), dict):
        return None
    props = node["props"]
    if props.get("id") == slot:
        return part
    found = _placed(props.get("children"), slot, part)
    return None if found is None else {**node, "props": {**props, "children": found}}
