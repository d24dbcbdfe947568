"""Constraints: per-asset weight bounds and sector limits, checked before a solver runs (with a message
an analyst can act on), the highest return they allow, and the solver's weights cleaned within them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.errors import InfeasibleConstraintsError, InvalidInputError, SolverError
from engine.validation import number

WEIGHT_TOLERANCE = 1e-6
CLEAN_CUTOFF = 1e-5


@dataclass(frozen=True)
class SectorLimits:
    """Group constraints: ``mapper`` ticker -> sector; bounds on each sector's total weight."""

    mapper: Mapping[str, str]
    lower: Mapping[str, float] = field(default_factory=dict)
    upper: Mapping[str, float] = field(default_factory=dict)


def fraction(value, what: str, low: float, high: float) -> float:
    return number(
        value, what, low, high, hint="{what} of {value:g} is out of range; enter a fraction (0.05 for 5 %)."
    )


def target(value, what: str, allow_negative: bool = False) -> float:
    if value is None:
        raise InvalidInputError(f"{what} is required for this objective.")
    if isinstance(value, bool):
        raise InvalidInputError(f"{what} must be a number.")
    number = fraction(value, what, -1.0 if allow_negative else 0.0, 100.0)
    if number > 1.0:
        raise InvalidInputError(
            f"{what} of {number:g} looks like a percentage; enter it as a fraction ({number / 100:g} for {number:g} %)."
        )
    if not allow_negative and number <= 0:
        raise InvalidInputError(f"{what} must be above zero.")
    return number


def check_bounds(bounds, n: int) -> tuple[float, float]:
    try:
        low, high = (float(bounds[0]), float(bounds[1]))
    except (TypeError, ValueError, IndexError):
        raise InvalidInputError("Weight bounds must be two numbers (minimum, maximum).") from None
    if not (np.isfinite(low) and np.isfinite(high)) or not -1 <= low <= high <= 1:
        raise InvalidInputError("Weight bounds must satisfy -1 <= minimum <= maximum <= 1.")
    if low * n > 1 + WEIGHT_TOLERANCE:
        raise InfeasibleConstraintsError(
            f"A minimum weight of {low:.1%} for each of {n} assets adds up to {low * n:.0%}, more than 100 %."
        )
    if high * n < 1 - WEIGHT_TOLERANCE:
        raise InfeasibleConstraintsError(
            f"A maximum weight of {high:.1%} for each of {n} assets adds up to {high * n:.0%}, less than 100 %."
        )
    return low, high


def check_sectors(sectors: SectorLimits, tickers: Sequence[str], low: float, high: float) -> None:
    missing = [t for t in tickers if t not in sectors.mapper]
    if missing:
        raise InvalidInputError(f"No sector for {', '.join(missing)}.")
    members: dict[str, int] = {}
    for t in tickers:
        members[sectors.mapper[t]] = members.get(sectors.mapper[t], 0) + 1
    for name, limit in {**sectors.lower, **sectors.upper}.items():
        if name not in members:
            raise InvalidInputError(f"The sector limit names {name}, which none of the assets is in.")
        fraction(limit, f"The limit for {name}", 0.0, 1.0)
    lower_total = sum(float(v) for v in sectors.lower.values())
    if lower_total > 1 + WEIGHT_TOLERANCE:
        raise InfeasibleConstraintsError(f"The sector minimums add up to {lower_total:.0%}, more than 100 %.")
    reachable = sum(min(float(sectors.upper.get(s, 1.0)), high * k) for s, k in members.items())
    if reachable < 1 - WEIGHT_TOLERANCE:
        raise InfeasibleConstraintsError(
            f"With these sector maximums and weight bounds at most {reachable:.0%} can be invested; loosen them."
        )
    for s, lo in sectors.lower.items():
        if (
            float(lo) > high * members[s] + WEIGHT_TOLERANCE
            or float(lo) > float(sectors.upper.get(s, 1.0)) + WEIGHT_TOLERANCE
        ):
            raise InfeasibleConstraintsError(f"The minimum for {s} ({float(lo):.0%}) cannot be reached.")


