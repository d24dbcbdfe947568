"""Estimation: annualised expected returns and covariance from daily prices (PyPortfolioOpt's
expected_returns and risk_models), repaired to positive semidefinite when needed."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.data import TRADING_DAYS, check_finite, require_history, validate_prices
from engine.errors import InsufficientDataError, InvalidInputError, NonPSDCovarianceError

RETURNS_MODELS = ("mean_historical", "ema", "capm")
RISK_MODELS = ("sample", "ledoit_wolf", "exponential")


@dataclass(frozen=True)
class AssetStatistics:
    """Annualised expected returns ``mu`` (N,) and covariance ``cov`` (N, N) of ``tickers``."""

    tickers: tuple[str, ...]
    mu: np.ndarray
    cov: np.ndarray
    returns_model: str
    risk_model: str
    observations: int
    repaired_psd: bool = False

    def frame(self) -> tuple[pd.Series, pd.DataFrame]:
        index = list(self.tickers)
        return pd.Series(self.mu, index=index), pd.DataFrame(self.cov, index=index, columns=index)

    @property
    def volatilities(self) -> np.ndarray:
        return np.sqrt(np.diag(self.cov))


def estimate(
    prices: pd.DataFrame,
    returns_model: str = "mean_historical",
    risk_model: str = "sample",
    benchmark: pd.Series | None = None,
    risk_free_rate: float = 0.0,
    ema_span: int = 500,
    cov_span: int = 180,
) -> AssetStatistics:
    """Annualised expected returns and covariance from daily prices (ragged starts allowed).

    Parameters
    ----------
    prices : DataFrame, shape (T, N)
        Adjusted closes; leading NaN for assets that listed later.
    returns_model : {"mean_historical", "ema", "capm"}
        Geometric mean (CAGR) of each asset's own history, exponentially
        weighted mean, or CAPM against ``benchmark`` (required).
    risk_model : {"sample", "ledoit_wolf", "exponential"}
        Sample covariance (pairwise over overlapping dates), Ledoit-Wolf
        shrinkage to constant variance (common history), or exponentially
        weighted covariance. A non-PSD result is repaired by spectral
        clipping; if that fails, NonPSDCovarianceError.
    """
    from pypfopt import expected_returns, risk_models

    if returns_model not in RETURNS_MODELS:
        raise InvalidInputError(
            f"Unknown expected-return model {returns_model!r}; choose one of {', '.join(RETURNS_MODELS)}."
        )
    if risk_model not in RISK_MODELS:
        raise InvalidInputError(f"Unknown risk model {risk_model!r}; choose one of {', '.join(RISK_MODELS)}.")
    frame = validate_prices(prices)
    n = frame.shape[1]
    start = max(frame[c].first_valid_index() for c in frame.columns)
    overlap = len(frame.loc[start:]) - 1
    if overlap < n + 1:
        raise InsufficientDataError(
            f"Only {max(overlap, 0)} daily returns where all {n} assets trade (at least {n + 1} needed): "
            "choose a longer date range or fewer assets."
        )
    require_history(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if returns_model == "mean_historical":
            mu = expected_returns.mean_historical_return(frame, frequency=TRADING_DAYS)
        elif returns_model == "ema":
            mu = expected_returns.ema_historical_return(frame, span=ema_span, frequency=TRADING_DAYS)
        else:
            if benchmark is None:
                raise InvalidInputError("The CAPM model needs benchmark prices (SPY).")
            market = benchmark.reindex(frame.index).ffill().to_frame("mkt")
            mu = expected_returns.capm_return(
                frame.loc[start:],
                market_prices=market.loc[start:],
                risk_free_rate=risk_free_rate,
                frequency=TRADING_DAYS,
            )
        if risk_model == "sample":
            cov = risk_models.sample_cov(frame, frequency=TRADING_DAYS)
        elif risk_model == "ledoit_wolf":
            cov = risk_models.CovarianceShrinkage(frame.loc[start:], frequency=TRADING_DAYS).ledoit_wolf()
        else:
            cov = risk_models.exp_cov(frame, span=cov_span, frequency=TRADING_DAYS)
    mu_values = check_finite(mu.reindex(frame.columns).to_numpy(), "Expected returns")
    cov_values = check_finite(
        cov.reindex(index=frame.columns, columns=frame.columns).to_numpy(), "The covariance matrix"
    )
    cov_values, repaired = make_psd(cov_values)
    return AssetStatistics(
        tuple(map(str, frame.columns)), mu_values, cov_values, returns_model, risk_model, overlap, repaired
    )


def make_psd(cov: np.ndarray) -> tuple[np.ndarray, bool]:
    """``cov`` symmetrised and, if needed, repaired by clipping negative eigenvalues.

    Returns the matrix and whether it was repaired; NonPSDCovarianceError if
    the repaired matrix is still not positive semidefinite.
    """
    cov = (np.asarray(cov, dtype=float) + np.asarray(cov, dtype=float).T) / 2
    values, vectors = np.linalg.eigh(cov)
    scale = max(1.0, float(np.abs(values).max(initial=0.0)))
    if values.min(initial=0.0) >= -1e-12 * scale:
        return cov, False
    clipped = vectors @ np.diag(np.clip(values, 0.0, None)) @ vectors.T
    clipped = (clipped + clipped.T) / 2
    if not np.isfinite(clipped).all() or np.linalg.eigvalsh(clipped).min() < -1e-9 * scale:
        raise NonPSDCovarianceError(
            "The covariance matrix is not positive semidefinite and could not be repaired; "
            "use the Ledoit-Wolf risk model or a longer history."
        )
    return clipped, True


# -- optimisation -----------------------------------------------------------------
