"""Charts: one ``dcc.Graph`` configuration for every page (no Plotly logo, responsive)."""

from __future__ import annotations

from dash import dcc

GRAPH_CONFIG = {"displaylogo": False, "responsive": True}
# Small summary charts (the Overview): nothing to zoom or export, so no toolbar over the title.
STATIC_CONFIG = {"displayModeBar": False, "responsive": True}


def graph(graph_id: str, figure: dict, toolbar: bool = True, **kwargs) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG if toolbar else STATIC_CONFIG, **kwargs)
