"""Risk: the chosen household's holdings at today's weights, over a history window.

Volatility, Sharpe, Sortino, beta against SPY, drawdowns, VaR and CVaR by four
methods side by side, and historical stress windows replayed on today's weights.
"""

import dash
from dash import dcc, html

from components.forms import form_field
from components.page import analysis_layout
from components.risk import FIELDS, PAGE
from dashboard.forms import from_query

dash.register_page(__name__, path="/risk", title="Risk · Meridian", name="Risk", order=4)


def layout(**query):
    values = from_query(FIELDS, query)
    return analysis_layout(
        PAGE,
        "Risk",
        [form_field(PAGE, f, values[f.name]) for f in FIELDS],
        "Analyse",
        [dcc.Loading(html.Div(id="risk-results"), type="default", delay_show=200)],
    )
