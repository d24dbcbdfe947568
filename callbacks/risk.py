"""Risk: the household's holdings through the cached facade, rendered; CSV; thread summary."""

from __future__ import annotations

from callbacks.analysis import AnalysisPage
from components.ids import RISK
from components.risk import csv_rows, results_panel
from dashboard.analytics.risk import risk
from dashboard.forms import risk as form
from dashboard.services.households import portfolio


def prepare(clean: dict, household):
    """(``RiskRequest``, description) for validated settings and a household."""
    request = form.request(clean, portfolio(household), household.name)
    return (
        request,
        household.id,
        f"{household.name}: {len(request.window.tickers)} holdings at today's weights",
    )


def compute(scenario, refresh: bool):
    request, household_id, described = scenario
    return risk(request, household=household_id, refresh=refresh), described


def summarise(out, clean):
    report = out[0]
    historical = next(r for r in report.var if r.method == "historical" and r.confidence == 0.95)
    return clean["seed"], {
        "annual_return": round(report.annual_return, 6),
        "volatility": round(report.volatility, 6),
        "sharpe": round(report.sharpe, 4),
        "sortino": round(report.sortino, 4),
        "beta": None if report.beta is None else round(report.beta, 4),
        "max_drawdown": round(report.max_drawdown, 6),
        "var_95_historical": round(historical.var, 6),
    }


PAGE = AnalysisPage(
    frame=RISK.frame,
    form=form.FORM,
    path="/risk",
    name="Risk",
    noun="risk",
    prepare=prepare,
    compute=compute,
    render=lambda out: results_panel(*out),
    table=lambda out: csv_rows(out[0]),
    summarise=summarise,
    figures=(
        ("annual_return", "Annual return", "percent"),
        ("volatility", "Volatility", "percent"),
        ("max_drawdown", "Max drawdown", "percent"),
        ("sharpe", "Sharpe", "ratio"),
        ("var_95_historical", "1-day VaR 95 % (historical)", "percent"),
        ("sortino", "Sortino", "ratio"),
        ("beta", "Beta vs SPY", "ratio"),
    ),
)