def max_return(mu, low, high, sectors, tickers) -> float:
    """Highest expected return reachable under the bounds and sector limits (a small LP)."""
    from scipy.optimize import linprog

    n = len(mu)
    a_ub, b_ub = [], []
    if sectors is not None:
        for name, limit in sectors.upper.items():
            a_ub.append([1.0 if sectors.mapper[t] == name else 0.0 for t in tickers])
            b_ub.append(float(limit))
        for name, limit in sectors.lower.items():
            a_ub.append([-1.0 if sectors.mapper[t] == name else 0.0 for t in tickers])
            b_ub.append(-float(limit))
    solution = linprog(
        -np.asarray(mu),
        A_ub=np.array(a_ub) if a_ub else None,
        b_ub=np.array(b_ub) if b_ub else None,
        A_eq=np.ones((1, n)),
        b_eq=[1.0],
        bounds=[(low, high)] * n,
        method="highs",
    )
    if solution.status == 2:
        raise InfeasibleConstraintsError(
            "No portfolio satisfies these weight bounds and sector limits together."
        )
    if not solution.success:
        raise SolverError("Could not find the highest achievable return under these constraints.")
    return float(-solution.fun)


def clean_weights(
    weights: np.ndarray,
    bounds: tuple[float, float],
    sectors: SectorLimits | None = None,
    tickers: Sequence[str] = (),
) -> np.ndarray:
    """Zero dust below the cutoff, and sum to exactly 1 without leaving any bound.

    The solver's weights are clipped to the bounds; the dust's weight (and any clipping) is given
    to the other assets in proportion to their room under their bound and their sector's limit,
    never by rescaling, which would push capped weights over their cap. When the others have no
    room, the dust stays.
    """
    low, high = bounds
    clipped = np.clip(np.asarray(weights, dtype=float), low, high)
    dust = (np.abs(clipped) < CLEAN_CUTOFF) if low <= 0 <= high else np.zeros(len(clipped), dtype=bool)
    for zeroed in (dust, np.zeros(len(clipped), dtype=bool)):
        cleaned = np.where(zeroed, 0.0, clipped)
        spread = _spread(1.0 - cleaned.sum(), cleaned, zeroed, bounds, sectors, tickers)
        if spread is not None:
            return cleaned + spread
    return clipped


def _spread(gap, weights, frozen, bounds, sectors, tickers) -> np.ndarray | None:
    """Amounts adding up to ``gap`` that keep every weight and sector within its limits, or None."""
    if abs(gap) < 1e-15:
        return np.zeros(len(weights))
    sign = 1.0 if gap > 0 else -1.0
    room = np.where(frozen, 0.0, np.maximum(bounds[1] - weights if sign > 0 else weights - bounds[0], 0.0))
    groups = (
        [sectors.mapper[t] for t in tickers] if sectors is not None and len(tickers) else ["*"] * len(weights)
    )
    capacity = {}
    for g in set(groups):
        members = np.array([x == g for x in groups])
        total = float(weights[members].sum())
        if sign > 0:
            limit = sectors.upper.get(g, np.inf) - total if sectors is not None and g != "*" else np.inf
        else:
            limit = total - sectors.lower.get(g, -np.inf) if sectors is not None and g != "*" else np.inf
        capacity[g] = min(max(limit, 0.0), float(room[members].sum()))
    usable = sum(capacity.values())
    if usable < abs(gap) * (1 - 1e-12):
        return None
    out = np.zeros(len(weights))
    for g, cap in capacity.items():
        members = np.array([x == g for x in groups])
        if cap <= 0:
            continue
        share = abs(gap) * cap / usable
        out[members] = sign * share * room[members] / room[members].sum()
    return out
