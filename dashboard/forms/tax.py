"""The Tax form: marginal rates and the smallest loss worth harvesting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.analytics.requests import TaxRequest
from dashboard.forms.fields import NUMBER, Field, Form

if TYPE_CHECKING:
    from dashboard.services.access import HouseholdRef

FORM = Form(
    "tax",
    (
        Field("short_term_rate", "Short-term rate", NUMBER, 37.0, 0, 100, percent=True),
        Field("long_term_rate", "Long-term rate", NUMBER, 20.0, 0, 100, percent=True),
        Field("min_loss", "Smallest loss to harvest ($)", NUMBER, 100.0, 0, 1e9),
        Field(
            "realised_short",
            "Short-term gains realised this year ($)",
            NUMBER,
            0.0,
            -1e12,
            1e12,
            help="Net of losses; negative for a net loss.",
        ),
        Field("realised_long", "Long-term gains realised this year ($)", NUMBER, 0.0, -1e12, 1e12),
        Field(
            "carryover_short",
            "Short-term loss carried over from last year ($)",
            NUMBER,
            0.0,
            0,
            1e12,
        ),
        Field("carryover_long", "Long-term loss carried over from last year ($)", NUMBER, 0.0, 0, 1e12),
    ),
)


def request(clean: dict, household: HouseholdRef) -> TaxRequest:
    """Keyed by the household's data version: an import or an edit is never answered from an old result."""
    return TaxRequest(
        household.id,
        household.data_version,
        clean["short_term_rate"],
        clean["long_term_rate"],
        clean["min_loss"],
        clean["realised_short"],
        clean["realised_long"],
        clean["carryover_short"],
        clean["carryover_long"],
    )
