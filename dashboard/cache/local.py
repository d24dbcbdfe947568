"""Each worker's own layer: a small LRU of hot entries, and which operations may be kept there and for
how long (always, or only while the shared store is away)."""

from __future__ import annotations

import fnmatch
import functools
import re
import threading
import time
from collections import OrderedDict
from typing import Any

from dashboard.cache.keys import MISS, in_scope, named_by, operation, owner_named, owners

# Operations also kept in each worker's memory, with how long an entry may be served from there
# (seconds). Only entries addressed by a household's versions qualify: a change bumps the version,
# so a copy in another worker's memory is never asked for again. Who may see a household (which
# carries the versions) and the signed-in user are always read from the shared cache, so an
# invalidation is seen by every worker at once.
LOCAL_TTLS = {"rendered": 60.0, "snapshot": 60.0, "answer": 60.0}
# While the shared store is down, engine results too (addressed by their inputs' content, the engine
# and market versions: nothing can make them wrong) are kept in each worker's memory, so a hot result
# is computed once per worker per TTL instead of on every request. Who may see a household and who is
# signed in are never kept locally: while the store is away they are read from the database.
OUTAGE_LOCAL_TTLS = {
    "market_data": 120.0,
    "risk": 120.0,
    "backtest": 120.0,
    "optimisation": 120.0,
    "diversification": 120.0,
    "monte_carlo": 120.0,
    "tax": 120.0,
}
LOCAL_MAX_ENTRIES = 512


class LocalCache:
    """A small LRU of hot entries in one worker, each with its own expiry (values are shared: read-only).

    The entries of each household and of each user are listed apart, so that dropping a household's or
    a user's entries (every invalidation the app makes) looks at theirs, not at every entry kept; and
    each operation's entries are counted, so that dropping an operation none of whose entries is kept
    here (who may see a household, after every goal saved) looks at none."""

    def __init__(self, limit: int = LOCAL_MAX_ENTRIES):
        self.limit = limit
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._listed: dict[str, set[str]] = {}  # owner ("h<household>" / "u<user>") -> its keys kept
        self._kept: dict[str, int] = {}  # operation (a key's first part) -> how many of its entries are kept
        self._lock = threading.Lock()

    def after_fork(self) -> None:
        self._lock = threading.Lock()

    def get(self, key: str):
        value, fresh = self.peek(key)
        return value if fresh else MISS

    def peek(self, key: str) -> tuple[Any, bool]:
        """(value, fresh): an expired entry is still returned (it stays until the LRU drops it), since
        every entry kept here is addressed by content or version and so still right, only old."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return MISS, False
            expires, value = found
            self._items.move_to_end(key)
            return value, expires >= time.monotonic()

    def put(self, key: str, value, ttl: float) -> None:
        with self._lock:
            if key not in self._items:
                for owner in owners(key):
                    self._listed.setdefault(owner, set()).add(key)
                kind = operation(key)
                self._kept[kind] = self._kept.get(kind, 0) + 1
            self._items[key] = (time.monotonic() + ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._forget(next(iter(self._items)))

    def drop(self, key: str) -> None:
        with self._lock:
            if key in self._items:
                self._forget(key)

    def drop_matching(self, glob: str) -> int:
        named = named_by(glob)
        if named is not None:  # a household's, a user's, an operation's: compared by parts, not by a regex
            matches = functools.partial(in_scope, named=named)
        else:
            matches = re.compile(fnmatch.translate(glob)).match
        owner = owner_named(named)
        with self._lock:
            if named is not None and named[0] is not None and named[0] not in self._kept:
                return 0
            among = self._items if owner is None else self._listed.get(owner, ())
            gone = [k for k in among if matches(k)]
            for k in gone:
                self._forget(k)
            return len(gone)

    def _forget(self, key: str) -> None:
        """Drop a kept entry and its listings (the lock held)."""
        del self._items[key]
        for owner in owners(key):
            listed = self._listed[owner]
            listed.discard(key)
            if not listed:
                del self._listed[owner]
        kind = operation(key)
        self._kept[kind] -= 1
        if not self._kept[kind]:
            del self._kept[kind]

    def __len__(self) -> int:
        return len(self._items)
