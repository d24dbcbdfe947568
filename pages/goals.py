"""Goals: not yet available; the panel says what the page will do."""

import dash

from components.shell import unavailable_panel

dash.register_page(__name__, path="/goals", title="Goals · Meridian", name="Goals", order=1)


def layout(**_kwargs):
    return unavailable_panel(
        "Goals",
        "Create and edit a household's goals, see each goal's probability of success by Monte Carlo, and solve for the monthly saving a chosen probability needs.",
        "the analyst pages issue (part 1)",
    )
