"""Prices to returns, with the checks every computation relies on.

Conventions (stated once, used by the whole engine): daily data, 252 trading
days a year; returns are simple unless stated; annualised figures are
fractions (0.08 = 8 % a year). Histories may be *ragged* — a security that
listed later has NaN before its first price; such leading NaNs are allowed and
handled, holes after the first price are not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine.errors import InsufficientDataError, InvalidDataError, InvalidInputError

TRADING_DAYS = 252
MONTHS = 12
# Daily returns each asset needs before its history is annualised into an expected return (a year):
# a few weeks annualised would be a guess (+169 %/yr from a good month), not an estimate.
MIN_HISTORY_DAYS = 252


def validate_prices(prices: pd.DataFrame) -> pd.DataFrame:
    """Check a wide price frame (dates x tickers) and return it sorted by date.

    Raises
    ------
    InvalidDataError
        inf, non-positive prices, a column with no price, or a gap (NaN after
        a security's first price).
    """
    if not isinstance(prices, pd.DataFrame) or prices.empty:
        raise InsufficientDataError("No price data for the chosen assets and dates.")
    if prices.columns.duplicated().any():
        dupes = sorted(set(prices.columns[prices.columns.duplicated()]))
        raise InvalidInputError(f"Each asset may appear only once (repeated: {', '.join(map(str, dupes))}).")
    frame = prices.sort_index()
    values = frame.to_numpy(dtype=float)
    if np.isinf(values).any():
        bad = frame.columns[np.isinf(values).any(axis=0)]
        raise InvalidDataError(f"Prices contain infinite values for {', '.join(map(str, bad))}.")
    finite = values[~np.isnan(values)]
    if (finite <= 0).any():
        bad = frame.columns[((values <= 0) & ~np.isnan(values)).any(axis=0)]
        raise InvalidDataError(
            f"Prices must be positive; found zero or negative prices for {', '.join(map(str, bad))}."
        )
    present = ~np.isnan(values)
    empty = frame.columns[~present.any(axis=0)]
    if len(empty):
        raise InsufficientDataError(f"No prices in the chosen dates for {', '.join(map(str, empty))}.")
    gaps = np.logical_or.accumulate(present, axis=0) & ~present  # missing after the first price
    if gaps.any():
        column = frame.columns[gaps.any(axis=0)][0]
        raise InvalidDataError(
            f"Prices for {column} have gaps (missing values after its first price); fill or remove them."
        )
    return frame


def returns_from_prices(prices: pd.DataFrame, log: bool = False) -> pd.DataFrame:
    """Daily simple (or log) returns, shape (T-1, N); NaN before each asset's first return.

    Ragged starts are kept: row t of an asset that had not listed yet is NaN.
    """
    frame = validate_prices(prices)
    ratio = frame / frame.shift(1)
    returns = np.log(ratio) if log else ratio - 1.0
    return returns.iloc[1:]


def common_history(prices: pd.DataFrame, min_observations: int | None = None) -> pd.DataFrame:
    """Prices over the dates on which every asset has a price (ragged starts trimmed).

    Parameters
    ----------
    prices : DataFrame, shape (T, N)
    min_observations : int, optional
        Minimum number of returns required (default: N + 1, so a sample
        covariance of N assets is full rank).

    Raises
    ------
    InsufficientDataError
        Fewer common observations than required.
    """
    frame = validate_prices(prices)
    start = max(frame[c].first_valid_index() for c in frame.columns)
    trimmed = frame.loc[start:]
    needed = frame.shape[1] + 1 if min_observations is None else min_observations
    observations = len(trimmed) - 1
    if observations < needed:
        latest = max(frame.columns, key=lambda c: frame[c].first_valid_index())
        raise InsufficientDataError(
            f"Only {max(observations, 0)} common daily returns for {frame.shape[1]} assets "
            f"(at least {needed} needed); {latest} starts on {start:%Y-%m-%d}. "
            "Choose a longer date range or fewer assets."
        )
    return trimmed


def require_history(frame: pd.DataFrame, minimum: int = MIN_HISTORY_DAYS) -> None:
    """InsufficientDataError naming every asset with fewer than ``minimum`` daily returns of its own."""
    counts = {str(c): int(frame[c].count()) - 1 for c in frame.columns}
    short = {c: n for c, n in counts.items() if n < minimum}
    if short:
        listed = [f"{c} ({n} from {frame[c].first_valid_index():%Y-%m-%d})" for c, n in short.items()]
        named = ", ".join(listed[:5]) + (f" and {len(listed) - 5} more" if len(listed) > 5 else "")
        raise InsufficientDataError(
            f"Less than a year of daily returns for {named}; at least {minimum} are needed to estimate "
            "annual returns. Choose an earlier start or leave the asset out."
        )


def check_finite(values, what: str) -> np.ndarray:
    """``values`` as a float array, or InvalidDataError naming ``what``."""
    array = np.asarray(values, dtype=float)
    if not np.isfinite(array).all():
        raise InvalidDataError(f"{what} contain NaN or infinite values.")
    return array


def month_complete(last_day: pd.Timestamp) -> bool:
    """Whether prices ending on ``last_day`` cover the whole month: it is the month's last weekday.

    (An exchange holiday on that weekday makes the month count as partial: left out, never guessed.)
    """
    return last_day.normalize() >= (last_day + pd.offsets.BMonthEnd(0)).normalize()


def month_end_closes(prices: pd.DataFrame) -> tuple[pd.DataFrame, pd.DatetimeIndex]:
    """Each asset's close on the last trading day of every whole calendar month: the one monthly convention.

    The trading days are the data's own (its index); an asset with no price on a month's last trading
    day (not listed yet) is NaN there. A final month whose prices stop before its last weekday is
    left out (``month_complete``). Returns the closes indexed by month (``Period``) and the day each
    close is from.
    """
    frame = validate_prices(prices)
    stamps = pd.DatetimeIndex(frame.index)
    month = stamps.year.to_numpy() * 12 + stamps.month.to_numpy()
    last = np.flatnonzero(np.append(month[1:] != month[:-1], True))  # each month's last trading day
    if not month_complete(stamps[last[-1]]):
        last = last[:-1]
    days = stamps[last]
    closes = pd.DataFrame(frame.to_numpy(dtype=float)[last], index=days.to_period("M"), columns=frame.columns)
    return closes, days


def monthly_returns(prices: pd.DataFrame) -> pd.DataFrame:
    """Month-end to month-end simple returns over the common history, whole months only, shape (M, N).

    Each return runs from one month's last price to the next month's last price; the first month
    in the data is only a base, and a final month whose prices stop before its last weekday (the
    few trading days after the last month-end) is left out. The index is the months (``Period``).
    """
    frame = common_history(prices, min_observations=2)
    month_end = frame.groupby(frame.index.to_period("M")).tail(1)
    if not month_complete(month_end.index[-1]):
        month_end = month_end.iloc[:-1]
    returns = (month_end / month_end.shift(1) - 1.0).iloc[1:]
    returns.index = month_end.index[1:].to_period("M")
    return returns


def history_window(prices: pd.DataFrame, monthly: pd.DataFrame | None = None) -> dict:
    """Which history a computation used, for the analyst: the dates asked for and the common window.

    ``first_prices``: each asset's first price; ``limited_by``: the asset whose late start shortened
    the common window (None when every asset covers the whole range); with ``monthly`` (whole-month
    returns), the first and last month used and their count.
    """
    frame = validate_prices(prices)
    firsts = {str(c): frame[c].first_valid_index() for c in frame.columns}
    common = max(firsts.values())
    latest = max(firsts, key=lambda c: firsts[c])
    out = {
        "from": frame.index[0].date().isoformat(),
        "to": frame.index[-1].date().isoformat(),
        "common_from": common.date().isoformat(),
        "limited_by": latest if common > frame.index[0] else None,
        "first_prices": {c: d.date().isoformat() for c, d in firsts.items()},
    }
    if monthly is not None and len(monthly):
        out.update(first_month=str(monthly.index[0]), last_month=str(monthly.index[-1]), months=len(monthly))
    return out
