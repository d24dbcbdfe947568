"""Every callback module, imported explicitly so none is silently unregistered."""

from callbacks import overview, shell

__all__ = ["overview", "shell"]
