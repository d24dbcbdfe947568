"""The Risk form: history window, risk-free rate, Monte Carlo VaR paths and seed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.analytics.requests import RiskRequest
from dashboard.forms.fields import INTEGER, NUMBER, Field, Form
from dashboard.forms.holdings import holdings_window, window_fields

if TYPE_CHECKING:
    from dashboard.services.households import Portfolio

FORM = Form(
    "risk",
    (
        *window_fields(),
        Field("risk_free_rate", "Risk-free rate", NUMBER, 2.0, -10, 50, percent=True),
        Field("paths", "Monte Carlo VaR paths", INTEGER, 50_000, 1_000, 1_000_000),
        Field("seed", "Seed", INTEGER, 42, 0, 2**31 - 1),
    ),
)


def request(clean: dict, portfolio: Portfolio, household_name: str) -> RiskRequest:
    return RiskRequest(
        holdings_window(clean, portfolio, household_name),
        clean["risk_free_rate"],
        clean["paths"],
        clean["seed"],
    )
