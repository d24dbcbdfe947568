"""Portfolio optimisation: objective, models, constraints and views; frontier, weights and allocation.

Everything in the form is in the URL, so a copied link re-runs the same optimisation.
"""

import dash
from dash import html

from components.forms import form_fields
from components.ids import OPT
from components.optimisation import output_area
from components.page import analysis_layout
from dashboard.forms.optimisation import FORM

dash.register_page(
    __name__, path="/optimisation", title="Optimisation · Meridian", name="Optimisation", order=2
)

WIDE = frozenset({"tickers", "sector_limits", "views"})


def layout(**query):
    return analysis_layout(
        OPT.frame,
        "Portfolio optimisation",
        form_fields(FORM, FORM.from_query(query), wide=WIDE),
        "Optimise",
        [html.Div(id=OPT.frame.results), output_area()],
    )
