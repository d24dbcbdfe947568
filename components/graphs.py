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

# The toolbar keeps what an analyst uses (save as PNG, zoom, pan, reset): short enough to stay one row
# in the narrowest chart, so it never reaches down onto the title.
GRAPH_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": [
        "select2d",
        "lasso2d",
        "zoomIn2d",
        "zoomOut2d",
        "autoScale2d",
        "sendDataToCloud",
    ],
}
# Small summary charts (the Overview): nothing to zoom or export, so no toolbar over the title.
STATIC_CONFIG = {"displayModeBar": False, "responsive": True}


# Money on an axis: $140M, $2.5k (short, so the fixed margins always hold the labels).
MONEY_TICKS = {"tickprefix": "$", "tickformat": "~s"}

# The toolbar (top right, ~28 px tall, shown on hover) never covers a chart's title: titled charts
# with a toolbar have their title set below it.
TOOLBAR_PX = 30


def below_toolbar(figure: dict, toolbar: bool = True) -> dict:
    """``figure`` with its title moved below the toolbar's band and the top margin grown to match, and a
    legend under the plot moved to its right (under it, it would sit on the axis title)."""
    # (no axis automargin: it makes plotly lay a chart out twice, ~50-100 ms of main thread per chart;
    # money axes use short SI ticks instead, MONEY_TICKS, so no label outgrows its margin)
    layout = dict(figure.get("layout") or {})
    figure = {**figure, "layout": layout}
    legend = layout.get("legend")
    if isinstance(legend, dict) and legend.get("orientation") == "h" and legend.get("y", 1) < 0:
        layout["legend"] = {"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"}
        figure = {**figure, "layout": layout}
    title = layout.get("title")
    height = layout.get("height")
    if not toolbar or not title or not height:
        return figure
    title = {"text": title} if isinstance(title, str) else dict(title)
    size = (title.get("font") or {}).get("size", 17)
    title.update(yref="container", y=1 - TOOLBAR_PX / height, yanchor="top")
    margin = dict(layout.get("margin") or {})
    margin["t"] = max(margin.get("t", 0), TOOLBAR_PX + size + 16)
    layout.update(title=title, margin=margin)
    return {**figure, "layout": layout}


def decimate(x: list, y, max_points: int = 1200) -> tuple[list, list]:
    """At most about ``max_points`` of a long series, keeping each stretch's lowest and highest point (and
    the first and last), so a trough or a peak the cards quote is always on the chart."""
    values = [float(v) for v in y]
    n = len(values)
    if n <= max_points:
        return list(x), values
    width = -(-n // (max_points // 2))
    keep = {0, n - 1}
    for start in range(0, n, width):
        stretch = range(start, min(start + width, n))
        keep.add(min(stretch, key=values.__getitem__))
        keep.add(max(stretch, key=values.__getitem__))
    index = sorted(keep)
    return [x[i] for i in index], [values[i] for i in index]


def graph(graph_id: str, figure: dict, toolbar: bool = True) -> html.Div:
    """The box of chart ``graph_id`` (the dcc.Graph's id once mounted) and its figure."""
    figure = below_toolbar(figure, toolbar)
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
