"""The Monte Carlo form: model, cash flows, horizon, paths and seed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.analytics.requests import SimulationRequest
from dashboard.forms.fields import CHOICE, DATE, INTEGER, NUMBER, Field, Form
from dashboard.forms.simulation import (
    FIRM_CHOICE,
    MODEL_FIELDS,
    assumptions_field,
    inflation_field,
    inflation_of,
    model_request,
)

if TYPE_CHECKING:
    from dashboard.services.assumptions import AssumptionsRef
    from dashboard.services.households import Portfolio

FORM = Form(
    "mc",
    (
        Field(
            "model",
            "Model",
            CHOICE,
            "firm",
            choices=(
                FIRM_CHOICE,
                ("parametric", "Historical estimate, parametric (holdings)"),
                ("bootstrap", "Historical bootstrap (holdings)"),
                ("gbm", "Geometric Brownian motion (your inputs)"),
            ),
        ),
        assumptions_field(),
        Field("mu", "Expected return, GBM", NUMBER, 7.0, -50, 50, percent=True),
        Field("sigma", "Volatility, GBM", NUMBER, 15.0, 0, 150, percent=True),
        Field(
            "start",
            "Statistics from",
            DATE,
            "2008-04-11",
            required=False,
            help="Holdings' history used by the parametric and bootstrap models.",
        ),
        Field(
            "distribution",
            "Distribution",
            CHOICE,
            "normal",
            choices=(("normal", "Normal"), ("lognormal", "Lognormal")),
        ),
        Field(
            "rebalance",
            "Rebalancing",
            CHOICE,
            "1",
            choices=(("1", "Monthly"), ("3", "Quarterly"), ("12", "Yearly"), ("0", "Never")),
        ),
        Field(
            "initial",
            "Initial wealth ($)",
            NUMBER,
            None,
            0,
            1e11,
            required=False,
            help="Empty: the household's invested assets today.",
        ),
        Field("years", "Horizon (years)", INTEGER, 30, 1, 100),
        Field("contribution", "Monthly contribution ($)", NUMBER, 0.0, 0, 1e9),
        Field("withdrawal", "Monthly withdrawal ($)", NUMBER, 0.0, 0, 1e9),
        Field("withdrawal_start", "Withdrawals start after (years)", INTEGER, 0, 0, 100),
        Field("withdrawal_rate", "Withdrawal rate of wealth", NUMBER, 0.0, 0, 100, percent=True),
        inflation_field(),
        Field("fee", "Annual fee", NUMBER, 0.5, 0, 20, percent=True),
        Field("paths", "Paths", INTEGER, 10_000, 100, 1_000_000),
        Field("seed", "Seed", INTEGER, 42, 0, 2**31 - 1),
        Field(
            "target",
            "Target, today's money ($)",
            NUMBER,
            None,
            0,
            1e13,
            required=False,
            help="Success: real ending wealth at least this; empty: never depleted.",
        ),
        Field("block", "Bootstrap block (months)", INTEGER, 12, 1, 120),
    ),
    applies=MODEL_FIELDS,
    switch="model",
)


def request(
    clean: dict, portfolio: Portfolio, household_name: str, assumptions: AssumptionsRef | None
) -> SimulationRequest:
    """The simulation the form asks for; empty initial wealth means the household's invested assets,
    empty inflation the firm assumptions'."""
    initial = clean["initial"] if clean["initial"] is not None else round(portfolio.invested, 2)
    return model_request(
        clean,
        portfolio,
        household_name,
        assumptions,
        distribution=clean["distribution"],
        rebalance_months=int(clean["rebalance"]),
        block_months=clean["block"],
        initial=initial,
        monthly_contribution=clean["contribution"],
        monthly_withdrawal=clean["withdrawal"],
        withdrawal_start_month=clean["withdrawal_start"] * 12,
        withdrawal_rate=clean["withdrawal_rate"],
        inflation=inflation_of(clean, assumptions),
        fee=clean["fee"],
        months=clean["years"] * 12,
        target=clean["target"],
    )
