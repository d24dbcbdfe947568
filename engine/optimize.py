"""Portfolio optimisation on PyPortfolioOpt: statistics, objectives, constraints, Black-Litterman.

Conventions: daily prices, 252 trading days a year; expected returns and
volatilities are annualised fractions; weights are fractions of the portfolio
that sum to 1 (long-only unless the bounds allow shorting). PyPortfolioOpt and
cvxpy are imported on first use (cvxpy takes about 2 s to import).

Every failure raises a typed :mod:`engine.errors` exception whose message an
analyst can act on; solver trouble is retried down a fallback chain first.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.data import TRADING_DAYS, check_finite, require_history, validate_prices
from engine.errors import (
    EngineError,
    InfeasibleConstraintsError,
    InsufficientDataError,
    InvalidInputError,
    NonPSDCovarianceError,
    ReturnsBelowRiskFreeError,
    SolverError,
    TargetReturnTooHighError,
    TargetVolatilityTooLowError,
)
from engine.validation import number

RETURNS_MODELS = ("mean_historical", "ema", "capm")
RISK_MODELS = ("sample", "ledoit_wolf", "exponential")
OBJECTIVES = (
    "max_sharpe",
    "min_volatility",
    "efficient_risk",
    "efficient_return",
    "max_quadratic_utility",
    "hrp",
    "black_litterman",
)
# Tried in order; OSQP handles only quadratic programs, so a failure there falls through to SCS.
SOLVER_CHAIN = ("CLARABEL", "OSQP", "SCS")
WEIGHT_TOLERANCE = 1e-6
CLEAN_CUTOFF = 1e-5


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


@dataclass(frozen=True)
class SectorLimits:
    """Group constraints: ``mapper`` ticker -> sector; bounds on each sector's total weight."""

    mapper: Mapping[str, str]
    lower: Mapping[str, float] = field(default_factory=dict)
    upper: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    """A Black-Litterman view: ``asset`` returns ``value`` a year (absolute), or
    ``asset`` outperforms ``versus`` by ``value`` (relative); ``confidence`` in (0, 1]."""

    asset: str
    value: float
    confidence: float = 0.5
    versus: str | None = None


@dataclass(frozen=True)
class OptimizationResult:
    objective: str
    weights: dict[str, float]
    expected_return: float
    volatility: float
    sharpe: float
    risk_free_rate: float
    returns_model: str
    risk_model: str
    solver: str | None
    sector_weights: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    implied_returns: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "objective": self.objective,
            "weights": self.weights,
            "expected_return": self.expected_return,
            "volatility": self.volatility,
            "sharpe": self.sharpe,
            "risk_free_rate": self.risk_free_rate,
            "returns_model": self.returns_model,
            "risk_model": self.risk_model,
            "solver": self.solver,
            "sector_weights": self.sector_weights,
            "warnings": list(self.warnings),
            "implied_returns": self.implied_returns,
        }


@dataclass(frozen=True)
class Allocation:
    """Whole shares to buy for a cash amount, and the cash left over."""

    shares: dict[str, int]
    leftover: float
    invested: float


# -- statistics -----------------------------------------------------------------


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


