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
    report = analytics.risk(window, clean["risk_free_rate"], clean["paths"], clean["seed"], household=household.id,
                            refresh=refresh)  # fmt: skip
    return report, f"{household.name}: {len(window.tickers)} holdings at today's weights"


run_risk, download_csv = register_analysis(
    PAGE, FIELDS, risk_report, lambda out: results_panel(*out), lambda out: csv_rows(out[0]), "risk"
)
