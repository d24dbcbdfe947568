"""Retirement: not yet available; the panel says what the page will do."""

import dash

from components.shell import unavailable_panel

dash.register_page(__name__, path="/retirement", title="Retirement · Meridian", name="Retirement", order=6)


def layout(**_kwargs):
    return unavailable_panel(
        "Retirement",
        "Retirement plans under four withdrawal strategies with success rates, spending and wealth fan charts, and the highest sustainable spending.",
        "the analyst pages issue (part 2)",
    )