def optimize(
    stats: AssetStatistics,
    objective: str = "max_sharpe",
    *,
    risk_free_rate: float = 0.0,
    target_volatility: float | None = None,
    target_return: float | None = None,
    risk_aversion: float = 1.0,
    bounds: tuple[float, float] = (0.0, 1.0),
    sectors: SectorLimits | None = None,
    returns: pd.DataFrame | None = None,
    views: Sequence[View] = (),
    market_caps: Mapping[str, float] | None = None,
    market_risk_aversion: float | None = None,
    bl_objective: str = "max_sharpe",
) -> OptimizationResult:
    """Optimal weights for ``objective`` under bounds and sector limits.

    Parameters
    ----------
    stats : AssetStatistics
    objective : one of OBJECTIVES
    risk_free_rate : float
        Annual, fraction. Used by max Sharpe and to report every Sharpe ratio.
    target_volatility, target_return : float
        Annual fractions, for efficient_risk and efficient_return.
    bounds : (low, high)
        Per-asset weight bounds, fractions in [-1, 1].
    returns : DataFrame, shape (T, N)
        Daily returns, required by HRP.
    views, market_caps, market_risk_aversion, bl_objective
        Black-Litterman: views on assets, market capitalisations for the
        market-implied prior, the market's risk aversion (delta; default 2.5)
        and the objective optimised on the posterior.
    """
    if objective not in OBJECTIVES:
        raise InvalidInputError(f"Unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}.")
    risk_free_rate = _fraction(risk_free_rate, "The risk-free rate", -0.5, 0.5)
    low, high = _check_bounds(bounds, len(stats.tickers))
    if sectors is not None:
        _check_sectors(sectors, stats.tickers, low, high)
    notes: list[str] = []
    if stats.repaired_psd:
        notes.append("The covariance matrix was not positive semidefinite and was repaired.")

    if objective == "hrp":
        weights = _hrp(stats, returns)
        if bounds != (0.0, 1.0) or sectors is not None:
            notes.append("HRP does not use weight bounds or sector limits; they were not applied.")
        return _result(stats, objective, weights, risk_free_rate, None, sectors, notes)

    mu, cov = stats.mu, stats.cov
    implied: dict[str, float] = {}
    inner = objective
    if objective == "black_litterman":
        mu, cov = black_litterman_posterior(stats, views, market_caps, market_risk_aversion, risk_free_rate)
        implied = dict(zip(stats.tickers, map(float, mu), strict=True))
        inner = bl_objective
        if inner not in OBJECTIVES[:5]:
            raise InvalidInputError(
                "Black-Litterman optimises max Sharpe, min volatility, efficient risk/return or utility."
            )

    if inner == "max_sharpe":
        if not (mu > risk_free_rate).any():
            raise ReturnsBelowRiskFreeError(
                f"Every expected return is at or below the risk-free rate ({risk_free_rate:.2%}); "
                "max Sharpe is undefined. Lower the risk-free rate or choose min volatility."
            )
        if _max_return(mu, low, high, sectors, stats.tickers) <= risk_free_rate + 1e-9:
            raise ReturnsBelowRiskFreeError(
                f"No portfolio within these bounds and sector limits returns more than the risk-free rate "
                f"({risk_free_rate:.2%}); max Sharpe is undefined. Loosen the minimum weights or choose min volatility."
            )
    if inner == "efficient_risk":
        target_volatility = _target(target_volatility, "Target volatility")
    if inner == "efficient_return":
        target_return = _target(target_return, "Target return", allow_negative=True)
        best = _max_return(mu, low, high, sectors, stats.tickers)
        if target_return > best + 1e-9:
            raise TargetReturnTooHighError(
                f"The target return {target_return:.2%} is above the highest achievable return "
                f"{best:.2%} under these constraints."
            )
    if inner == "max_quadratic_utility":
        risk_aversion = float(risk_aversion)
        if not np.isfinite(risk_aversion) or risk_aversion <= 0:
            raise InvalidInputError("Risk aversion must be a positive number.")

    params = {
        "risk_free_rate": risk_free_rate,
        "target_volatility": target_volatility,
        "target_return": target_return,
        "risk_aversion": risk_aversion,
    }
    try:
        weights, solver = _solve_with_fallback(stats.tickers, mu, cov, inner, (low, high), sectors, **params)
    except (TargetVolatilityTooLowError, InfeasibleConstraintsError, SolverError):
        if inner != "efficient_risk":
            raise
        # PyPortfolioOpt checks the target against the unconstrained minimum; report the real one.
        floor, _ = _solve_with_fallback(
            stats.tickers, mu, cov, "min_volatility", (low, high), sectors, **params
        )
        minimum = portfolio_performance(floor, mu, cov, risk_free_rate)[1]
        if target_volatility < minimum:
            raise TargetVolatilityTooLowError(
                f"The target volatility {target_volatility:.2%} is below the lowest achievable "
                f"volatility {minimum:.2%} under these constraints."
            ) from None
        raise
    if inner == "efficient_risk":
        reached = portfolio_performance(weights, mu, cov, risk_free_rate)[1]
        if reached < target_volatility * (1 - 1e-3) - 1e-6:
            notes.append(
                f"Target volatility {target_volatility:.2%} not reached: the highest-return portfolio under "
                f"these constraints has {reached:.2%} volatility, and more risk cannot raise the expected "
                "return, so that portfolio is shown."
            )
    return _result(
        stats, objective, weights, risk_free_rate, solver, sectors, notes, mu, cov, implied, (low, high)
    )


