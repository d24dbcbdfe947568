"""Small shared pieces of result panels: a statistic card and a percentile fan chart."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.graphs import MONEY_TICKS

# (low percentile, high percentile, fill colour, legend name), widest first
FAN_BANDS = (
    (5, 95, "rgba(47, 164, 231, 0.15)", "5th-95th"),
    (10, 90, "rgba(47, 164, 231, 0.25)", "10th-90th"),
    (25, 75, "rgba(47, 164, 231, 0.40)", "25th-75th"),
)


def stat_card(
    label: str, value: str, value_id=None, note: str | None = None, width=3, card_id=None
) -> dbc.Col:
    """A labelled figure; ``value_id`` on the figure itself (tests and screen readers find it there)."""
    figure = html.Div(value, className="fs-4 fw-semibold stat-value")
    if value_id is not None:  # Dash refuses id=None
        figure.id = value_id
    body = [html.Div(label, className="text-muted small"), figure]
    if note:
        body.append(html.Div(note, className="small text-muted"))
    card = dbc.Card(dbc.CardBody(body), id=card_id) if card_id else dbc.Card(dbc.CardBody(body))
    return dbc.Col(card, md=width)


def fan_figure(
    x: list,
    percentiles: dict,
    title: str,
    x_title: str,
    hover: str,
    bands=FAN_BANDS,
    target: float | None = None,
    height: int = 380,
) -> dict:
    """Percentile bands (filled between each pair) around the median, in dollars."""
    traces = []
    for low, high, colour, name in bands:
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": percentiles[high].round(2).tolist(),
                "mode": "lines",
                "line": {"width": 0},
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
        traces.append(
            {
                "type": "scatter",
                "x": x,
                "y": percentiles[low].round(2).tolist(),
                "mode": "lines",
                "line": {"width": 0},
                "fill": "tonexty",
                "fillcolor": colour,
                "name": name,
                "hovertemplate": f"{name}: %{{y:$,.0f}}<extra></extra>",
            }
        )
    traces.append(
        {
            "type": "scatter",
            "x": x,
            "y": percentiles[50].round(2).tolist(),
            "mode": "lines",
            "line": {"color": "#033c73", "width": 2.5},
            "name": "Median",
            "hovertemplate": f"{hover} %{{x}}: median %{{y:$,.0f}}<extra></extra>",
        }
    )
    layout = {
        "title": {"text": title, "font": {"size": 15}, "x": 0.02},
        "xaxis": {"title": {"text": x_title}},
        "yaxis": dict(MONEY_TICKS),
        "height": height,
        "margin": {"l": 70, "r": 10, "t": 40, "b": 40},
        "legend": {"orientation": "h", "y": -0.2},
        "hovermode": "x unified",
    }
    if target:
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": target,
                "y1": target,
                "line": {"color": "#c71c22", "dash": "dash"},
            }
        ]
    return {"data": traces, "layout": layout}
