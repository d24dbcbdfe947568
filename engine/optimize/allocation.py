"""Discrete allocation: whole shares approximating the weights for a cash amount (PyPortfolioOpt's
greedy allocation, the leftover reused)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.errors import InvalidInputError
from engine.optimize.constraints import CLEAN_CUTOFF


@dataclass(frozen=True)
class Allocation:
    """Whole shares to buy for a cash amount, and the cash left over."""

    shares: dict[str, int]
    leftover: float
    invested: float


def discrete_allocation(
    weights: Mapping[str, float], latest_prices: Mapping[str, float], cash: float
) -> Allocation:
    """Whole shares approximating ``weights`` for ``cash`` dollars (greedy, then leftover reused)."""
    from pypfopt.discrete_allocation import DiscreteAllocation

    cash = float(cash)
    if not np.isfinite(cash) or cash <= 0:
        raise InvalidInputError("The cash amount must be a positive number.")
    positive = {t: float(w) for t, w in weights.items() if w > CLEAN_CUTOFF}
    if not positive:
        raise InvalidInputError("There are no positive weights to allocate.")
    prices = pd.Series({t: float(latest_prices[t]) for t in positive})
    if not np.isfinite(prices).all() or (prices <= 0).any():
        raise InvalidInputError("Latest prices must be positive to allocate shares.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shares, leftover = DiscreteAllocation(positive, prices, total_portfolio_value=cash).greedy_portfolio()
    shares = {t: int(n) for t, n in sorted(shares.items()) if n > 0}
    return Allocation(shares, float(leftover), float(cash - leftover))
