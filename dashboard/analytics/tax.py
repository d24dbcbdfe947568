"""Tax through the cache: a household's taxable lots on its valuation date, gains, harvesting, wash sales."""

from __future__ import annotations

from dashboard.analytics.requests import TaxRequest
from dashboard.extensions import cache
from dashboard.metrics.store import track_performance
from dashboard.services.tax_lots import taxable_position
from engine.tax import Lot, Purchase, TaxPosition, tax_report


@track_performance("facade.tax")
def tax(request: TaxRequest, refresh: bool = False):
    """``engine.tax.TaxReport`` of the household's lots in taxable accounts (keyed by its data version)."""

    def compute():
        position = taxable_position(request.household_id)
        return tax_report(
            [
                Lot(r.id, r.ticker, r.acquired_on, r.quantity, r.cost_per_share, r.account)
                for r in position.lots
            ],
            position.closes,
            position.as_of,
            [Purchase(p.ticker, p.date, p.quantity, p.account, p.lot) for p in position.purchases],
            request.short_term_rate,
            request.long_term_rate,
            request.min_loss,
            TaxPosition(
                request.realised_short, request.realised_long, request.carryover_short, request.carryover_long
            ),
        )

    return cache.get_or_compute(
        "tax", request.key(), compute, household=request.household_id, refresh=refresh
    )
