"""Portfolio optimisation: objective, models, constraints and views; frontier, weights and allocation.

Everything in the form is in the URL, so a copied link re-runs the same optimisation.
"""

import dash
from dash import dcc, html

from components.forms import form_field
from components.optimisation import FIELDS, PAGE, output_area
from components.page import analysis_layout
from dashboard.forms import from_query

dash.register_page(
    __name__, path="/optimisation", title="Optimisation · Meridian", name="Optimisation", order=2
)

WIDE = {"tickers", "sector_limits", "views"}


def layout(**query):
    values = from_query(FIELDS, query)
    return analysis_layout(
        PAGE,
        "Portfolio optimisation",
        [form_field(PAGE, f, values[f.name], width=12 if f.name in WIDE else 6) for f in FIELDS],
        "Optimise",
        [dcc.Loading([html.Div(id="opt-results"), output_area()], type="default", delay_show=200)],
    )
