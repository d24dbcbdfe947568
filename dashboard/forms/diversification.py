"""The Diversification form: the history window of the correlations."""

from __future__ import annotations

from dashboard.forms.fields import Form
from dashboard.forms.holdings import holdings_window, window_fields

FORM = Form("div", tuple(window_fields()))
request = holdings_window
