"""What every household simulation's form shares: the return model, and the one way a clean form
becomes a ``SimulationRequest`` (Monte Carlo, Goals and Retirement all build theirs here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.analytics.requests import SimulationRequest, exact_weights
from dashboard.forms.fields import CHOICE, DATE, NUMBER, Field, FormErrors

if TYPE_CHECKING:
    from dashboard.services.households import Portfolio

HOLDINGS_MODELS = ("parametric", "bootstrap")


def return_model_fields() -> list[Field]:
    """The model choice every household simulation offers: its holdings (parametric) or GBM."""
    return [
        Field(
            "model",
            "Return model",
            CHOICE,
            "parametric",
            choices=(("parametric", "Household holdings (parametric)"), ("gbm", "Geometric Brownian motion")),
        ),
        Field("mu", "Expected return, GBM", NUMBER, 6.0, -50, 50, percent=True),
        Field("sigma", "Volatility, GBM", NUMBER, 12.0, 0, 150, percent=True),
        Field("start", "Statistics from", DATE, "2008-04-11", required=False),
    ]


def model_request(clean: dict, portfolio: Portfolio, household_name: str, **flows) -> SimulationRequest:
    """The request for ``clean`` values of a simulation form: GBM, or the household's holdings by market
    value with their history from ``clean["start"]``; ``flows`` are the page's own cash-flow fields."""
    holdings = {}
    if clean["model"] in HOLDINGS_MODELS:
        if not portfolio.tickers:
            raise FormErrors({"model": f"{household_name} holds no securities; use the GBM model."})
        holdings = {
            "tickers": tuple(portfolio.tickers),
            "weights": exact_weights(portfolio.weights),
            "start": clean["start"],
        }
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
