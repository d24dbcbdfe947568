"""Meridian's analytics engine: pure functions of prices and parameters, frozen result dataclasses.

Modules: ``data`` (prices to returns), ``optimize`` and ``frontier``
(PyPortfolioOpt-based optimisation), ``montecarlo``, ``goals``, ``retirement``,
``risk``, ``diversification``, ``tax``; failures are ``errors.EngineError``
subclasses with analyst-readable messages. Conventions: 252 trading days a
year, annualised fractions, monthly simulation steps. Nothing here imports
dash, flask or plotly; cvxpy and PyPortfolioOpt are imported on first use.
"""

# Part of every cache key: bump it when a change alters any result.
ENGINE_VERSION = "2"
