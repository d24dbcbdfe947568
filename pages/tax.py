"""Tax: not yet available; the panel says what the page will do."""

import dash

from components.shell import unavailable_panel

dash.register_page(__name__, path="/tax", title="Tax · Meridian", name="Tax", order=7)


def layout(**_kwargs):
    return unavailable_panel(
        "Tax",
        "Tax lots with short- and long-term unrealised gains, estimated tax, and tax-loss-harvesting candidates with wash-sale checks.",
        "the analyst pages issue (part 2)",
    )
