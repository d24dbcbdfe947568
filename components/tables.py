"""Tables: wider than a phone's screen, and built as data when they have many cells."""

from __future__ import annotations

from dash import html
from dash.development.base_component import Component


def as_data(kind: type[Component], children=None, **props) -> dict:
    """``kind(children, **props)`` as Dash sends it (its ``to_plotly_json()``), built as data: a table of
    hundreds of cells (a chart's data, a thread's saved runs) spent most of its drawing in creating a
    component object per cell, which Dash then turned back into this (docs/performance.md, "Serialising
    responses"). Props are passed as the component takes them (``aria-*``/``data-*`` by name); only the
    props given are sent, as a component sends only those it was given (tests/dashboard/test_wire.py
    compares the two)."""
    if children is not None:
        props = {"children": children, **props}
    return {"props": props, "type": kind._type, "namespace": kind._namespace}


def scrolling(table, label: str) -> html.Div:
    """``table`` in a box that scrolls sideways when the screen is narrower than it: the box is a named
    region that keyboard users reach with Tab and scroll with the arrow keys (WCAG 2.1.1), and that
    screen readers announce by ``label``."""
    return html.Div(table, className="table-responsive", tabIndex="0", role="region", **{"aria-label": label})
