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
    )
