"""Every callback module, imported explicitly so none is silently unregistered."""

from callbacks import (
    diversification,
    goals,
    monte_carlo,
    optimisation,
    overview,
    retirement,
    risk,
    shell,
    tax,
    threads,
)

__all__ = [
    "diversification",
    "goals",
    "monte_carlo",
    "optimisation",
    "overview",
    "retirement",
    "risk",
    "shell",
    "tax",
    "threads",
]
