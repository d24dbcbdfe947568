"""Tables wider than a phone's screen."""

from __future__ import annotations

from dash import html


def scrolling(table, label: str) -> html.Div:
    """``table`` in a box that scrolls sideways when the screen is narrower than it: the box is a named
    region that keyboard users reach with Tab and scroll with the arrow keys (WCAG 2.1.1), and that
    screen readers announce by ``label``."""
    return html.Div(table, className="table-responsive", tabIndex="0", role="region", **{"aria-label": label})
