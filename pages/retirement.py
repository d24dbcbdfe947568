"""Retirement: accumulate until retirement, then spend under one of four withdrawal strategies."""

import dash

from components.forms import form_fields
from components.ids import RET
from components.page import analysis_layout
from dashboard.forms.retirement import FORM

dash.register_page(__name__, path="/retirement", title="Retirement · Meridian", name="Retirement", order=6)


def layout(**query):
    return analysis_layout(
        RET.frame, "Retirement", form_fields(FORM, FORM.from_query(query)), "Simulate", projects=True
    )