def _solve_with_fallback(tickers, mu, cov, objective, bounds, sectors, **params):
    import cvxpy as cp
    from pypfopt import EfficientFrontier
    from pypfopt.exceptions import OptimizationError

    mu_s = pd.Series(mu, index=list(tickers))
    cov_f = pd.DataFrame(cov, index=list(tickers), columns=list(tickers))
    errors = []
    for solver in SOLVER_CHAIN:
        frontier = EfficientFrontier(mu_s, cov_f, weight_bounds=bounds, solver=solver)
        if sectors is not None:
            frontier.add_sector_constraints(
                {t: sectors.mapper[t] for t in tickers}, dict(sectors.lower), dict(sectors.upper)
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _run_objective(frontier, objective, params)
            weights = np.array([frontier.weights[i] for i in range(len(tickers))], dtype=float)
            _post_check(weights, bounds)
            return weights, solver
        except EngineError:
            raise
        except ValueError as error:
            _translate_value_error(error, objective, params)
            errors.append(f"{solver}: {error}")
        except (OptimizationError, cp.error.SolverError, ArithmeticError, KeyError, TypeError) as error:
            errors.append(f"{solver}: {error}")
    if any("infeasible" in e.lower() for e in errors):
        raise InfeasibleConstraintsError(
            "No portfolio satisfies these weight bounds and sector limits together; loosen them."
        )
    raise SolverError(
        f"Every solver failed ({'; '.join(errors)[:400]}). Try another objective or looser constraints."
    )


def _run_objective(frontier, objective: str, params: dict) -> None:
    if objective == "max_sharpe":
        frontier.max_sharpe(risk_free_rate=params["risk_free_rate"])
    elif objective == "min_volatility":
        frontier.min_volatility()
    elif objective == "efficient_risk":
        frontier.efficient_risk(target_volatility=float(params["target_volatility"]))
    elif objective == "efficient_return":
        frontier.efficient_return(target_return=float(params["target_return"]))
    else:
        frontier.max_quadratic_utility(risk_aversion=float(params["risk_aversion"]))


def _translate_value_error(error: ValueError, objective: str, params: dict) -> None:
    text = str(error)
    found = re.search(r"minimum volatility is ([0-9]+\.[0-9]+)", text)
    if found:
        minimum = float(found.group(1))
        raise TargetVolatilityTooLowError(
            f"The target volatility {params['target_volatility']:.2%} is below the lowest achievable "
            f"volatility {minimum:.2%} under these constraints."
        ) from None
    if "maximum possible return" in text:
        raise TargetReturnTooHighError(
            f"The target return {params['target_return']:.2%} is above the highest achievable return."
        ) from None
    if "exceeding the risk-free rate" in text:
        raise ReturnsBelowRiskFreeError(
            "Every expected return is at or below the risk-free rate; max Sharpe is undefined."
        ) from None


def _post_check(weights: np.ndarray, bounds: tuple[float, float]) -> None:
    if not np.isfinite(weights).all():
        raise ArithmeticError("non-finite weights")
    if abs(weights.sum() - 1.0) > 1e-4:
        raise ArithmeticError(f"weights sum to {weights.sum():.6f}")
    low, high = bounds
    if (weights < low - 1e-4).any() or (weights > high + 1e-4).any():
        raise ArithmeticError("weights outside their bounds")


def _clean(
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


def portfolio_performance(weights: np.ndarray, mu: np.ndarray, cov: np.ndarray, risk_free_rate: float):
    """(expected return, volatility, Sharpe) of ``weights``, annualised."""
    ret = float(weights @ mu)
    vol = float(np.sqrt(max(weights @ cov @ weights, 0.0)))
    sharpe = (ret - risk_free_rate) / vol if vol > 0 else float("nan")
    return ret, vol, sharpe


def _result(
    stats, objective, weights, rf, solver, sectors, notes, mu=None, cov=None, implied=None, bounds=(0.0, 1.0)
):
    # HRP (no solver) does not apply bounds or sector limits, so cleaning must not either
    limits = sectors if solver is not None else None
    weights = _clean(np.asarray(weights, dtype=float), bounds, limits, stats.tickers)
    mu = stats.mu if mu is None else mu
    cov = stats.cov if cov is None else cov
    ret, vol, sharpe = portfolio_performance(weights, mu, cov, rf)
    by_sector: dict[str, float] = {}
    if sectors is not None:
        for ticker, w in zip(stats.tickers, weights, strict=True):
            by_sector[sectors.mapper[ticker]] = by_sector.get(sectors.mapper[ticker], 0.0) + float(w)
    return OptimizationResult(
        objective=objective,
        weights={t: float(w) for t, w in zip(stats.tickers, weights, strict=True)},
        expected_return=ret,
        volatility=vol,
        sharpe=sharpe,
        risk_free_rate=rf,
        returns_model=stats.returns_model,
        risk_model=stats.risk_model,
        solver=solver,
        sector_weights=by_sector,
        warnings=tuple(notes),
        implied_returns=implied or {},
    )


def _hrp(stats: AssetStatistics, returns: pd.DataFrame | None) -> np.ndarray:
    from pypfopt import HRPOpt

    if returns is None:
        raise InvalidInputError("HRP needs the assets' daily returns.")
    frame = returns[list(stats.tickers)].dropna()
    if len(frame) < len(stats.tickers) + 1:
        raise InsufficientDataError(
            "Too few common returns for HRP; choose a longer date range or fewer assets."
        )
    cov = pd.DataFrame(stats.cov, index=list(stats.tickers), columns=list(stats.tickers))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weights = HRPOpt(frame, cov_matrix=cov).optimize()
    return np.array([weights[t] for t in stats.tickers], dtype=float)


# -- Black-Litterman ----------------------------------------------------------------


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
        Q[k] = _fraction(view.value, f"The view on {view.asset}", -1.0, 2.0)
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


# -- discrete allocation ------------------------------------------------------------


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


# -- helpers --------------------------------------------------------------------------


def _fraction(value, what: str, low: float, high: float) -> float:
    return number(
        value, what, low, high, hint="{what} of {value:g} is out of range; enter a fraction (0.05 for 5 %)."
    )


def _target(value, what: str, allow_negative: bool = False) -> float:
    if value is None:
        raise InvalidInputError(f"{what} is required for this objective.")
    if isinstance(value, bool):
        raise InvalidInputError(f"{what} must be a number.")
    number = _fraction(value, what, -1.0 if allow_negative else 0.0, 100.0)
    if number > 1.0:
        raise InvalidInputError(
            f"{what} of {number:g} looks like a percentage; enter it as a fraction ({number / 100:g} for {number:g} %)."
        )
    if not allow_negative and number <= 0:
        raise InvalidInputError(f"{what} must be above zero.")
    return number


def _check_bounds(bounds, n: int) -> tuple[float, float]:
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


def _check_sectors(sectors: SectorLimits, tickers: Sequence[str], low: float, high: float) -> None:
    missing = [t for t in tickers if t not in sectors.mapper]
    if missing:
        raise InvalidInputError(f"No sector for {', '.join(missing)}.")
    members: dict[str, int] = {}
    for t in tickers:
        members[sectors.mapper[t]] = members.get(sectors.mapper[t], 0) + 1
    for name, limit in {**sectors.lower, **sectors.upper}.items():
        if name not in members:
            raise InvalidInputError(f"The sector limit names {name}, which none of the assets is in.")
        _fraction(limit, f"The limit for {name}", 0.0, 1.0)
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


def _max_return(mu, low, high, sectors, tickers) -> float:
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
