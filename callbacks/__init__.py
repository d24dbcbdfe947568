"""Every callback module, imported explicitly so none is silently unregistered."""

from callbacks import goals, monte_carlo, optimisation, overview, shell

__all__ = ["goals", "monte_carlo", "optimisation", "overview", "shell"]
