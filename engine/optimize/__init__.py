"""Portfolio optimisation on PyPortfolioOpt, laid out as it is: ``estimation`` (expected returns and
covariance), ``constraints`` (bounds and sector limits), ``black_litterman`` (prior, views, posterior),
``allocation`` (whole shares) and ``optimizer`` (the objectives, down a chain of solvers).

Conventions: daily prices, 252 trading days a year; expected returns and volatilities are annualised
fractions; weights are fractions of the portfolio that sum to 1 (long-only unless the bounds allow
shorting). PyPortfolioOpt and cvxpy are imported on first use (cvxpy takes about 2 s to import).

Every failure raises a typed :mod:`engine.errors` exception whose message an analyst can act on; solver
trouble is retried down a fallback chain first.
"""

from engine.optimize.allocation import Allocation, discrete_allocation
from engine.optimize.black_litterman import View, black_litterman_posterior
from engine.optimize.constraints import CLEAN_CUTOFF, WEIGHT_TOLERANCE, SectorLimits
from engine.optimize.estimation import RETURNS_MODELS, RISK_MODELS, AssetStatistics, estimate, make_psd
from engine.optimize.optimizer import (
    FROM_PRICES,
    MEAN_VARIANCE,
    OBJECTIVES,
    SOLVER_CHAIN,
    OptimizationResult,
    optimize,
    portfolio_performance,
)

__all__ = [
    "CLEAN_CUTOFF",
    "FROM_PRICES",
    "MEAN_VARIANCE",
    "OBJECTIVES",
    "RETURNS_MODELS",
    "RISK_MODELS",
    "SOLVER_CHAIN",
    "WEIGHT_TOLERANCE",
    "Allocation",
    "AssetStatistics",
    "OptimizationResult",
    "SectorLimits",
    "View",
    "black_litterman_posterior",
    "discrete_allocation",
    "estimate",
    "make_psd",
    "optimize",
    "portfolio_performance",
]
