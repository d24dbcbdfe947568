"""Risk callbacks: the household's holdings through the cached facade, rendered; CSV."""

from __future__ import annotations

from callbacks.common import register_analysis
from components.risk import FIELDS, PAGE, csv_rows, results_panel
from dashboard import analytics
from dashboard.extensions import db
from dashboard.households import portfolio_of


def risk_report(clean: dict, household, refresh: bool = False):
    """(``RiskReport``, description) of the household's holdings for validated settings."""
    with db.session() as session:
        portfolio = portfolio_of(session, household)
    window = analytics.holdings_window(portfolio, clean["start"], clean["end"])
    report = analytics.risk(
        window,
        clean["risk_free_rate"],
        clean["paths"],
        clean["seed"],
        household=household.id,
        refresh=refresh,
    )
    return report, f"{household.name}: {len(window.tickers)} holdings at today's weights"


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


run_risk, download_csv = register_analysis(
    PAGE,
    FIELDS,
    risk_report,
    lambda out: results_panel(*out),
    lambda out: csv_rows(out[0]),
    "risk",
    summarise,
)
