"""Checks on scalar inputs shared by the engine and its facade, with messages an analyst can act on.

Numbers must really be numbers (a string or a boolean is refused, never
coerced: a request can come from anywhere), finite and within range.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

from engine.errors import InvalidInputError


def number(value, what: str, low: float, high: float, hint: str = "") -> float:
    """``value`` as a float in [low, high]; InvalidInputError naming ``what`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidInputError(f"{what} must be a number.")
    result = float(value)
    if not math.isfinite(result):
        raise InvalidInputError(f"{what} must be a finite number.")
    if not low <= result <= high:
        raise InvalidInputError(
            hint.format(what=what, value=result) if hint else f"{what} must be between {low:g} and {high:g}."
        )
    return result


def optional_number(value, what: str, low: float, high: float) -> float | None:
    return None if value is None else number(value, what, low, high)


def whole(value, what: str, low: int, high: int) -> int:
    """``value`` as an int in [low, high] (bools and floats refused)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InvalidInputError(f"{what} must be a whole number.")
    if not low <= int(value) <= high:
        raise InvalidInputError(f"{what} must be between {low:,} and {high:,}.")
    return int(value)
