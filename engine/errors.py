"""Typed engine failures, each with a message an analyst can act on.

Every exception derives from :class:`EngineError`; its ``str()`` is written for
the analyst and is safe to show in the UI as is. ``code`` is a stable
machine-readable name (used by the command line and the API).
"""

from __future__ import annotations


class EngineError(Exception):
    """Base class: the computation could not be done with these inputs."""

    code = "engine_error"


class InvalidInputError(EngineError, ValueError):
    """An input is out of range or malformed (a negative horizon, weights that do not sum to 1...)."""

    code = "invalid_input"


class InvalidDataError(EngineError):
    """The price or return data contain NaN/inf or non-positive prices where values are needed."""

    code = "invalid_data"


class InsufficientDataError(EngineError):
    """Too few observations for the number of assets (or for the method)."""

    code = "insufficient_data"


class InfeasibleConstraintsError(EngineError):
    """No portfolio satisfies the bounds and group limits together."""

    code = "infeasible_constraints"


class ReturnsBelowRiskFreeError(EngineError):
    """Every expected return is at or below the risk-free rate, so no portfolio has a positive Sharpe ratio."""

    code = "returns_below_risk_free"


class TargetVolatilityTooLowError(EngineError):
    """The target volatility is below the minimum achievable volatility."""

    code = "target_volatility_too_low"


class TargetReturnTooHighError(EngineError):
    """The target return is above the maximum achievable return."""

    code = "target_return_too_high"


class NonPSDCovarianceError(EngineError):
    """The covariance matrix is not positive semidefinite and could not be repaired."""

    code = "non_psd_covariance"


class SolverError(EngineError):
    """Every solver in the fallback chain failed."""

    code = "solver_failed"
