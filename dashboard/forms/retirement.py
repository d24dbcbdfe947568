"""The Retirement form: ages, savings, spending, pension, strategy, return model; and the plan it makes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.analytics.requests import RetirementRequest
from dashboard.forms.fields import CHOICE, INTEGER, NUMBER, Field, Form, FormErrors
from dashboard.forms.simulation import (
    MODEL_FIELDS,
    inflation_field,
    inflation_of,
    model_request,
    return_model_fields,
)

if TYPE_CHECKING:
    from dashboard.services.assumptions import AssumptionsRef
    from dashboard.services.households import Portfolio

STRATEGIES = (
    ("constant_real", "Constant real amount (4 % rule)"),
    ("constant_percentage", "Constant percentage"),
    ("guardrails", "Guardrails (Guyton-Klinger)"),
    ("vpw", "Variable percentage (VPW)"),
)
FORM = Form(
    "ret",
    (
        Field("current_age", "Current age", INTEGER, 55, 18, 100),
        Field("retirement_age", "Retirement age", INTEGER, 65, 18, 100),
        Field("end_age", "Plan to age", INTEGER, 95, 19, 110),
        Field(
            "savings",
            "Savings today ($)",
            NUMBER,
            None,
            0,
            1e12,
            required=False,
            help="Empty: the household's invested assets and cash.",
        ),
        Field("contribution", "Monthly saving until retirement ($)", NUMBER, 1_000.0, 0, 1e9),
        Field(
            "spending",
            "Annual spending, today's $",
            NUMBER,
            None,
            0,
            1e10,
            required=False,
            help="Empty: 4 % of savings at retirement (constant real only).",
        ),
        Field("pension", "Annual pension, today's $", NUMBER, 0.0, 0, 1e9),
        Field("pension_age", "Pension from age", INTEGER, None, 18, 110, required=False),
        Field("strategy", "Withdrawal strategy", CHOICE, "constant_real", choices=STRATEGIES),
        Field(
            "withdrawal_rate",
            "Withdrawal rate",
            NUMBER,
            4.0,
            0,
            100,
            percent=True,
            help="Constant percentage, and the 4 % rule's first year.",
        ),
        Field("vpw_return", "VPW real return", NUMBER, 4.0, -5, 20, percent=True),
        Field("floor", "Spending floor, today's $", NUMBER, 0.0, 0, 1e10),
        inflation_field(),
        Field("fee", "Annual fee", NUMBER, 0.5, 0, 20, percent=True),
        *return_model_fields(),
        Field("paths", "Paths", INTEGER, 5_000, 100, 100_000),
        Field("seed", "Seed", INTEGER, 42, 0, 2**31 - 1),
        Field("target_success", "Solve spending for success", NUMBER, 90.0, 1, 99, percent=True),
    ),
    applies=MODEL_FIELDS,
    switch="model",
)


def request(
    clean: dict, portfolio: Portfolio, household_name: str, assumptions: AssumptionsRef | None
) -> RetirementRequest:
    """The plan ``clean`` describes; empty savings mean the household's invested assets and cash."""
    if not clean["current_age"] <= clean["retirement_age"] < clean["end_age"]:
        raise FormErrors(
            {
                "retirement_age": "The retirement age must be at least the current age and before the plan's end."
            }
        )
    pension_age = clean["pension_age"]
    if pension_age is not None and pension_age < clean["current_age"]:
        raise FormErrors(
            {
                "pension_age": (
                    f"The pension cannot start at {pension_age}, before the current age "
                    f"{clean['current_age']}: enter {clean['current_age']} or later, or leave it empty "
                    "(from retirement)."
                )
            }
        )
    model = model_request(clean, portfolio, household_name, assumptions, months=12)
    savings = (
        clean["savings"] if clean["savings"] is not None else round(portfolio.invested + portfolio.cash, 2)
    )
    plan = {
        "current_age": clean["current_age"],
        "retirement_age": clean["retirement_age"],
        "end_age": clean["end_age"],
        "savings": savings,
        "monthly_contribution": clean["contribution"],
        "annual_spending": clean["spending"],
        "annual_pension": clean["pension"],
        "pension_start_age": clean["pension_age"],
        "inflation": inflation_of(clean, assumptions),
        "annual_fee": clean["fee"],
        "strategy": clean["strategy"],
        "withdrawal_rate": clean["withdrawal_rate"],
        "vpw_real_return": clean["vpw_return"],
        "spending_floor": clean["floor"],
    }
    return RetirementRequest(model, plan, clean["target_success"])
