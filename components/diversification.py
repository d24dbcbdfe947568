"""Diversification: fields and panels from a ``DiversificationReport``.

The heatmap rows and columns follow the clustering order, so groups of
correlated holdings show as blocks along the diagonal.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.cards import stat_card
from components.formatting import percent
from components.graphs import graph
from components.ids import DIV


def heatmap(report) -> dict:
    tickers = list(report.tickers)
    return {
        "data": [
            {
                "type": "heatmap",
                "z": report.correlation.round(3).tolist(),
                "x": tickers,
                "y": tickers,
                "zmin": -1,
                "zmax": 1,
                "colorscale": "RdBu",
                "reversescale": True,
                "hovertemplate": "%{y} / %{x}: %{z:.2f}<extra></extra>",
            }
        ],
        "layout": {
            "title": {
                "text": "Correlation of daily returns (cluster order)",
                "font": {"size": 15},
                "x": 0.02,
            },
            "height": 460,
            "margin": {"l": 60, "r": 10, "t": 40, "b": 60},
            "yaxis": {"autorange": "reversed"},
        },
    }


def contributions_figure(report) -> dict:
    tickers = sorted(report.weights, key=lambda t: -report.risk_contributions[t])
    return {
        "data": [
            {
                "type": "bar",
                "name": "Weight",
                "x": tickers,
                "y": [round(report.weights[t], 5) for t in tickers],
                "marker": {"color": "#999"},
            },
            {
                "type": "bar",
                "name": "Share of risk",
                "x": tickers,
                "y": [round(report.risk_contributions[t], 5) for t in tickers],
                "marker": {"color": "#2fa4e7"},
            },
        ],
        "layout": {
            "title": {"text": "Weight vs contribution to risk", "font": {"size": 15}, "x": 0.02},
            "yaxis": {"tickformat": ".0%"},
            "barmode": "group",
            "height": 340,
            "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
            "legend": {"orientation": "h", "y": -0.2},
        },
    }


def sectors_figure(report) -> dict:
    names = list(report.sector_exposure)
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": [round(v, 5) for v in report.sector_exposure.values()],
                "y": names,
                "marker": {"color": "#033c73"},
                "hovertemplate": "%{y}: %{x:.1%}<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": "Sector exposure", "font": {"size": 15}, "x": 0.02},
            "xaxis": {"tickformat": ".0%"},
            "yaxis": {"automargin": True, "autorange": "reversed"},
            "height": 60 + 32 * len(names),
            "margin": {"l": 10, "r": 10, "t": 40, "b": 30},
        },
    }


def window_note(window: dict) -> str:
    """The dates the correlations and risk figures come from: the days every holding traded."""
    if not window:
        return ""
    text = (
        f"Daily returns {window['common_from']} to {window['to']} ({window['observations']:,} days on which "
        "every holding traded)."
    )
    late = window.get("limited_by")
    if late:
        text += f" The dates asked for start on {window['from']}; {late}'s prices start on {window['common_from']}."
    return text


def results_panel(report, described: str) -> html.Div:
    n = len(report.weights)
    return html.Div(
        [
            html.P(described, className="small text-muted"),
            html.P(window_note(report.window), className="small text-muted", id=DIV.WINDOW),
            dbc.Row(
                [
                    stat_card("Concentration (HHI)", f"{report.hhi:.3f}", DIV.HHI, "sum of squared weights"),
                    stat_card(
                        "Effective holdings",
                        f"{report.effective_holdings:.1f}",
                        DIV.EFFECTIVE_HOLDINGS,
                        f"of {n} (1 / HHI)",
                    ),
                    stat_card(
                        "Effective bets",
                        f"{report.effective_bets:.1f}",
                        DIV.EFFECTIVE_BETS,
                        "independent risk sources (Meucci)",
                    ),
                    stat_card(
                        "Diversification ratio",
                        f"{report.diversification_ratio:.2f}",
                        DIV.RATIO,
                        f"volatility {percent(report.volatility)}",
                    ),
                ],
                className="g-2 mb-2",
            ),
            dbc.Row(
                [
                    dbc.Col(graph(DIV.HEATMAP, heatmap(report)), lg=7),
                    dbc.Col(
                        [graph(DIV.SECTORS, sectors_figure(report))],
                        lg=5,
                    ),
                ]
            ),
            graph(DIV.CONTRIBUTIONS, contributions_figure(report)),
        ]
    )


def csv_rows(report) -> tuple[list[str], list[list]]:
    rows = [["holding", t, report.weights[t], report.risk_contributions[t]] for t in report.weights]
    rows += [["sector", s, w, ""] for s, w in report.sector_exposure.items()]
    rows += [
        ["summary", k, getattr(report, k), ""]
        for k in ("hhi", "effective_holdings", "effective_bets", "diversification_ratio", "volatility")
    ]
    return ["section", "name", "weight_or_value", "share_of_risk"], rows
