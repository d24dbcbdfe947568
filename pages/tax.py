"""Tax: the household's lots with unrealised gains, estimated tax and harvesting candidates."""

import dash
from dash import dcc, html

from components.forms import form_field
from components.page import analysis_layout
from components.tax import FIELDS, PAGE
from dashboard.forms import from_query

dash.register_page(__name__, path="/tax", title="Tax · Meridian", name="Tax", order=7)


def layout(**query):
    values = from_query(FIELDS, query)
    return analysis_layout(
        PAGE,
        "Tax",
        [form_field(PAGE, f, values[f.name]) for f in FIELDS],
        "Estimate",
        [dcc.Loading(html.Div(id="tax-results"), type="default", delay_show=200)],
    )
