"""The cached engine facade: typed requests in (``requests``), engine results out, through the cache.

One module per concern (``market``, ``optimisation``, ``simulation``, ``goals``, ``risk``,
``diversification``, ``retirement``, ``tax``). Each resolves its data through
the services (prices, lots), calls the engine and caches the result under the
operation's TTL. The engine (cvxpy, ~2 s to import) is imported on first use,
or by :func:`warm_up` after a gunicorn worker forks.
"""

from __future__ import annotations


def warm_up() -> None:
    """Import the heavy engine modules now (called after a worker forks), so no request pays for it."""
    import cvxpy  # noqa: F401
    import pypfopt  # noqa: F401

    import engine.frontier
    import engine.montecarlo
    import engine.optimize  # noqa: F401
