"""Tax callbacks: the household's lots through the cached facade, rendered; CSV."""

from __future__ import annotations

from callbacks.common import register_analysis
from components.tax import FIELDS, PAGE, csv_rows, results_panel
from dashboard import analytics


def tax_report(clean: dict, household, refresh: bool = False):
    report = analytics.tax(
        household.id,
        household.data_version,
        clean["short_term_rate"],
        clean["long_term_rate"],
        clean["min_loss"],
        refresh=refresh,
    )
    return report, f"{household.name}: {len(report.lots)} lots"


def summarise(out, _clean):
    report = out[0]
    return None, {
        "short_term_gain": round(report.short_term_gain, 2),
        "long_term_gain": round(report.long_term_gain, 2),
        "estimated_tax": round(report.estimated_tax, 2),
        "harvest_savings": round(report.estimated_savings, 2),
        "harvest_candidates": len(report.candidates),
    }


run_tax, download_csv = register_analysis(
    PAGE,
    FIELDS,
    tax_report,
    lambda out: results_panel(*out),
    lambda out: csv_rows(out[0]),
    "tax lots",
    summarise,
)
