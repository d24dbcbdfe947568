"""Charts: one ``dcc.Graph`` configuration for every page, and the box each chart is drawn in.

A chart is delivered as its box (the figure's height, reserved so nothing moves)
and its figure in a store; ``assets/meridian.js`` (``mountChart``) mounts the
graph in the box once the panel around it has been painted. So a page's
results are on screen before plotly.js is fetched and a chart is drawn: the
analyst reads the numbers while the charts arrive.
"""

from __future__ import annotations

from dash import dcc, html

from components import ids

GRAPH_CONFIG = {"displaylogo": False, "responsive": True}
# Small summary charts (the Overview): nothing to zoom or export, so no toolbar over the title.
STATIC_CONFIG = {"displayModeBar": False, "responsive": True}


def graph(graph_id: str, figure: dict, toolbar: bool = True) -> html.Div:
    """The box of chart ``graph_id`` (the dcc.Graph's id once mounted) and its figure."""
    height = (figure.get("layout") or {}).get("height")
    style = {"height": f"{height}px"} if height else None
    spec = {
        "id": graph_id,
        "figure": figure,
        "config": GRAPH_CONFIG if toolbar else STATIC_CONFIG,
        "style": style,
    }
    return html.Div(
        [
            dcc.Store(id=ids.chart_figure(graph_id), data=spec),
            html.Div(id=ids.chart_box(graph_id), style=style),
        ],
        className="chart",
        style={"minHeight": style["height"]} if style else None,
    )
