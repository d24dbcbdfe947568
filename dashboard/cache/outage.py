"""What the cache does while its shared store is away (whether it is away is the breaker's call,
``dashboard/outage.py``, shared with the metrics store of the same Redis):

- ``MissedInvalidations``: deletions the store could not take, applied by the breaker's probe *before*
  requests use the store again, so a change made during the outage wins over what the store held;
- ``WorkerFallback``: this worker's own counters, claims and slots, so a limit (sign-in attempts, a
  single job at a time) is still enforced, per worker.

Values computed meanwhile are kept in the worker's memory (``local.OUTAGE_LOCAL_TTLS``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from dashboard.cache.keys import pattern

MAX_PENDING = 10_000  # invalidations remembered during an outage (beyond: every cache entry is dropped)


class MissedInvalidations:
    """Deletions not applied to the shared store yet: ``("glob", pattern)`` or ``("key", key)``."""

    def __init__(self, limit: int = MAX_PENDING):
        self.limit = limit
        self._items: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def after_fork(self) -> None:
        self._lock = threading.Lock()

    def remember(self, kind: str, name: str) -> None:
        with self._lock:
            if len(self._items) < self.limit:
                self._items.add((kind, name))
            else:  # too many to remember: every cache entry (not the metrics or job keys beside them)
                self._items = {("glob", pattern())}

    def replay(self, apply: Callable[[str, str], Any]) -> None:
        """``apply(kind, name)`` each one, forgetting it once applied (raises while the store is away)."""
        while True:
            with self._lock:
                if not self._items:
                    return
                item = next(iter(self._items))
            apply(*item)
            with self._lock:
                self._items.discard(item)

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._items)


class WorkerFallback:
    """Counters and claims kept by this worker alone while the shared store is away."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[float, int]] = {}
        self._claims: dict[str, float] = {}  # name -> when it lapses (monotonic)
        self._lock = threading.Lock()

    def after_fork(self) -> None:
        self._lock = threading.Lock()

    def count(self, name: str, ttl: float, by: int) -> int:
        with self._lock:
            started, value = self._counts.get(name, (time.monotonic(), 0))
            if time.monotonic() - started > ttl:
                started, value = time.monotonic(), 0
            value += by
            self._counts[name] = (started, value)
            return value

    def forget(self, name: str) -> None:
        with self._lock:
            self._counts.pop(name, None)

    def claim(self, name: str, seconds: float) -> bool:
        """True unless this worker holds ``name`` already (until it lapses)."""
        with self._lock:
            now = time.monotonic()
            if self._claims.get(name, 0.0) > now:
                return False
            self._claims[name] = now + seconds
            return True

    def release(self, name: str) -> None:
        with self._lock:
            self._claims.pop(name, None)
