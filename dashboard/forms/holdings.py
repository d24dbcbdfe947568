"""The date window every holdings analysis (Risk, Diversification) shares, and its request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.analytics.requests import HoldingsWindow, exact_weights
from dashboard.forms.fields import DATE, Field, FormErrors

if TYPE_CHECKING:
    from dashboard.services.households import Portfolio


def window_fields(start: str = "2013-04-11") -> list[Field]:
    return [
        Field("start", "History from", DATE, start, required=False),
        Field("end", "History to", DATE, None, required=False),
    ]


def holdings_window(clean: dict, portfolio: Portfolio, household_name: str) -> HoldingsWindow:
    """The household's holdings at today's market-value weights over the form's window."""
    if not portfolio.tickers:
        raise FormErrors({"start": f"{household_name} holds no securities to analyse."})
    if clean["start"] and clean["end"] and clean["start"] >= clean["end"]:
        raise FormErrors({"end": "History to must be after History from."})
    return HoldingsWindow(
        tuple(portfolio.tickers), exact_weights(portfolio.weights), clean["start"], clean["end"]
    )
