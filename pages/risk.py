"""Risk: not yet available; the panel says what the page will do."""

import dash

from components.shell import unavailable_panel

dash.register_page(__name__, path="/risk", title="Risk · Meridian", name="Risk", order=4)


def layout(**_kwargs):
    return unavailable_panel(
        "Risk",
        "Volatility, Sharpe, Sortino, beta, drawdowns, VaR and CVaR by three methods, and historical stress windows replayed on today's weights.",
        "the analyst pages issue (part 2)",
    )
