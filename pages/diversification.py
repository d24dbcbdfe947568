"""Diversification: correlations in cluster order, risk contributions, concentration, sectors."""

import dash

from components.forms import form_fields
from components.ids import DIV
from components.page import analysis_layout
from dashboard.forms.diversification import FORM

dash.register_page(
    __name__, path="/diversification", title="Diversification · Meridian", name="Diversification", order=5
)


def layout(**query):
    return analysis_layout(DIV.frame, "Diversification", form_fields(FORM, FORM.from_query(query)), "Analyse")
