"""Optimisation: not yet available; the panel says what the page will do."""

import dash

from components.shell import unavailable_panel

dash.register_page(
    __name__, path="/optimisation", title="Optimisation · Meridian", name="Optimisation", order=2
)


def layout(**_kwargs):
    return unavailable_panel(
        "Optimisation",
        "Optimise a portfolio (max Sharpe, min volatility, efficient risk or return, HRP, Black-Litterman) with bounds and sector limits, explore the efficient frontier and compare current with optimal weights.",
        "the analyst pages issue (part 1)",
    )
