"""Diversification: not yet available; the panel says what the page will do."""

import dash

from components.shell import unavailable_panel

dash.register_page(
    __name__, path="/diversification", title="Diversification · Meridian", name="Diversification", order=5
)


def layout(**_kwargs):
    return unavailable_panel(
        "Diversification",
        "Correlation heatmap in cluster order, risk contributions, HHI, effective number of holdings and bets, sector exposure.",
        "the analyst pages issue (part 2)",
    )
