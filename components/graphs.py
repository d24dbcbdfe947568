"""Charts: one ``dcc.Graph`` configuration for every page (no Plotly logo, responsive)."""

from __future__ import annotations

from dash import dcc, html

GRAPH_CONFIG = {"displaylogo": False, "responsive": True}
# Small summary charts (the Overview): nothing to zoom or export, so no toolbar over the title.
STATIC_CONFIG = {"displayModeBar": False, "responsive": True}


def graph(graph_id: str, figure: dict, toolbar: bool = True, **kwargs) -> html.Div:
    """A chart in a box that has the figure's height from the start: the graph component and plotly.js
    arrive after the page is painted, and a box that grew when they did would push what is below it down."""
    height = (figure.get("layout") or {}).get("height")
    chart = dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG if toolbar else STATIC_CONFIG, **kwargs)
    return html.Div(chart, style={"minHeight": f"{height}px"} if height else None)
