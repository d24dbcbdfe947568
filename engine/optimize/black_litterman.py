"""Black-Litterman: a market-implied prior from market capitalisations, the analyst's views (absolute
or relative, each with a confidence: Idzorek's method), and the posterior the optimiser uses."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.data import check_finite
from engine.errors import InvalidInputError
from engine.optimize.constraints import fraction
from engine.optimize.estimation import AssetStatistics, make_psd


@dataclass(frozen=True)
class View:
    """A Black-Litterman view: ``asset`` returns ``value`` a year (absolute), or
    ``asset`` outperforms ``versus`` by ``value`` (relative); ``confidence`` in (0, 1]."""

    asset: str
    value: float
    confidence: float = 0.5
    versus: str | None = None


def black_litterman_posterior(
    stats: AssetStatistics,
    views: Sequence[View],
    market_caps: Mapping[str, float] | None,
    market_risk_aversion: float | None = None,
    risk_free_rate: float = 0.0,
    tau: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior expected returns (N,) and covariance (N, N) from a market-implied prior and views.

    The prior is pi = delta * Sigma * w_mkt + rf with w_mkt from ``market_caps``;
    view uncertainty follows Idzorek's method from each view's confidence.
    """
    from pypfopt.black_litterman import BlackLittermanModel, market_implied_prior_returns

    tickers = list(stats.tickers)
    if not market_caps:
        raise InvalidInputError("Black-Litterman needs market capitalisations for the market-implied prior.")
    missing = [t for t in tickers if t not in market_caps]
    if missing:
        raise InvalidInputError(f"No market capitalisation for {', '.join(missing)}.")
    caps = pd.Series({t: float(market_caps[t]) for t in tickers})
    if not np.isfinite(caps).all() or (caps <= 0).any():
        raise InvalidInputError("Market capitalisations must be positive numbers.")
    delta = 2.5 if market_risk_aversion is None else float(market_risk_aversion)
    if not np.isfinite(delta) or delta <= 0:
        raise InvalidInputError("The market's risk aversion must be positive.")
    if not views:
        raise InvalidInputError("Add at least one view for Black-Litterman.")
    cov = pd.DataFrame(stats.cov, index=tickers, columns=tickers)
    prior = market_implied_prior_returns(caps, delta, cov, risk_free_rate=risk_free_rate)
    P = np.zeros((len(views), len(tickers)))
    Q = np.zeros(len(views))
    confidences = []
    for k, view in enumerate(views):
        for name in (view.asset, view.versus):
            if name is not None and name not in tickers:
                raise InvalidInputError(f"The view on {name} names an asset that is not in the portfolio.")
        if view.versus == view.asset:
            raise InvalidInputError(f"A relative view compares {view.asset} with itself.")
        Q[k] = fraction(view.value, f"The view on {view.asset}", -1.0, 2.0)
        P[k, tickers.index(view.asset)] = 1.0
        if view.versus is not None:
            P[k, tickers.index(view.versus)] = -1.0
        confidence = float(view.confidence)
        if not 0 < confidence <= 1:
            raise InvalidInputError(
                f"The confidence of the view on {view.asset} must be between 0 and 100 %."
            )
        confidences.append(confidence)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = BlackLittermanModel(
            cov,
            pi=prior,
            Q=Q,
            P=P,
            omega="idzorek",
            view_confidences=confidences,
            tau=tau,
            risk_aversion=delta,
        )
        mu = model.bl_returns().reindex(tickers).to_numpy(dtype=float)
        posterior_cov = model.bl_cov().reindex(index=tickers, columns=tickers).to_numpy(dtype=float)
    mu = check_finite(mu, "Black-Litterman returns")
    posterior_cov, _ = make_psd(check_finite(posterior_cov, "The Black-Litterman covariance"))
    return mu, posterior_cov
