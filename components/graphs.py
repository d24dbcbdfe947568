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
from components.tables import as_data, scrolling

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


# Okabe & Ito's palette: told apart with every common colour-vision deficiency (series are also told
# apart by name, dash or position, never by colour alone)
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
TABLE_ROWS = 40  # a chart's data table shows at most this many rows (evenly spaced, the last kept)


def _title(figure: dict) -> str:
    title = (figure.get("layout") or {}).get("title")
    text = title.get("text") if isinstance(title, dict) else title
    return str(text or "Chart")


def _formatter(figure: dict, axis: str):
    """How an axis' values read (percent, dollars or plain), from its tick settings."""
    settings = (figure.get("layout") or {}).get(axis) or {}
    fmt, prefix = str(settings.get("tickformat") or ""), settings.get("tickprefix") or ""
    if "%" in fmt:
        return lambda v: f"{v * 100:.1f}%"
    if prefix == "$":
        return lambda v: f"${v:,.0f}"
    return lambda v: f"{v:,.4g}" if isinstance(v, float) else str(v)


def _numbers(values) -> list[float]:
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool) and v == v]


def describe(figure: dict) -> str:
    """A chart in one sentence with its headline numbers (its text alternative): its title, then for
    each named series where it ends and its range, or a pie's largest slice, or a heatmap's size."""
    traces = figure.get("data") or []
    y_of = _formatter(figure, "yaxis")
    parts = []
    for trace in traces[:6]:
        kind = trace.get("type", "scatter")
        name = trace.get("name")
        if kind == "pie":
            labels, values = list(trace.get("labels") or []), _numbers(trace.get("values") or [])
            if values:
                total = sum(values) or 1.0
                top = max(range(len(values)), key=values.__getitem__)
                parts.append(f"largest {labels[top]} at {values[top] / total:.0%} of {len(values)} slices")
        elif kind == "bar" and trace.get("orientation") == "h":
            x_of = _formatter(figure, "xaxis")
            pairs = list(zip(trace.get("y") or [], _numbers(trace.get("x") or []), strict=False))
            parts.append(", ".join(f"{label} {x_of(value)}" for label, value in pairs[:8]))
        elif kind == "heatmap":
            z = trace.get("z") or []
            parts.append(f"{len(z)} by {len(z[0]) if z else 0} values")
        elif name and trace.get("showlegend", True) is not False:
            ys = _numbers(trace.get("y") or [])
            if ys:
                parts.append(f"{name}: from {y_of(min(ys))} to {y_of(max(ys))}, last {y_of(ys[-1])}")
    detail = "; ".join(parts)
    return f"{_title(figure)}." + (f" {detail}." if detail else "")


def data_table(figure: dict) -> html.Table:
    """The chart's data as a table (its series side by side over the x values; at most ``TABLE_ROWS``
    rows, evenly spaced)."""
    traces = [
        t
        for t in figure.get("data") or []
        if t.get("type", "scatter") not in ("pie", "heatmap") and t.get("y") is not None
    ]
    pies = [t for t in figure.get("data") or [] if t.get("type") == "pie"]
    across = [t for t in traces if t.get("type") == "bar" and t.get("orientation") == "h"]
    if across:  # horizontal bars: a category per row
        x_of = _formatter(figure, "xaxis")
        header = ["Item"] + [str(t.get("name") or "Value") for t in across]
        values = {}
        for t in across:
            for label, value in zip(t.get("y") or [], t.get("x") or [], strict=False):
                values.setdefault(str(label), []).append(
                    x_of(value) if isinstance(value, int | float) else "—"
                )
        rows = [[label, *cells] for label, cells in values.items()]
    elif pies:
        pie = pies[0]
        header = ["Slice", "Value"]
        rows = [
            [str(label), f"{value:,.0f}"]
            for label, value in zip(pie.get("labels") or [], pie.get("values") or [], strict=False)
        ]
    elif traces:
        x_of, y_of = _formatter(figure, "xaxis"), _formatter(figure, "yaxis")
        xs = list(traces[0].get("x") or range(len(traces[0]["y"])))
        step = max(1, -(-len(xs) // TABLE_ROWS))
        keep = sorted(set(range(0, len(xs), step)) | {len(xs) - 1}) if xs else []
        header = (
            [((figure.get("layout") or {}).get("xaxis") or {}).get("title", {}).get("text", "x")]
            if isinstance(((figure.get("layout") or {}).get("xaxis") or {}).get("title"), dict)
            else ["x"]
        )
        header += [str(t.get("name") or f"Series {i + 1}") for i, t in enumerate(traces)]
        rows = []
        for i in keep:
            cells = [x_of(xs[i]) if isinstance(xs[i], int | float) else str(xs[i])]
            for t in traces:
                ys = list(t.get("y") or [])
                value = ys[i] if i < len(ys) else None
                cells.append(y_of(value) if isinstance(value, int | float) and value == value else "—")
            rows.append(cells)
    else:
        header, rows = ["Data"], [["This chart's data are in the tables beside it."]]
    return html.Table(
        [
            as_data(html.Thead, as_data(html.Tr, [as_data(html.Th, h, scope="col") for h in header])),
            as_data(html.Tbody, [as_data(html.Tr, [as_data(html.Td, c) for c in row]) for row in rows]),
        ],
        className="table table-sm small mb-0",
    )


def graph(graph_id: str, figure: dict, toolbar: bool = True, summary: str | None = None) -> html.Div:
    """The box of chart ``graph_id`` (the dcc.Graph's id once mounted) and its figure; the box is a
    figure named by ``summary`` (default: :func:`describe`), and the chart's data follow as a table."""
    figure = below_toolbar(figure, toolbar)
    layout = figure.setdefault("layout", {})
    layout.setdefault("colorway", OKABE_ITO)
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
            html.Div(
                id=ids.chart_box(graph_id),
                style=style,
                # a figure (not an image: its toolbar's buttons stay reachable) named by its summary
                role="figure",
                **{"aria-label": summary or describe(figure)},
            ),
            html.Details(
                [
                    html.Summary("Data as table", className="small"),
                    scrolling(data_table(figure), f"{_title(figure)}: data"),
                ],
                className="chart-data",
            ),
        ],
        className="chart",
        style={"minHeight": style["height"]} if style else None,
    )
