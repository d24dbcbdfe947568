"""Diversification: correlations in cluster order, risk contributions, concentration, sectors."""

import dash
from dash import dcc, html

from components.diversification import FIELDS, PAGE
from components.forms import form_field
from components.page import analysis_layout
from dashboard.forms import from_query

dash.register_page(
    __name__, path="/diversification", title="Diversification · Meridian", name="Diversification", order=5
)


def layout(**query):
    values = from_query(FIELDS, query)
    return analysis_layout(
        PAGE,
        "Diversification",
        [form_field(PAGE, f, values[f.name]) for f in FIELDS],
        "Analyse",
        [dcc.Loading(html.Div(id="div-results"), type="default", delay_show=200)],
    )
