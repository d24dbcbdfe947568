"""The cache facade, ``cache.get_or_compute(operation, request, compute)``: content-addressed keys
(``keys``), per-operation TTLs, refresh, invalidation, single flight across workers, graceful
degradation; bound per app by ``CacheExtension``.

The shared store (``stores``: Redis with ``REDIS_URL``, else a disk store every worker of the machine
shares) is reached only through ``AppCache._call``: the first failed or timed-out call marks it down (a
circuit breaker shared with the metrics store, ``dashboard/outage.py``); from then on no request touches
it (no request pays a connection or socket timeout) and values are computed directly, while one
background thread per worker probes it. While it is down, each worker keeps what it computes in its
bounded in-process cache (``local``) and counts alone (``outage.WorkerFallback``); invalidations that
could not reach the store are replayed by the probe before requests use it again
(``outage.MissedInvalidations``). One log line when an outage starts and one when it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import flask

from dashboard import outage
from dashboard.cache.keys import MISS, make_key, pattern
from dashboard.cache.local import LOCAL_TTLS, OUTAGE_LOCAL_TTLS, LocalCache
from dashboard.cache.outage import MissedInvalidations, WorkerFallback
from dashboard.cache.stores import open_store
from dashboard.metrics.store import track_operation

log = logging.getLogger("meridian.cache")

LOCK_TIMEOUT = 30.0  # seconds a computing worker holds an operation's lock at most
_AHEAD = "meridian.cache.ahead"  # the request's entries read ahead (its WSGI environ: one request's)

# -- counters ---------------------------------------------------------------------------------

COUNTER_NAMES = ("hits", "misses", "computes", "errors", "lock_waits", "refreshes", "bypasses")


@dataclass
class CacheCounters:
    """Per-operation counters of this process; a sink (the metrics store) may receive each increment."""

    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(COUNTER_NAMES, 0))
    )
    outages: int = 0
    sink: Callable[[str, str], None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, operation: str, name: str) -> None:
        with self._lock:
            self.counts[operation][name] += 1
        if self.sink is not None:
            try:
                self.sink(operation, name)
            except Exception:
                log.debug("cache counter sink failed", exc_info=True)

    def after_fork(self) -> None:
        self._lock = threading.Lock()

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {op: dict(values) for op, values in self.counts.items()}

    def hit_rate(self, operation: str | None = None) -> float | None:
        snap = self.snapshot()
        ops = [operation] if operation else list(snap)
        hits = sum(snap.get(op, {}).get("hits", 0) for op in ops)
        misses = sum(snap.get(op, {}).get("misses", 0) for op in ops)
        return hits / (hits + misses) if hits + misses else None


# -- the facade ----------------------------------------------------------------------------------


class AppCache:
    """One app's cache: ``get_or_compute`` around every engine call and every cached read."""

    def __init__(self, server, settings) -> None:
        self.counters = CacheCounters()
        self._ttls: dict[str, int] = dict(settings.cache_ttls)
        self.local = LocalCache()
        self._missed = MissedInvalidations()
        self._fallback = WorkerFallback()
        # the market version (changes with every price import) is part of every key; set by the app
        self.market_version: Callable[[], int] = lambda: 0
        folder = settings.instance_path / "cache"
        self._store = open_store(settings.redis_url, settings.redis_socket_timeout, folder)
        # shared with the metrics store (the same Redis); the disk cache has its own
        self._outage = (
            outage.for_redis(settings.redis_url, settings.redis_socket_timeout)
            if settings.redis_url
            else outage.Outage(f"disk cache in {folder}", self._store.ping)
        )
        # before the store is used again, the invalidations it missed are applied
        self._outage.before_resume(self._replay)

    def after_fork(self) -> None:
        """In a forked job process: fresh locks (one another thread of the parent held at the fork would
        never be released here), the market version's too."""
        for part in (self.counters, self.local, self._missed, self._fallback, self._outage):
            part.after_fork()
        after = getattr(self.market_version, "after_fork", None)
        if after is not None:
            after()

    @property
    def backend_name(self) -> str:
        return self._store.name

    def ttl(self, operation: str) -> int:
        return self._ttls.get(operation, 300)

    # -- degradation: the shared store's circuit breaker (dashboard/outage.py) ---------------------

    def _available(self) -> bool:
        return self._outage.available()

    @property
    def down(self) -> bool:
        return self._outage.down

    def _failed(self, error: BaseException, during: str) -> None:
        if self._outage.failed(error, f"cache {during}"):
            self.counters.outages += 1

    def _replay(self) -> None:
        """Apply the invalidations that could not reach the store (raises while it is still away)."""
        self._missed.replay(lambda kind, name: self._deleter(kind)(name))

    def _deleter(self, kind: str):
        """The store primitive for a deletion: ``"glob"`` (every matching key) or ``"key"`` (one)."""
        return self._store.delete_matching if kind == "glob" else self._store.remove

    def _delete_shared(self, kind: str, name: str) -> int:
        """Delete from the shared store now, or, while it is away, when it answers again (before it is read)."""
        during = "invalidate" if kind == "glob" else "delete"
        deleted = self._call(during, self._deleter(kind), name, default=None)
        if deleted is None:
            self._missed.remember(kind, name)
            return 0
        return deleted

    def _call(self, during: str, fn, *args, default=MISS, operation: str | None = None):
        """Run a store primitive; on any failure note the outage (and the operation's error) and return ``default``."""
        if not self._available():
            return default
        try:
            return fn(*args)
        except Exception as error:  # noqa: BLE001 - the cache must never fail a request
            if operation is not None:
                self.counters.add(operation, "errors")
            self._failed(error, during)
            return default

    # -- the core -----------------------------------------------------------------------------

    def get_or_compute(
        self,
        operation: str,
        request: Mapping[str, Any],
        compute: Callable[[], Any],
        *,
        household: int | None = None,
        user: int | str | None = None,
        refresh: bool = False,
        ttl: int | None = None,
        lock_timeout: float = LOCK_TIMEOUT,
    ):
        """The cached value of ``compute()`` for this request; computed once across workers on a miss."""
        key = self.key(operation, request, household, user)
        ttl = ttl or self.ttl(operation)
        local_ttl = self._local_ttl(operation)
        if refresh:
            self.counters.add(operation, "refreshes")
        else:
            value = self._read(operation, key, local_ttl)
            if value is not MISS:
                return value
            if not self._available():
                return self._keep_locally(key, self._bypass(operation, compute), local_ttl)
        self.counters.add(operation, "misses")
        lock = self._call("lock", self._store.acquire, key, lock_timeout, default=None, operation=operation)
        if lock is None and self._available() and not refresh:
            waited = self._wait_for(operation, key, lock_timeout)
            if waited is not MISS:
                return waited
            lock = self._call(
                "lock", self._store.acquire, key, lock_timeout, default=None, operation=operation
            )
        if not self._available():
            return self._keep_locally(key, self._bypass(operation, compute, counted_miss=True), local_ttl)
        try:
            self.counters.add(operation, "computes")
            with track_operation(f"engine.{operation}"):
                value = compute()
            if value is not None:  # "nothing found" is never cached: it may exist a moment later
                self._call("set", self._store.set, key, value, ttl, default=None, operation=operation)
            return self._keep_locally(key, value, self._local_ttl(operation))
        finally:
            if lock is not None:
                self._call("unlock", self._store.release, lock, default=None, operation=operation)

    def put(self, operation: str, request: Mapping[str, Any], value, *, household=None, user=None) -> None:
        """Keep ``value``, read by the caller with others in one go, as ``get_or_compute`` would have
        kept it (no lock: what is kept is what the database said a moment ago, like a computed entry)."""
        if value is None:
            return
        key = self.key(operation, request, household, user)
        self._call("set", self._store.set, key, value, self.ttl(operation), default=None, operation=operation)
        self._keep_locally(key, value, self._local_ttl(operation))

    def count(self, name: str, ttl: int, by: int = 1) -> int:
        """A counter shared by every worker, changed by ``by`` atomically (0: read it) and expiring ``ttl``
        seconds after it started: sign-in attempts, counted before the password is checked. With the
        shared store away, this worker counts alone (a limit is still enforced, per worker)."""
        fn, args = (self._store.count, (name, ttl, by)) if by else (self._store.peek, (name,))
        value = self._call("count", fn, *args, default=None)
        return value if value is not None else self._fallback.count(name, ttl, by)

    def forget_count(self, name: str) -> None:
        """Drop the counter ``name`` (every worker's)."""
        self._call("count", self._store.remove, "count:" + name, default=0)
        self._fallback.forget(name)

    def claim(self, name: str, seconds: float) -> bool:
        """True for the one caller, across workers, that takes ``name`` until it lapses in ``seconds``;
        False while someone holds it. With the shared store away, per worker."""
        taken = self._call("claim", self._store.acquire, "claim:" + name, seconds, default=MISS)
        if taken is not MISS:
            return taken is not None
        return self._fallback.claim(name, seconds)

    def take_slot(self, name: str, limit: int, seconds: float):
        """One of ``limit`` slots ``name:0..limit-1`` shared by every worker, held until
        :meth:`give_back` (or until it lapses after ``seconds``, if its holder died); None while all are
        taken. With the shared store away, this worker's own slots."""
        for index in range(limit):
            slot = f"slot:{name}:{index}"
            taken = self._call("slot", self._store.acquire, slot, seconds, default=MISS)
            if taken is MISS:
                if self._fallback.claim(slot, seconds):
                    return ("local", slot)
            elif taken is not None:
                return ("shared", taken)
        return None

    def give_back(self, slot) -> None:
        """Release a slot :meth:`take_slot` gave."""
        kind, handle = slot
        if kind == "local":
            self._fallback.release(handle)
        else:
            self._call("slot", self._store.release, handle, default=None)

    def lookup(self, operation: str, request: Mapping[str, Any], *, household=None, user=None):
        """The cached value for this request if there is one (a hit), else None; never computes."""
        key = self.key(operation, request, household, user)
        value = self._read(operation, key, self._local_ttl(operation))
        return None if value is MISS else value

    def lookup_many(self, requests: list[tuple[str, Mapping[str, Any], Any, Any]]) -> list:
        """``lookup`` of several (operation, request, household, user) at once: what this worker keeps
        is read here, the rest from the shared store in one round trip; None for each miss."""
        keys = [self.key(*request) for request in requests]
        found = [self._taken_ahead(key) for key in keys]
        wanted = [index for index, value in enumerate(found) if value is MISS]
        if wanted:
            fetched = self._fetch([requests[i][0] for i in wanted], [keys[i] for i in wanted])
            for index, value in zip(wanted, fetched, strict=True):
                found[index] = value
        for (operation, _, _, _), value in zip(requests, found, strict=True):
            if value is not MISS:
                self.counters.add(operation, "hits")
        return [None if value is MISS else value for value in found]

    def read_ahead(self, requests: list[tuple[str, Mapping[str, Any], Any, Any]]) -> None:
        """Read the entries ``requests`` name (as :meth:`lookup_many` takes them) now, in one round trip,
        for this request's next read of each: a request about to read several entries one after another
        (its user at the sign-in check, then a household's authorisation) pays for one round trip. What
        is found is held in the request for one read of each, and dropped when the request invalidates
        or deletes anything; what is not found is read as before. Outside a request, nothing is done."""
        if not flask.has_request_context():
            return
        keys = [self.key(*request) for request in requests]
        fetched = self._fetch([operation for operation, _, _, _ in requests], keys)
        flask.request.environ[_AHEAD] = {
            key: value for key, value in zip(keys, fetched, strict=True) if value is not MISS
        }

    def _taken_ahead(self, key: str):
        """The value :meth:`read_ahead` found for ``key`` in this request (once), else MISS."""
        if not flask.has_request_context():
            return MISS
        ahead = flask.request.environ.get(_AHEAD)
        return MISS if not ahead else ahead.pop(key, MISS)

    def _forget_ahead(self) -> None:
        if flask.has_request_context():
            flask.request.environ.pop(_AHEAD, None)

    def _fetch(self, operations: list[str], keys: list[str]) -> list:
        """The entries ``keys`` (of ``operations``): this worker's fresh copies, the rest from the shared
        store in one round trip (kept here where the operation qualifies); MISS for each miss. Uncounted."""
        found: list = []
        shared: list[int] = []
        for index, (operation, key) in enumerate(zip(operations, keys, strict=True)):
            mine, fresh = self.local.peek(key) if self._local_ttl(operation) is not None else (MISS, False)
            found.append(mine if fresh else MISS)
            if not fresh:
                shared.append(index)
        if shared:
            values = self._call("get", self._store.get_many, [keys[i] for i in shared], default=None)
            for index, value in zip(shared, values or [MISS] * len(shared), strict=True):
                found[index] = value
                if value is not MISS:
                    self._keep_locally(keys[index], value, self._local_ttl(operations[index]))
        return found

    def key(self, operation: str, request: Mapping[str, Any], household=None, user=None) -> str:
        return make_key(operation, request, household, user, self.market_version())

    def _local_ttl(self, operation: str) -> float | None:
        """How long this worker keeps its own copy of an ``operation`` entry (None: it does not)."""
        found = LOCAL_TTLS.get(operation)
        if found is None and self._outage.down:
            return OUTAGE_LOCAL_TTLS.get(operation)
        return found

    def _read(self, operation: str, key: str, local_ttl: float | None):
        """This worker's copy, else the shared store's (kept here if the operation qualifies); a hit is counted."""
        mine = MISS
        if local_ttl is not None or operation in OUTAGE_LOCAL_TTLS:
            mine, fresh = self.local.peek(key)
            if fresh:
                self.counters.add(operation, "hits")
                return mine
        ahead = self._taken_ahead(key)
        if ahead is not MISS:
            self.counters.add(operation, "hits")
            return ahead
        value = self._call("get", self._store.get, key, operation=operation)
        if value is MISS and mine is not MISS:
            # our copy is past its local TTL but still right (content- or version-addressed), and the shared
            # store lost the entry (restarted empty, evicted): put ours back rather than compute it again
            value = mine
            self._call(
                "set", self._store.set, key, mine, self.ttl(operation), default=None, operation=operation
            )
        if value is not MISS:
            self.counters.add(operation, "hits")
            self._keep_locally(key, value, local_ttl)
        return value

    def _keep_locally(self, key: str, value, local_ttl: float | None):
        if local_ttl is not None and value is not None:
            self.local.put(key, value, local_ttl)
        return value

    def _wait_for(self, operation: str, key: str, limit: float):
        """Another worker is computing this key: poll for its value (bounded)."""
        self.counters.add(operation, "lock_waits")
        deadline = time.monotonic() + limit
        pause = 0.005
        while time.monotonic() < deadline:
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
            value = self._call("get", self._store.get, key, operation=operation)
            if value is not MISS:
                return value
            if not self._available() or not self._call(
                "lock check", self._store.locked, key, default=False, operation=operation
            ):
                # The holder finished, died (lock expired) or the cache went away; it may have stored
                # the value between our two looks, so look once more before computing ourselves.
                return self._call("get", self._store.get, key, operation=operation)
        return MISS

    def _bypass(self, operation: str, compute, counted_miss: bool = False):
        self.counters.add(operation, "bypasses")
        if not counted_miss:
            self.counters.add(operation, "misses")
        self.counters.add(operation, "computes")
        with track_operation(f"engine.{operation}"):
            return compute()

    # -- invalidation ------------------------------------------------------------------------

    def invalidate(
        self, operation: str | None = None, household: int | None = None, user: int | str | None = None
    ) -> int:
        """Delete every entry matching the operation, household and/or user; returns how many."""
        if operation is None and household is None and user is None:
            raise ValueError("say what to invalidate: an operation, a household or a user")
        glob = pattern(operation, household, user)
        self._forget_ahead()
        self.local.drop_matching(glob)
        return self._delete_shared("glob", glob)

    def delete(self, operation: str, request: Mapping[str, Any], household=None, user=None) -> int:
        """Delete one entry."""
        key = self.key(operation, request, household, user)
        self._forget_ahead()
        self.local.drop(key)
        return self._delete_shared("key", key)

    def settle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for invalidations made during an outage to reach the store
        (a short-lived process such as the CLI, before it exits); True when none is left."""
        deadline = time.monotonic() + timeout
        while True:
            if not self._missed:
                return True
            if time.monotonic() >= deadline:
                return False
            self._available()  # (re)starts the probe in this process if needed
            time.sleep(0.05)

    def health(self) -> str:
        if not self._available():
            return "down"
        return "ok" if self._call("ping", self._store.ping, default=False) else "down"


class CacheExtension:
    """The cache extension: created unbound, bound per app by ``init_app``.

    Attribute access goes to the current app's :class:`AppCache` (inside a
    request, a job or an ``app.app_context()``), so two apps in one process
    never share a backend, counters or outage state.
    """

    key = "meridian.cache"

    def init_app(self, server, settings) -> AppCache:
        bound = AppCache(server, settings)
        server.extensions[self.key] = bound
        return bound

    def current(self) -> AppCache:
        if not flask.has_app_context():
            raise RuntimeError("the cache is used outside an app context: use app.server.app_context()")
        bound = flask.current_app.extensions.get(self.key)
        if bound is None:
            raise RuntimeError("the cache is not bound to this app: call create_app()")
        return bound

    def __getattr__(self, name: str):
        return getattr(self.current(), name)
