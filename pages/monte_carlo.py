"""Monte Carlo: not yet available; the panel says what the page will do."""

import dash

from components.shell import unavailable_panel

dash.register_page(__name__, path="/monte-carlo", title="Monte Carlo · Meridian", name="Monte Carlo", order=3)


def layout(**_kwargs):
    return unavailable_panel(
        "Monte Carlo",
        "Simulate a portfolio's wealth with parametric, GBM or bootstrap models, cash flows, inflation and fees: fan chart, probability of success and drawdowns.",
        "the analyst pages issue (part 1)",
    )
