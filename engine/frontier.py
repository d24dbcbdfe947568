"""The efficient frontier: one parameterised convex problem re-solved for every point.

Conventions: annualised fractions, as in :mod:`engine.optimize`. The minimum
variance problem ``min ||L' w||^2 s.t. mu'w >= r*, sum w = 1, bounds, sector
limits`` is compiled once with ``r*`` as a cvxpy Parameter (DPP), then solved
for each target with warm starts — many times faster than building a fresh
optimiser per point, with the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.errors import InvalidInputError, SolverError
from engine.optimize import AssetStatistics, OptimizationResult, SectorLimits, optimize, portfolio_performance
from engine.optimize.constraints import check_bounds, check_sectors, max_return

MAX_POINTS = 200


@dataclass(frozen=True)
class FrontierResult:
    """``points`` portfolios from minimum volatility to the highest achievable return."""

    tickers: tuple[str, ...]
    returns: np.ndarray  # (P,)
    volatilities: np.ndarray  # (P,)
    sharpe: np.ndarray  # (P,)
    weights: np.ndarray  # (P, N)
    min_volatility: OptimizationResult
    max_sharpe: OptimizationResult | None
    asset_returns: np.ndarray  # (N,)
    asset_volatilities: np.ndarray  # (N,)
    risk_free_rate: float

    def as_dict(self) -> dict:
        return {
            "tickers": list(self.tickers),
            "points": [
                {
                    "expected_return": float(r),
                    "volatility": float(v),
                    "sharpe": float(s),
                    "weights": dict(zip(self.tickers, map(float, w), strict=True)),
                }
                for r, v, s, w in zip(self.returns, self.volatilities, self.sharpe, self.weights, strict=True)
            ],
            "min_volatility": self.min_volatility.as_dict(),
            "max_sharpe": self.max_sharpe.as_dict() if self.max_sharpe else None,
            "assets": {
                t: {"expected_return": float(r), "volatility": float(v)}
                for t, r, v in zip(self.tickers, self.asset_returns, self.asset_volatilities, strict=True)
            },
            "risk_free_rate": self.risk_free_rate,
        }


class FrontierProblem:
    """min w'Σw subject to mu'w >= target, sum w = 1, bounds, sector limits — set up once.

    The matrices never change between points, only the right-hand side of the
    return constraint, so the problem is handed to the solver directly
    (Clarabel, cvxpy's default conic solver; OSQP as the fallback) instead of
    through cvxpy, whose per-solve overhead (~3 ms) would dominate a ~0.4 ms
    solve. Clarabel updates the right-hand side in place between solves.
    """

    def __init__(self, stats: AssetStatistics, bounds, sectors: SectorLimits | None):
        import scipy.sparse as sparse

        n = len(stats.tickers)
        rows = [-np.eye(n), np.eye(n), -stats.mu[None, :]]
        rhs = [np.full(n, -bounds[0]), np.full(n, bounds[1]), [0.0]]
        if sectors is not None:
            for name in sorted({*sectors.lower, *sectors.upper}):
                mask = np.array([sectors.mapper[t] == name for t in stats.tickers], dtype=float)
                if name in sectors.upper:
                    rows.append(mask[None, :])
                    rhs.append([float(sectors.upper[name])])
                if name in sectors.lower:
                    rows.append(-mask[None, :])
                    rhs.append([-float(sectors.lower[name])])
        self.n = n
        self.inequalities = np.vstack(rows)
        self.rhs = np.concatenate([[1.0], *map(np.asarray, rhs)]).astype(float)
        self.target_row = 1 + 2 * n  # index of -mu'w <= -target in the stacked rows
        self.P = sparse.triu(sparse.csc_matrix(2.0 * stats.cov)).tocsc()
        self.A = sparse.csc_matrix(np.vstack([np.ones((1, n)), self.inequalities]))
        self._clarabel = None

    def solve(self, target: float) -> np.ndarray:
        """Weights (N,) of the minimum-variance portfolio returning at least ``target``."""
        b = self.rhs.copy()
        b[self.target_row] = -float(target)
        weights = self._solve_clarabel(b)
        if weights is None:
            weights = self._solve_osqp(b)
        if weights is None:
            raise SolverError(f"The frontier point at a {target:.2%} return could not be solved.")
        return weights

    def _solve_clarabel(self, b: np.ndarray) -> np.ndarray | None:
        import clarabel

        if self._clarabel is None:
            settings = clarabel.DefaultSettings()
            settings.verbose = False
            cones = [clarabel.ZeroConeT(1), clarabel.NonnegativeConeT(self.A.shape[0] - 1)]
            self._clarabel = clarabel.DefaultSolver(self.P, np.zeros(self.n), self.A, b, cones, settings)
        else:
            self._clarabel.update(b=b)
        solution = self._clarabel.solve()
        if str(solution.status) not in ("Solved", "AlmostSolved"):
            return None
        return np.asarray(solution.x, dtype=float)

    def _solve_osqp(self, b: np.ndarray) -> np.ndarray | None:
        import osqp

        lower = np.concatenate([[1.0], np.full(len(b) - 1, -np.inf)])
        model = osqp.OSQP()
        model.setup(
            P=self.P,
            q=np.zeros(self.n),
            A=self.A,
            l=lower,
            u=b,
            eps_abs=1e-8,
            eps_rel=1e-8,
            polish=True,
            verbose=False,
            max_iter=100_000,
        )
        result = model.solve()
        if result.info.status not in ("solved", "solved inaccurate") or result.x is None:
            return None
        return np.asarray(result.x, dtype=float)


def efficient_frontier(
    stats: AssetStatistics,
    points: int = 50,
    *,
    risk_free_rate: float = 0.0,
    bounds: tuple[float, float] = (0.0, 1.0),
    sectors: SectorLimits | None = None,
) -> FrontierResult:
    """``points`` frontier portfolios plus the min-volatility and max-Sharpe ones and each asset.

    Parameters
    ----------
    stats : AssetStatistics
    points : int
        Number of frontier points, 2..200, evenly spaced in expected return
        from the min-volatility portfolio to the highest achievable return.
    """
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or not 2 <= points <= MAX_POINTS:
        raise InvalidInputError(
            f"The number of frontier points must be a whole number from 2 to {MAX_POINTS}."
        )
    low, high = check_bounds(bounds, len(stats.tickers))
    if sectors is not None:
        check_sectors(sectors, stats.tickers, low, high)
    problem = FrontierProblem(stats, (low, high), sectors)
    min_vol = _as_result(stats, "min_volatility", problem.solve(-1e9), (low, high), risk_free_rate)
    try:
        max_sharpe = optimize(
            stats, "max_sharpe", risk_free_rate=risk_free_rate, bounds=(low, high), sectors=sectors
        )
    except Exception:  # noqa: BLE001 - no max Sharpe (e.g. all returns below rf): frontier still drawn
        max_sharpe = None
    top = max_return(stats.mu, low, high, sectors, stats.tickers)
    targets = np.linspace(min_vol.expected_return, top, points)
    weights = np.empty((points, len(stats.tickers)))
    for i, target in enumerate(targets):
        # The last target is the LP optimum; back off by a hair so the QP stays feasible numerically.
        w = problem.solve(target - 1e-9 * (i == points - 1))
        weights[i] = _tidy(w, (low, high))
    perf = np.array([portfolio_performance(w, stats.mu, stats.cov, risk_free_rate) for w in weights])
    return FrontierResult(
        tickers=stats.tickers,
        returns=perf[:, 0],
        volatilities=perf[:, 1],
        sharpe=perf[:, 2],
        weights=weights,
        min_volatility=min_vol,
        max_sharpe=max_sharpe,
        asset_returns=stats.mu.copy(),
        asset_volatilities=stats.volatilities,
        risk_free_rate=risk_free_rate,
    )


def _tidy(weights: np.ndarray, bounds) -> np.ndarray:
    """Solver dust to zero, clipped to the bounds, summing to exactly 1."""
    weights = np.clip(np.where(np.abs(weights) < 1e-7, 0.0, weights), *bounds)
    return weights / weights.sum()


def _as_result(stats, objective, weights, bounds, risk_free_rate) -> OptimizationResult:
    weights = _tidy(weights, bounds)
    ret, vol, sharpe = portfolio_performance(weights, stats.mu, stats.cov, risk_free_rate)
    return OptimizationResult(
        objective=objective,
        weights=dict(zip(stats.tickers, map(float, weights), strict=True)),
        expected_return=ret,
        volatility=vol,
        sharpe=sharpe,
        risk_free_rate=risk_free_rate,
        returns_model=stats.returns_model,
        risk_model=stats.risk_model,
        solver="CLARABEL",
    )


def naive_frontier(stats: AssetStatistics, targets: np.ndarray, bounds=(0.0, 1.0)) -> np.ndarray:
    """The slow reference: a fresh PyPortfolioOpt optimiser per point (benchmarks and tests only)."""
    import pandas as pd
    from pypfopt import EfficientFrontier

    mu = pd.Series(stats.mu, index=list(stats.tickers))
    cov = pd.DataFrame(stats.cov, index=list(stats.tickers), columns=list(stats.tickers))
    out = np.empty((len(targets), len(stats.tickers)))
    for i, target in enumerate(targets):
        frontier = EfficientFrontier(mu, cov, weight_bounds=bounds)
        frontier.efficient_return(float(target))
        out[i] = [frontier.weights[j] for j in range(len(stats.tickers))]
    return out
