"""Performance: not yet available; the panel says what the page will do."""

import dash

from components.shell import unavailable_panel

dash.register_page(__name__, path="/performance", title="Performance · Meridian", name="Performance", order=9)


def layout(**_kwargs):
    return unavailable_panel(
        "Performance",
        "Operations view: per-callback timings and percentiles, slow operations, cache hit rate and web-vitals ratings.",
        "the browser metrics issue",
    )
