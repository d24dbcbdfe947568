"""Diversification: the household's holdings through the cached facade, rendered; CSV; thread summary."""

from __future__ import annotations

from callbacks.analysis import AnalysisPage
from components.diversification import csv_rows, results_panel
from components.ids import DIV
from dashboard.analytics.diversification import diversification
from dashboard.forms import diversification as form
from dashboard.services.households import portfolio


def prepare(clean: dict, household):
    window = form.request(clean, portfolio(household), household.name)
    return window, household.id, f"{household.name}: {len(window.tickers)} holdings by market value"


def compute(scenario, refresh: bool):
    window, household_id, described = scenario
    return diversification(window, household=household_id, refresh=refresh), described


def summarise(out, _clean):
    report = out[0]
    return None, {
        k: round(getattr(report, k), 6)
        for k in ("hhi", "effective_holdings", "effective_bets", "diversification_ratio", "volatility")
    }


PAGE = AnalysisPage(
    frame=DIV.frame,
    form=form.FORM,
    path="/diversification",
    name="Diversification",
    noun="diversification",
    prepare=prepare,
    compute=compute,
    render=lambda out: results_panel(*out),
    table=lambda out: csv_rows(out[0]),
    summarise=summarise,
    figures=(
        ("effective_bets", "Effective bets", "ratio1"),
        ("effective_holdings", "Effective holdings", "ratio1"),
        ("diversification_ratio", "Diversification ratio", "ratio"),
        ("volatility", "Volatility", "percent"),
        ("hhi", "HHI", "ratio3"),
    ),
)
