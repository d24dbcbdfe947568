"""The firm's capital market assumptions beside every forecast: which set a result used, and, when a
historical estimate (or an analyst's input) was used instead, how it compares with the firm's figures
for the same weights and why it may be a poor forecast (settings ``FULL_CYCLE_YEARS``,
``PLAUSIBLE_RETURN_MIN`` and ``PLAUSIBLE_RETURN_MAX``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dashboard.extensions import settings_of
from dashboard.services import assumptions as firm

FIRM = "firm"
MONTHS = 12


@dataclass(frozen=True)
class Basis:
    """What a forecast's returns rest on, for the analyst to read beside the result.

    ``assumptions``: the firm's set (id, name, effective date, label) or None when none is in force;
    ``firm``: (expected return, volatility) a year of the weights under it; ``model``: the same figures
    of the estimate actually used when it is not the firm's (historical, or the analyst's inputs);
    ``history``: its window in words and ``years`` its length; ``warnings``: why it may be a poor
    forecast; ``unlisted``: securities the set does not list (they take its default class).
    """

    kind: str
    assumptions: dict | None = None
    firm: tuple[float, float] | None = None
    model: tuple[float, float] | None = None
    history: str | None = None
    years: float | None = None
    warnings: tuple[str, ...] = ()
    unlisted: tuple[str, ...] = ()


def bounds_key() -> list:
    """The settings a :class:`Basis`'s warnings depend on (part of its cache key)."""
    settings = settings_of()
    return [settings.full_cycle_years, settings.plausible_return_min, settings.plausible_return_max]


def _firm(assumptions_id: int | None, tickers: Sequence[str], weights: Sequence[float]):
    if assumptions_id is None:
        return None, None, ()
    ref = firm.get_ref(assumptions_id)
    named = {"id": ref.id, "name": ref.name, "effective": ref.effective.isoformat(), "label": ref.label}
    if not tickers:
        return named, None, ()
    cma = firm.load(ref.id)
    return named, cma.portfolio(tickers, weights), tuple(cma.unlisted(tickers))


def firm_basis(assumptions_id: int, tickers: Sequence[str], weights: Sequence[float]) -> Basis:
    """A forecast made on the firm's set ``assumptions_id``."""
    named, figures, unlisted = _firm(assumptions_id, tickers, weights)
    return Basis(FIRM, named, figures, unlisted=unlisted)


def compared(
    kind: str,
    figures: tuple[float, float],
    assumptions_id: int | None,
    tickers: Sequence[str],
    weights: Sequence[float],
    history: tuple[str | None, str | None, int] | None = None,
    implausible_assets: Sequence[tuple[str, float]] = (),
) -> Basis:
    """A forecast made on another estimate (``kind``: a historical model, or ``gbm`` for the analyst's
    inputs) with (expected return, volatility) ``figures`` for ``weights``, compared with the firm's set;
    ``history`` = (first month, last month, months) of a historical window; ``implausible_assets``:
    (ticker, expected return) pairs to check one by one (an optimisation's inputs)."""
    settings = settings_of()
    named, firm_figures, unlisted = _firm(assumptions_id, tickers, weights)
    warnings = []
    window = years = None
    if history is not None:
        first, last, months = history
        window, years = f"{first} to {last}", months / MONTHS
        if years < settings.full_cycle_years:
            warnings.append(
                f"The history covers {years:.1f} years ({window}), less than a full market cycle "
                f"({settings.full_cycle_years} years): one boom or one crash can dominate it."
            )
    low, high = settings.plausible_return_min, settings.plausible_return_max
    what = "The GBM's expected return" if kind == "gbm" else "The historical expected return"
    if not low <= figures[0] <= high:
        warnings.append(
            f"{what} of {figures[0]:.1%} a year is outside the plausible range of {low:.0%} to {high:.0%}."
        )
    outside = [(t, r) for t, r in implausible_assets if not low <= r <= high]
    if outside:
        named_assets = ", ".join(f"{t} {r:.0%}" for t, r in outside[:8]) + (
            " and more" if len(outside) > 8 else ""
        )
        warnings.append(
            f"Assets' historical expected returns outside {low:.0%} to {high:.0%}: {named_assets}."
        )
    return Basis(kind, named, firm_figures, figures, window, years, tuple(warnings), unlisted)
