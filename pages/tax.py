"""Tax: the household's lots with unrealised gains, estimated tax and harvesting candidates."""

import dash

from components.forms import form_fields
from components.ids import TAX
from components.page import analysis_layout
from dashboard.forms.tax import FORM

dash.register_page(__name__, path="/tax", title="Tax · Meridian", name="Tax", order=7)


def layout(**query):
    return analysis_layout(TAX.frame, "Tax", form_fields(FORM, FORM.from_query(query)), "Estimate")
