"""Threads: not yet available; the panel says what the page will do."""

import dash

from components.shell import unavailable_panel

dash.register_page(__name__, path="/threads", title="Threads · Meridian", name="Threads", order=8)


def layout(**_kwargs):
    return unavailable_panel(
        "Threads",
        "Analysis threads per household: saved runs with their parameters, seed and summary, reopened by link and compared side by side.",
        "the analyst pages issue (part 2)",
    )
