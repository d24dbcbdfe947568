"""Backtest: how the household's portfolio, a saved optimisation and custom weights would have done against a
benchmark, month-end to month-end, with cash flows, fee and rebalancing.

Everything in the form is in the URL, so a copied link re-runs the same backtest.
"""

import dash

from components.forms import form_fields
from components.ids import BT
from components.page import analysis_layout
from dashboard.forms.backtest import FORM

dash.register_page(__name__, path="/backtest", title="Backtest · Meridian", name="Backtest", order=4.5)

WIDE = frozenset({"saved", "custom", "benchmark"})


def layout(**query):
    return analysis_layout(
        BT.frame,
        "Backtest",
        form_fields(FORM, FORM.from_query(query), wide=WIDE),
        "Backtest",
        thread_page=FORM.key,  # runs are saved under the form's key
    )
