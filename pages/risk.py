"""Risk: the chosen household's holdings at today's weights, over a history window.

Volatility, Sharpe, Sortino, beta against SPY, drawdowns, VaR and CVaR by four
methods side by side, and historical stress windows replayed on today's weights.
"""

import dash

from components.forms import form_fields
from components.ids import RISK
from components.page import analysis_layout
from dashboard.forms.risk import FORM

dash.register_page(__name__, path="/risk", title="Risk · Meridian", name="Risk", order=4)


def layout(**query):
    return analysis_layout(RISK.frame, "Risk", form_fields(FORM, FORM.from_query(query)), "Analyse")
