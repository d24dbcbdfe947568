"""Diversification callbacks: the household's holdings through the cached facade, rendered; CSV."""

from __future__ import annotations

from callbacks.common import register_analysis
from components.diversification import FIELDS, PAGE, csv_rows, results_panel
from dashboard import analytics
from dashboard.extensions import db
from dashboard.households import portfolio_of


def diversification_report(clean: dict, household, refresh: bool = False):
    with db.session() as session:
        portfolio = portfolio_of(session, household)
    window = analytics.holdings_window(portfolio, clean["start"], clean["end"])
    report = analytics.diversification(window, household=household.id, refresh=refresh)
    return report, f"{household.name}: {len(window.tickers)} holdings by market value"


def summarise(out, _clean):
    report = out[0]
    return None, {
        k: round(getattr(report, k), 6)
        for k in ("hhi", "effective_holdings", "effective_bets", "diversification_ratio", "volatility")
    }


run_diversification, download_csv = register_analysis(
    PAGE,
    FIELDS,
    diversification_report,
    lambda out: results_panel(*out),
    lambda out: csv_rows(out[0]),
    "diversification",
    summarise,
)
