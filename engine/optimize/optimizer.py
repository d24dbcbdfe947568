"""The optimiser: the objectives on PyPortfolioOpt's EfficientFrontier (down a chain of solvers), HRP,
and Black-Litterman's posterior optimised by one of the mean-variance objectives."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from engine.errors import (
    EngineError,
    InfeasibleConstraintsError,
    InsufficientDataError,
    InvalidInputError,
    ReturnsBelowRiskFreeError,
    SolverError,
    TargetReturnTooHighError,
    TargetVolatilityTooLowError,
)
from engine.optimize.black_litterman import View, black_litterman_posterior
from engine.optimize.constraints import (
    SectorLimits,
    check_bounds,
    check_sectors,
    clean_weights,
    fraction,
    max_return,
    target,
)
from engine.optimize.estimation import AssetStatistics

# Solved on expected returns and covariance; Black-Litterman optimises one of them on its posterior.
MEAN_VARIANCE = (
    "max_sharpe",
    "min_volatility",
    "efficient_risk",
    "efficient_return",
    "max_quadratic_utility",
)
# What prices alone are enough for (Black-Litterman needs views and market capitalisations too).
FROM_PRICES = (*MEAN_VARIANCE, "hrp")
OBJECTIVES = (*FROM_PRICES, "black_litterman")
# Tried in order; OSQP handles only quadratic programs, so a failure there falls through to SCS.
SOLVER_CHAIN = ("CLARABEL", "OSQP", "SCS")


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
    risk_free_rate = fraction(risk_free_rate, "The risk-free rate", -0.5, 0.5)
    low, high = check_bounds(bounds, len(stats.tickers))
    if sectors is not None:
        check_sectors(sectors, stats.tickers, low, high)
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
        if inner not in MEAN_VARIANCE:
            raise InvalidInputError(
                "Black-Litterman optimises max Sharpe, min volatility, efficient risk/return or utility."
            )

    if inner == "max_sharpe":
        if not (mu > risk_free_rate).any():
            raise ReturnsBelowRiskFreeError(
                f"Every expected return is at or below the risk-free rate ({risk_free_rate:.2%}); "
                "max Sharpe is undefined. Lower the risk-free rate or choose min volatility."
            )
        if max_return(mu, low, high, sectors, stats.tickers) <= risk_free_rate + 1e-9:
            raise ReturnsBelowRiskFreeError(
                f"No portfolio within these bounds and sector limits returns more than the risk-free rate "
                f"({risk_free_rate:.2%}); max Sharpe is undefined. Loosen the minimum weights or choose min volatility."
            )
    if inner == "efficient_risk":
        target_volatility = target(target_volatility, "Target volatility")
    if inner == "efficient_return":
        target_return = target(target_return, "Target return", allow_negative=True)
        best = max_return(mu, low, high, sectors, stats.tickers)
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
    weights = clean_weights(np.asarray(weights, dtype=float), bounds, limits, stats.tickers)
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
