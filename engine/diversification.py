"""Diversification: correlations in cluster order, risk contributions, concentration, effective bets.

Conventions: daily returns over the assets' common history, annualised
covariance (252 days); weights are fractions summing to 1.

Effective number of bets (Meucci, 2009): the covariance is decomposed into
uncorrelated principal portfolios (eigenvectors ``e_k``, variances
``lambda_k``); the share of portfolio variance from each is
``p_k = (e_k' w)^2 lambda_k / (w' Sigma w)``, and ENB is the exponential of
the entropy of ``p``: ``exp(-sum p_k ln p_k)``, between 1 (one bet) and N.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import squareform

from engine.data import TRADING_DAYS, common_history, history_window
from engine.errors import InvalidInputError
from engine.optimize import make_psd


@dataclass(frozen=True)
class DiversificationReport:
    tickers: tuple[str, ...]  # in cluster order
    correlation: np.ndarray  # (N, N), rows/columns in cluster order
    weights: dict[str, float]
    risk_contributions: dict[str, float]  # share of portfolio variance, sums to 1
    hhi: float
    effective_holdings: float
    effective_bets: float
    diversification_ratio: float
    volatility: float
    sector_exposure: dict[str, float]
    window: dict = field(default_factory=dict)  # engine.data.history_window: the dates it used

    def as_dict(self) -> dict:
        return {
            "window": self.window,
            "tickers": list(self.tickers),
            "correlation": self.correlation.tolist(),
            "weights": self.weights,
            "risk_contributions": self.risk_contributions,
            "hhi": self.hhi,
            "effective_holdings": self.effective_holdings,
            "effective_bets": self.effective_bets,
            "diversification_ratio": self.diversification_ratio,
            "volatility": self.volatility,
            "sector_exposure": self.sector_exposure,
        }


def cluster_order(correlation: np.ndarray) -> np.ndarray:
    """Leaf order of average-linkage clustering on the distance sqrt((1 - rho) / 2)."""
    n = correlation.shape[0]
    if n < 3:
        return np.arange(n)
    distance = np.sqrt(np.clip((1.0 - correlation) / 2.0, 0.0, 1.0))
    np.fill_diagonal(distance, 0.0)
    tree = linkage(squareform(distance, checks=False), method="average", optimal_ordering=True)
    return leaves_list(tree)


def risk_contributions(weights: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Each asset's share of portfolio variance, ``w_i (Sigma w)_i / w' Sigma w`` (sums to 1)."""
    variance = float(weights @ cov @ weights)
    if variance <= 0:
        raise InvalidInputError("The portfolio has no variance; risk contributions are undefined.")
    return weights * (cov @ weights) / variance


def effective_bets(weights: np.ndarray, cov: np.ndarray) -> float:
    """Meucci's effective number of bets from the principal portfolios of ``cov``."""
    values, vectors = np.linalg.eigh(cov)
    values = np.clip(values, 0.0, None)
    exposures = vectors.T @ weights
    shares = exposures**2 * values
    shares = shares / shares.sum()
    shares = shares[shares > 1e-15]
    return float(np.exp(-(shares * np.log(shares)).sum()))


def diversification_report(
    prices: pd.DataFrame, weights, sectors: Mapping[str, str] | None = None
) -> DiversificationReport:
    """Diversification of ``weights`` over the assets in ``prices`` (T, N)."""
    frame = common_history(prices)
    tickers = [str(c) for c in frame.columns]
    w = np.asarray(weights, dtype=float)
    if w.shape != (len(tickers),) or not np.isfinite(w).all() or abs(w.sum() - 1.0) > 1e-6:
        raise InvalidInputError("Weights must be one finite number per asset, summing to 100 %.")
    daily = frame.pct_change().iloc[1:]
    cov, _ = make_psd(daily.cov().to_numpy() * TRADING_DAYS)
    vols = np.sqrt(np.diag(cov))
    if (vols <= 0).any():
        flat = [t for t, v in zip(tickers, vols, strict=True) if v <= 0]
        raise InvalidInputError(
            f"{', '.join(flat)} did not move over these dates; correlations are undefined."
        )
    correlation = cov / np.outer(vols, vols)
    order = cluster_order(correlation)
    contributions = risk_contributions(w, cov)
    hhi = float((w**2).sum())
    volatility = float(np.sqrt(w @ cov @ w))
    exposure: dict[str, float] = {}
    if sectors is not None:
        for ticker, weight in zip(tickers, w, strict=True):
            name = sectors.get(ticker) or "Other"
            exposure[name] = exposure.get(name, 0.0) + float(weight)
        exposure = dict(sorted(exposure.items(), key=lambda kv: -kv[1]))
    return DiversificationReport(
        tickers=tuple(tickers[i] for i in order),
        correlation=correlation[np.ix_(order, order)],
        weights={t: float(x) for t, x in zip(tickers, w, strict=True)},
        risk_contributions={t: float(c) for t, c in zip(tickers, contributions, strict=True)},
        hhi=hhi,
        effective_holdings=1.0 / hhi,
        effective_bets=effective_bets(w, cov),
        diversification_ratio=float(w @ vols / volatility),
        volatility=volatility,
        sector_exposure=exposure,
        window={**history_window(prices), "observations": len(daily)},
    )
