"""Capital market assumptions: the firm's forward-looking expected returns, risks and correlations.

A set of assumptions describes asset classes and how each security relates to its class, in a
multi-index model (each security loads on its own class only):

    r_i - c = beta_i (F_k(i) - c) + e_i

``c`` is the cash rate, ``F_k`` the return of asset class ``k`` (expected return ``mu_k``,
volatility ``sigma_k``, correlations ``R``), ``beta_i`` the security's sensitivity to its class and
``e_i`` its own (idiosyncratic) return, independent of everything else with volatility ``s_i``.
So, for securities ``i`` and ``j``::

    E[r_i]        = c + beta_i (mu_k(i) - c)
    Cov(r_i, r_j) = beta_i beta_j sigma_k(i) sigma_k(j) R[k(i), k(j)] + [i == j] s_i^2

The covariance is positive semidefinite whenever ``R`` is. A security the set does not list belongs
to the set's default class with beta 1 and that class's idiosyncratic volatility.

Conventions: annual figures as fractions; expected returns are **arithmetic** means of annual simple
returns (so a portfolio's expected return is the weighted sum of its securities'), volatilities are
standard deviations of annual simple returns. Monthly simulations use ``mu / 12`` and ``cov / 12``
(``engine.montecarlo.ReturnModel.parametric``). Inflation is the annual rate the plans use.

:func:`derive` is how the seeded set is made from price history (docs/assumptions.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.data import MONTHS, month_end_closes
from engine.errors import InvalidInputError

KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# What an assumption may be before the set is refused as a typing mistake (fractions a year).
RETURN_RANGE = (-0.5, 0.5)
VOLATILITY_RANGE = (1e-6, 2.0)
BETA_RANGE = (-5.0, 5.0)
INFLATION_RANGE = (-0.05, 0.25)
CASH_RANGE = (-0.05, 0.25)
PSD_TOLERANCE = 1e-10
MAX_CLASSES = 40
MAX_SECURITIES = 5_000


class AssumptionsError(InvalidInputError):
    """A set of assumptions is inconsistent; ``problems`` lists every problem, each in one sentence."""

    def __init__(self, problems: Sequence[str]):
        self.problems = tuple(problems)
        shown = "; ".join(self.problems[:5]) + (
            f"; and {len(self.problems) - 5} more" if len(problems) > 5 else ""
        )
        super().__init__(f"The assumptions cannot be used: {shown}")


@dataclass(frozen=True)
class AssetClass:
    """One asset class: ``expected_return`` (arithmetic, a year), ``volatility`` (a year) and the
    idiosyncratic volatility a security of the class that the set does not list is given."""

    key: str
    label: str
    expected_return: float
    volatility: float
    idiosyncratic_volatility: float = 0.0


@dataclass(frozen=True)
class Exposure:
    """How a security relates to its asset class: ``beta`` to the class and its own volatility."""

    ticker: str
    asset_class: str
    beta: float = 1.0
    idiosyncratic_volatility: float = 0.0


@dataclass(frozen=True)
class CapitalMarketAssumptions:
    """A whole set of assumptions (see the module docstring for the model).

    ``correlations`` is the (K, K) class correlation matrix in the order of ``classes``.
    """

    name: str
    effective: str  # ISO date from which the set applies
    inflation: float
    cash_rate: float
    default_class: str
    classes: tuple[AssetClass, ...]
    correlations: tuple[tuple[float, ...], ...]
    securities: tuple[Exposure, ...] = ()
    method: str = ""

    # -- checks ------------------------------------------------------------------------------------

    def problems(self) -> list[str]:
        """Every inconsistency of the set, each as a sentence (empty: the set can be used)."""
        found: list[str] = []

        def check(value, what: str, low: float, high: float, unit: str = "%") -> bool:
            ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            if ok and low <= value <= high:
                return True
            scale = 100 if unit == "%" else 1
            shown = f"{value * scale:g} {unit}".strip() if ok else repr(value)
            found.append(
                f"{what} is {shown}; it must be between {low * scale:g} and {high * scale:g} {unit}".strip()
            )
            return False

        if not str(self.name).strip():
            found.append("the set has no name")
        try:
            dt.date.fromisoformat(str(self.effective))
        except ValueError:
            found.append(f"the effective date {str(self.effective)[:30]!r} is not a date (YYYY-MM-DD)")
        check(self.inflation, "inflation", *INFLATION_RANGE)
        check(self.cash_rate, "the cash rate", *CASH_RANGE)
        keys = [c.key for c in self.classes]
        if not self.classes:
            found.append("the set has no asset class")
        if len(self.classes) > MAX_CLASSES:
            found.append(f"the set has {len(self.classes)} asset classes; at most {MAX_CLASSES}")
        for duplicate in sorted({k for k in keys if keys.count(k) > 1}):
            found.append(f"asset class {duplicate} is given more than once")
        for c in self.classes:
            if not KEY.match(str(c.key)):
                found.append(
                    f"asset class key {str(c.key)[:40]!r} must be lower case letters, digits and _ "
                    "(starting with a letter, at most 32)"
                )
            if not str(c.label).strip():
                found.append(f"asset class {c.key} has no label")
            check(c.expected_return, f"the expected return of {c.key}", *RETURN_RANGE)
            check(c.volatility, f"the volatility of {c.key}", *VOLATILITY_RANGE)
            check(c.idiosyncratic_volatility, f"the idiosyncratic volatility of {c.key}", 0.0, 2.0)
        if self.default_class not in keys:
            found.append(f"the default class {self.default_class!r} is not one of the asset classes")
        found += self._correlation_problems()
        tickers = [s.ticker for s in self.securities]
        if len(self.securities) > MAX_SECURITIES:
            found.append(f"the set lists {len(self.securities)} securities; at most {MAX_SECURITIES}")
        for duplicate in sorted({t for t in tickers if tickers.count(t) > 1}):
            found.append(f"security {duplicate} is given more than once")
        for s in self.securities:
            if s.asset_class not in keys:
                found.append(f"security {s.ticker}'s class {s.asset_class!r} is not one of the asset classes")
            check(s.beta, f"the beta of {s.ticker}", *BETA_RANGE, unit="")
            check(s.idiosyncratic_volatility, f"the idiosyncratic volatility of {s.ticker}", 0.0, 2.0)
        return found

    def _correlation_problems(self) -> list[str]:
        k = len(self.classes)
        rows = self.correlations
        if len(rows) != k or any(len(row) != k for row in rows):
            return [f"the correlation matrix must be {k} x {k}, one row and column per asset class"]
        matrix = np.array(rows, dtype=float)
        if not np.isfinite(matrix).all():
            return ["the correlation matrix has a missing or non-numeric entry"]
        found = []
        keys = [c.key for c in self.classes]
        for i in range(k):
            if abs(matrix[i, i] - 1.0) > 1e-9:
                found.append(f"the correlation of {keys[i]} with itself must be 1")
            for j in range(i + 1, k):
                if abs(matrix[i, j] - matrix[j, i]) > 1e-9:
                    found.append(
                        f"the correlation of {keys[i]} and {keys[j]} differs from that of {keys[j]} and {keys[i]}"
                    )
                if not -1.0 <= matrix[i, j] <= 1.0:
                    found.append(
                        f"the correlation of {keys[i]} and {keys[j]} ({matrix[i, j]:g}) must be between -1 and 1"
                    )
        if not found:
            lowest = float(np.linalg.eigvalsh((matrix + matrix.T) / 2).min())
            if lowest < -PSD_TOLERANCE:
                found.append(
                    "the correlation matrix is not positive semidefinite (its smallest eigenvalue is "
                    f"{lowest:.4g}): some combination of classes would have a negative variance; "
                    "check the correlations for a sign or typing mistake"
                )
        return found

    def validated(self) -> CapitalMarketAssumptions:
        """The set itself, or AssumptionsError listing every problem."""
        found = self.problems()
        if found:
            raise AssumptionsError(found)
        return self

    # -- as data -----------------------------------------------------------------------------------

    def body(self) -> dict:
        """The classes, correlations and securities as plain data (JSON-ready)."""
        return {
            "classes": [dataclasses.asdict(c) for c in self.classes],
            "correlations": [list(row) for row in self.correlations],
            "securities": [dataclasses.asdict(s) for s in self.securities],
        }

    @classmethod
    def from_body(cls, body: dict, **scalars) -> CapitalMarketAssumptions:
        """The set from :meth:`body`'s data and its scalar fields (name, effective, inflation, ...)."""
        return cls(
            classes=tuple(AssetClass(**c) for c in body["classes"]),
            correlations=tuple(tuple(float(v) for v in row) for row in body["correlations"]),
            securities=tuple(Exposure(**s) for s in body["securities"]),
            **scalars,
        )

    # -- use ---------------------------------------------------------------------------------------

    def exposure(self, ticker: str) -> tuple[Exposure, bool]:
        """(the security's exposure, whether the set lists it): unlisted ones take the default class."""
        for s in self.securities:
            if s.ticker == ticker:
                return s, True
        default = self._class(self.default_class)
        return Exposure(ticker, default.key, 1.0, default.idiosyncratic_volatility), False

    def _class(self, key: str) -> AssetClass:
        return next(c for c in self.classes if c.key == key)

    def class_covariance(self) -> np.ndarray:
        """(K, K) covariance of the asset classes, a year."""
        sigma = np.array([c.volatility for c in self.classes])
        return np.outer(sigma, sigma) * np.array(self.correlations, dtype=float)

    def statistics(self, tickers: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Expected returns (N,) and covariance (N, N) of ``tickers``, a year (module docstring)."""
        index = {c.key: i for i, c in enumerate(self.classes)}
        exposures = [self.exposure(t)[0] for t in tickers]
        loadings = np.zeros((len(tickers), len(self.classes)))
        for row, e in enumerate(exposures):
            loadings[row, index[e.asset_class]] = e.beta
        class_mu = np.array([c.expected_return for c in self.classes])
        mu = self.cash_rate + loadings @ (class_mu - self.cash_rate)
        cov = loadings @ self.class_covariance() @ loadings.T
        cov += np.diag([e.idiosyncratic_volatility**2 for e in exposures])
        return mu, (cov + cov.T) / 2

    def portfolio(self, tickers: Sequence[str], weights: Sequence[float]) -> tuple[float, float]:
        """(expected return, volatility) a year of a portfolio of ``weights`` on ``tickers``."""
        mu, cov = self.statistics(tickers)
        w = np.asarray(weights, dtype=float)
        return float(w @ mu), float(math.sqrt(max(float(w @ cov @ w), 0.0)))

    def unlisted(self, tickers: Sequence[str]) -> list[str]:
        """The tickers the set does not list (they take the default class's figures)."""
        listed = {s.ticker for s in self.securities}
        return [t for t in tickers if t not in listed]


# -- the seeded set ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Derivation:
    """The settings :func:`derive` uses (docs/assumptions.md states why each is what it is)."""

    cash_rate: float = 0.02
    inflation: float = 0.025
    # standard errors of the market's mean taken off its historical premium (prudence)
    prudence: float = 1.0
    # weight of the measured beta in the adjusted beta (Blume 1971): 2/3 measured + 1/3 of 1
    beta_weight: float = 2.0 / 3.0
    min_months: int = 36


def derive(
    prices: pd.DataFrame,
    market: pd.Series,
    *,
    name: str,
    effective: str,
    market_class: tuple[str, str] = ("us_equity", "US equity"),
    settings: Derivation = Derivation(),
) -> CapitalMarketAssumptions:
    """A one-class set derived from price history (the seeded set; method in docs/assumptions.md).

    Parameters
    ----------
    prices : DataFrame, shape (T, N)
        Daily closes of the securities (ragged starts allowed), up to the as-of date.
    market : Series, shape (T',)
        Daily closes of the market (a broad index fund), named by its ticker.

    The class: monthly simple returns of the market over its whole months (month-end closes);
    expected return ``c + (12 mean - c) - prudence * sigma / sqrt(years)`` (the historical premium
    less ``prudence`` standard errors of its mean), volatility ``sqrt(12) std`` (ddof 1). Each
    security with at least ``min_months`` months in common with the market: OLS of its monthly
    return on the market's (with intercept); beta ``w b + (1 - w)`` (Blume), idiosyncratic
    volatility ``sqrt(12)`` times the residuals' standard deviation (ddof 2). The market itself has
    beta 1 and no idiosyncratic risk (listed first, then the securities by ticker). The class's default idiosyncratic volatility is the median of
    the securities'. Securities with a shorter history are not listed (they take the defaults).
    """
    s = settings
    market_frame = market.dropna().to_frame(str(market.name))
    closes, _ = month_end_closes(market_frame)
    m = closes.iloc[:, 0].pct_change().dropna()
    if len(m) < s.min_months:
        raise InvalidInputError(f"The market has {len(m)} whole months; at least {s.min_months} are needed.")
    years = len(m) / MONTHS
    mean = float(m.mean()) * MONTHS
    vol = float(m.std(ddof=1)) * math.sqrt(MONTHS)
    expected = s.cash_rate + (mean - s.cash_rate) - s.prudence * vol / math.sqrt(years)
    stock_closes, _ = month_end_closes(prices)
    stock_returns = stock_closes.pct_change()
    exposures = [Exposure(str(market.name), market_class[0], 1.0, 0.0)]
    for ticker in sorted(stock_returns.columns):
        if ticker == market.name:
            continue
        both = pd.concat([stock_returns[ticker], m], axis=1, join="inner").dropna()
        if len(both) < s.min_months:
            continue
        y, x = both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()
        slope = float(np.cov(y, x, ddof=1)[0, 1] / np.var(x, ddof=1))
        residual = y - (y.mean() - slope * x.mean()) - slope * x
        idio = float(np.sqrt((residual**2).sum() / (len(y) - 2)) * math.sqrt(MONTHS))
        beta = s.beta_weight * slope + (1 - s.beta_weight)
        exposures.append(Exposure(str(ticker), market_class[0], round(beta, 4), round(idio, 4)))
    idios = [e.idiosyncratic_volatility for e in exposures[1:]]
    default_idio = float(np.median(idios)) if idios else 0.25
    first, last = str(m.index[0]), str(m.index[-1])
    method = (
        f"Derived from month-end closes: {market.name} {first} to {last} ({len(m)} months) for the "
        f"class; historical mean {mean:.2%} a year less {s.prudence:g} standard error "
        f"({vol / math.sqrt(years):.2%}); securities' betas by regression on {market.name} over at least "
        f"{s.min_months} months, adjusted toward 1 (Blume, {s.beta_weight:.2f} measured); cash "
        f"{s.cash_rate:.2%} and inflation {s.inflation:.2%} are the firm's stated values."
    )
    return CapitalMarketAssumptions(
        name=name,
        effective=effective,
        inflation=s.inflation,
        cash_rate=s.cash_rate,
        default_class=market_class[0],
        classes=(
            AssetClass(
                market_class[0], market_class[1], round(expected, 6), round(vol, 6), round(default_idio, 4)
            ),
        ),
        correlations=((1.0,),),
        securities=tuple(exposures),
        method=method,
    ).validated()
