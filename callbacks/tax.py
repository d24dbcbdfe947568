"""Tax: the household's lots through the cached facade, rendered; CSV; thread summary."""

from __future__ import annotations

from callbacks.analysis import AnalysisPage
from components.ids import TAX
from components.tax import csv_rows, results_panel
from dashboard.analytics.tax import tax
from dashboard.forms import tax as form


def prepare(clean: dict, household):
    return form.request(clean, household), household.name


def compute(scenario, refresh: bool):
    request, name = scenario
    report = tax(request, refresh=refresh)
    return report, f"{name}: {len(report.lots)} lots"


def summarise(out, _clean):
    report = out[0]
    return None, {
        "short_term_gain": round(report.short_term_gain, 2),
        "long_term_gain": round(report.long_term_gain, 2),
        "estimated_tax": round(report.estimated_tax, 2),
        "harvest_savings": round(report.estimated_savings, 2),
        "harvest_candidates": len(report.candidates),
    }


PAGE = AnalysisPage(
    frame=TAX.frame,
    form=form.FORM,
    path="/tax",
    name="Tax",
    noun="tax lots",
    prepare=prepare,
    compute=compute,
    render=lambda out: results_panel(*out),
    table=lambda out: csv_rows(out[0]),
    summarise=summarise,
    figures=(
        ("harvest_savings", "Harvesting saves this year", "money"),
        ("estimated_tax", "Estimated tax if all sold", "money"),
        ("short_term_gain", "Short-term gains", "money"),
        ("long_term_gain", "Long-term gains", "money"),
        ("harvest_candidates", "Candidates", "count"),
        ("carried_forward_after_harvest", "Carried forward after harvesting", "money"),
    ),
)
