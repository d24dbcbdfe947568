"""Retirement: accumulate until retirement, then spend under one of four withdrawal strategies."""

import dash
from dash import dcc, html

from components.forms import form_field
from components.page import analysis_layout
from components.retirement import FIELDS, PAGE
from dashboard.forms import from_query

dash.register_page(__name__, path="/retirement", title="Retirement · Meridian", name="Retirement", order=6)


def layout(**query):
    values = from_query(FIELDS, query)
    return analysis_layout(
        PAGE,
        "Retirement",
        [form_field(PAGE, f, values[f.name]) for f in FIELDS],
        "Simulate",
        [dcc.Loading(html.Div(id="ret-results"), type="default", delay_show=200)],
    )
