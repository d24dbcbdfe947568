"""What every household simulation's form shares: the return model, the firm's assumptions, inflation,
and the one way a clean form becomes a ``SimulationRequest`` (Monte Carlo, Goals and Retirement all
build theirs here).

The default model is the firm's capital market assumptions (``firm``): forward-looking expected
returns, volatilities and correlations for the household's holdings. The historical models estimate
them from the holdings' own past instead, and the page then says how that compares with the firm's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.analytics.requests import SimulationRequest, exact_weights
from dashboard.forms.fields import CHOICE, DATE, NUMBER, SELECT, Field, FormErrors

if TYPE_CHECKING:
    from dashboard.services.assumptions import AssumptionsRef
    from dashboard.services.households import Portfolio

FIRM = "firm"
HISTORICAL_MODELS = ("parametric", "bootstrap")
HOLDINGS_MODELS = (FIRM, *HISTORICAL_MODELS)
FIRM_CHOICE = (FIRM, "Firm assumptions (household holdings)")

# Which fields apply to which models: a field listed here is shown only with these models.
MODEL_FIELDS: dict[str, tuple[str, ...]] = {
    "mu": ("gbm",),
    "sigma": ("gbm",),
    "start": HISTORICAL_MODELS,
    "distribution": (FIRM, "parametric"),
    "block": ("bootstrap",),
}


def assumptions_field() -> Field:
    """Which set of the firm's assumptions: empty is the set in force today (the run names it)."""
    return Field(
        "assumptions",
        "Firm assumptions",
        SELECT,
        None,
        required=False,
        help="A run keeps the set it used, so its link reproduces it after a newer set arrives.",
        empty="The set in force today",
    )


def inflation_field() -> Field:
    return Field(
        "inflation",
        "Inflation",
        NUMBER,
        None,
        -5,
        50,
        required=False,
        percent=True,
        help="Empty: the firm assumptions' inflation.",
    )


def return_model_fields() -> list[Field]:
    """The model choice every household simulation offers: the firm's assumptions, the holdings' own
    history (parametric) or GBM."""
    return [
        Field(
            "model",
            "Return model",
            CHOICE,
            FIRM,
            choices=(
                FIRM_CHOICE,
                ("parametric", "Historical estimate (household holdings)"),
                ("gbm", "Geometric Brownian motion (your inputs)"),
            ),
        ),
        assumptions_field(),
        Field("mu", "Expected return, GBM", NUMBER, 6.0, -50, 50, percent=True),
        Field("sigma", "Volatility, GBM", NUMBER, 12.0, 0, 150, percent=True),
        Field("start", "Statistics from", DATE, "2008-04-11", required=False),
    ]


def needs_assumptions(clean: dict) -> bool:
    """Whether the run cannot go without a set of firm assumptions (the firm model, or inflation left
    to the firm's figure)."""
    return clean.get("model") == FIRM or ("inflation" in clean and clean["inflation"] is None)


def inflation_of(clean: dict, assumptions: AssumptionsRef | None) -> float:
    """The form's inflation, or the firm assumptions' when it is left empty."""
    if clean["inflation"] is not None:
        return clean["inflation"]
    if assumptions is None:
        raise FormErrors({"inflation": "Enter inflation: no firm assumptions are in force."})
    return assumptions.inflation


def model_request(
    clean: dict, portfolio: Portfolio, household_name: str, assumptions: AssumptionsRef | None, **flows
) -> SimulationRequest:
    """The request for ``clean`` values of a simulation form: GBM, or the household's holdings by market
    value under the firm's assumptions or with their history from ``clean["start"]``; ``flows`` are
    the page's own cash-flow fields."""
    holdings = {}
    if clean["model"] in HOLDINGS_MODELS:
        if not portfolio.tickers:
            raise FormErrors({"model": f"{household_name} holds no securities; use the GBM model."})
        holdings = {"tickers": tuple(portfolio.tickers), "weights": exact_weights(portfolio.weights)}
        if clean["model"] in HISTORICAL_MODELS:
            holdings["start"] = clean["start"]
        else:
            if assumptions is None:
                raise FormErrors(
                    {"assumptions": "No firm assumptions are in force; choose a historical model."}
                )
            holdings["assumptions"] = assumptions.id
    return SimulationRequest(
        model=clean["model"],
        mu=clean["mu"],
        sigma=clean["sigma"],
        paths=clean["paths"],
        seed=clean["seed"],
        **holdings,
        **flows,
    )


def describe_model(clean: dict, household_name: str, holdings: int) -> str:
    if clean["model"] in HOLDINGS_MODELS:
        return f"{household_name}: {holdings} holdings by market value"
    return f"GBM with {clean['mu']:.2%} drift and {clean['sigma']:.2%} volatility"
