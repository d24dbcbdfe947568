"""The cache facade: content-addressed keys, per-operation TTLs, refresh, invalidation,
single flight and graceful degradation, on flask-caching.

Backends (chosen in ``init_app``, everything else is one code path):

- ``REDIS_URL`` set: flask-caching's ``RedisCache``; pattern invalidation with
  ``SCAN`` (never ``KEYS``); single flight with Redis locks across workers.
- otherwise: :class:`DiskCache`, a flask-caching backend on ``diskcache`` in
  the instance folder, which every gunicorn worker of the machine shares
  (SQLite underneath, so locks and invalidation work across processes too).

Keys are ``<operation>:e<engine version>:m<market version>:h<household>:u<user>:<sha256
of the canonical request>``; the request must be JSON primitives (a DataFrame or
an array is refused, so a key can never depend on a repr). The market version
changes with every price import, so no result computed from older prices is
asked for again.

Outages (a circuit breaker shared with the metrics store, ``dashboard/outage.py``): the first failed
or timed-out call marks the shared store down; from then on no request touches it (no request pays a
connection or socket timeout) and values are computed directly, while one background thread per
worker probes it. While it is down, each worker keeps what it computes in its bounded in-process
cache (``LocalCache``): entries addressed by content or by a household's version, which no
invalidation can make wrong. Invalidations that could not reach the store are remembered and replayed
by the probe *before* requests use the store again, so a change made during the outage wins over what
the store held. One log line when an outage starts and one when it ends.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import flask
from flask_caching import Cache
from flask_caching.backends.base import BaseCache

from dashboard import outage
from dashboard.metrics.store import track_operation
from engine import ENGINE_VERSION

log = logging.getLogger("meridian.cache")

KEY_PREFIX = "meridian:"
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
LOCK_TIMEOUT = 30.0  # seconds a computing worker holds an operation's lock at most
MAX_PENDING = 10_000  # invalidations remembered during an outage (beyond: every cache entry is dropped)
_MISS = object()


class CacheKeyError(TypeError):
    """A request for a cache key contained something that is not a JSON primitive."""


def canonical(request: Mapping[str, Any]) -> str:
    """Sorted, compact JSON of a request made of primitives."""

    def refuse(value):
        raise CacheKeyError(
            f"cache keys are built from primitives only, not {type(value).__name__}; "
            "identify data by ids and ranges instead"
        )

    return json.dumps(request, sort_keys=True, separators=(",", ":"), allow_nan=False, default=refuse)


def make_key(
    operation: str,
    request: Mapping[str, Any],
    household: int | None = None,
    user: int | str | None = None,
    market: int = 0,
) -> str:
    """``<operation>:e<engine>:m<market>:h<household>:u<user>:<digest>`` (without the backend prefix)."""
    if not operation or not operation.replace("_", "").isalnum():
        raise CacheKeyError(f"invalid operation name {operation!r}")
    digest = hashlib.sha256(canonical(request).encode()).hexdigest()[:40]
    return f"{operation}:e{ENGINE_VERSION}:m{market}:h{household if household is not None else '-'}:u{user if user is not None else '-'}:{digest}"


def pattern(operation: str | None = None, household: int | None = None, user: int | str | None = None) -> str:
    """A glob over keys, narrowed by any of operation, household and user."""
    return f"{operation or '*'}:e*:m*:h{household if household is not None else '*'}:u{user if user is not None else '*'}:*"


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

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {op: dict(values) for op, values in self.counts.items()}

    def hit_rate(self, operation: str | None = None) -> float | None:
        snap = self.snapshot()
        ops = [operation] if operation else list(snap)
        hits = sum(snap.get(op, {}).get("hits", 0) for op in ops)
        misses = sum(snap.get(op, {}).get("misses", 0) for op in ops)
        return hits / (hits + misses) if hits + misses else None


# -- the local backend ------------------------------------------------------------------------


class DiskCache(BaseCache):
    """A flask-caching backend on ``diskcache``: shared by every process on the machine."""

    def __init__(self, directory: str, default_timeout: int = 300, key_prefix: str = "", **_):
        from dashboard.forksafe import ForkSafeCache

        super().__init__(default_timeout=default_timeout)
        self.key_prefix = key_prefix
        self.disk = ForkSafeCache(
            directory, timeout=1, size_limit=2**30, eviction_policy="least-recently-stored"
        )

    @classmethod
    def factory(cls, app, config, args, kwargs):
        kwargs.update(directory=config["CACHE_DIR"], key_prefix=config.get("CACHE_KEY_PREFIX", ""))
        return cls(*args, **kwargs)

    def _expire(self, timeout: int | None) -> float | None:
        timeout = self._normalize_timeout(timeout)
        return None if timeout == 0 else float(timeout)

    def get(self, key):
        return self.disk.get(self.key_prefix + key)

    def set(self, key, value, timeout=None):
        return self.disk.set(self.key_prefix + key, value, expire=self._expire(timeout))

    def add(self, key, value, timeout=None):
        return self.disk.add(self.key_prefix + key, value, expire=self._expire(timeout))

    def delete(self, key):
        return self.disk.delete(self.key_prefix + key)

    def has(self, key):
        return (self.key_prefix + key) in self.disk

    def clear(self):
        self.disk.clear()
        return True


# -- the in-process layer -----------------------------------------------------------------------


class LocalCache:
    """A small LRU of hot entries in one worker, each with its own expiry (values are shared: read-only)."""

    def __init__(self, limit: int = LOCAL_MAX_ENTRIES):
        self.limit = limit
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str):
        value, fresh = self.peek(key)
        return value if fresh else _MISS

    def peek(self, key: str) -> tuple[Any, bool]:
        """(value, fresh): an expired entry is still returned (it stays until the LRU drops it), since
        every entry kept here is addressed by content or version and so still right, only old."""
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return _MISS, False
            expires, value = found
            self._items.move_to_end(key)
            return value, expires >= time.monotonic()

    def put(self, key: str, value, ttl: float) -> None:
        with self._lock:
            self._items[key] = (time.monotonic() + ttl, value)
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def drop(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def drop_matching(self, glob: str) -> int:
        with self._lock:
            gone = [k for k in self._items if fnmatch.fnmatchcase(k, glob)]
            for k in gone:
                del self._items[k]
            return len(gone)

    def __len__(self) -> int:
        return len(self._items)


# -- stores: the primitives each backend provides ---------------------------------------------


class _RedisStore:
    name = "redis"

    def __init__(self, backend):
        self.backend = backend
        self.client = backend._write_client
        self.prefix = backend.key_prefix or ""

    def get(self, key):
        value = self.backend.get(key)
        return _MISS if value is None else value

    def get_many(self, keys: list[str]) -> list:
        """The values of ``keys`` in one round trip (MGET)."""
        return [_MISS if value is None else value for value in self.backend.get_many(*keys)]

    def set(self, key, value, ttl: int) -> None:
        self.backend.set(key, value, timeout=ttl)

    def remove(self, key: str) -> int:
        return int(self.client.unlink(self.prefix + key))

    def delete_matching(self, glob: str) -> int:
        deleted = 0
        batch = []
        for name in self.client.scan_iter(match=self.prefix + glob, count=500):
            batch.append(name)
            if len(batch) >= 500:
                deleted += self.client.unlink(*batch)
                batch = []
        if batch:
            deleted += self.client.unlink(*batch)
        return deleted

    def acquire(self, name: str, timeout: float):
        lock = self.client.lock(self.prefix + "lock:" + name, timeout=timeout, blocking=False)
        return lock if lock.acquire(blocking=False) else None

    def release(self, lock) -> None:
        from redis.exceptions import LockError

        with contextlib.suppress(LockError):  # expired or flushed: nothing to release
            lock.release()

    def locked(self, name: str) -> bool:
        return bool(self.client.exists(self.prefix + "lock:" + name))

    def ping(self) -> bool:
        return bool(self.client.ping())

    def count(self, key: str, ttl: int, by: int = 1) -> int:
        """Add ``by`` to the counter ``key`` (created to expire in ``ttl`` seconds), atomically; its new value."""
        with self.client.pipeline() as pipe:
            pipe.incrby(self.prefix + "count:" + key, by)
            pipe.expire(self.prefix + "count:" + key, ttl, nx=True)
            return int(pipe.execute()[0])

    def peek(self, key: str) -> int:
        return int(self.client.get(self.prefix + "count:" + key) or 0)


class _DiskStore:
    name = "local"

    def __init__(self, backend: DiskCache):
        self.backend = backend
        self.disk = backend.disk
        self.prefix = backend.key_prefix

    def get(self, key):
        value = self.disk.get(self.prefix + key, default=_MISS, retry=True)
        return value

    def get_many(self, keys: list[str]) -> list:
        return [self.get(key) for key in keys]

    def set(self, key, value, ttl: int) -> None:
        self.disk.set(self.prefix + key, value, expire=ttl, retry=True)

    def remove(self, key: str) -> int:
        return int(bool(self.disk.delete(self.prefix + key, retry=True)))

    def delete_matching(self, glob: str) -> int:
        full = self.prefix + glob
        deleted = 0
        for name in list(self.disk.iterkeys()):
            if (
                isinstance(name, str)
                and fnmatch.fnmatchcase(name, full)
                and self.disk.delete(name, retry=True)
            ):
                deleted += 1
        return deleted

    def acquire(self, name: str, timeout: float):
        token = uuid.uuid4().hex
        key = self.prefix + "lock:" + name
        return (key, token) if self.disk.add(key, token, expire=timeout, retry=True) else None

    def release(self, lock) -> None:
        key, token = lock
        with self.disk.transact(retry=True):
            if self.disk.get(key) == token:
                self.disk.delete(key)

    def locked(self, name: str) -> bool:
        return (self.prefix + "lock:" + name) in self.disk

    def ping(self) -> bool:
        self.disk.get("ping")
        return True

    def count(self, key: str, ttl: int, by: int = 1) -> int:
        full = self.prefix + "count:" + key
        with self.disk.transact(retry=True):
            self.disk.add(full, 0, expire=ttl, retry=True)
            return int(self.disk.incr(full, by, default=0, retry=True))

    def peek(self, key: str) -> int:
        return int(self.disk.get(self.prefix + "count:" + key, default=0, retry=True))


# -- the facade ----------------------------------------------------------------------------------


class AppCache:
    """One app's cache: ``get_or_compute`` around every engine call and every cached read."""

    def __init__(self, server, settings) -> None:
        self.counters = CacheCounters()
        self._state = threading.Lock()
        self._fallback_counts: dict[str, tuple[float, int]] = {}
        self._fallback_claims: dict[str, float] = {}  # name -> when it lapses (monotonic)
        self._pending: set[tuple[str, str]] = set()  # ("glob" | "key", name) not yet applied to the store
        self._ttls: dict[str, int] = dict(settings.cache_ttls)
        self.local = LocalCache()
        # the market version (changes with every price import) is part of every key; set by the app
        self.market_version: Callable[[], int] = lambda: 0
        if settings.redis_url:
            timeout = settings.redis_socket_timeout
            config = {
                "CACHE_TYPE": "RedisCache",
                "CACHE_REDIS_URL": settings.redis_url,
                "CACHE_KEY_PREFIX": KEY_PREFIX,
                "CACHE_OPTIONS": {
                    "socket_timeout": timeout,
                    "socket_connect_timeout": timeout,
                    "retry_on_timeout": False,
                    "health_check_interval": 30,
                },
            }
        else:
            folder = settings.instance_path / "cache"
            folder.mkdir(parents=True, exist_ok=True)
            config = {
                "CACHE_TYPE": "dashboard.cache.DiskCache",
                "CACHE_DIR": str(folder),
                "CACHE_KEY_PREFIX": KEY_PREFIX,
            }
        config["CACHE_DEFAULT_TIMEOUT"] = 300
        flask_cache = Cache(config=config)
        flask_cache.init_app(server)
        backend = server.extensions["cache"][flask_cache]
        self._store = _RedisStore(backend) if settings.redis_url else _DiskStore(backend)
        # shared with the metrics store (the same Redis); the disk cache has its own
        self._outage = (
            outage.for_redis(settings.redis_url, settings.redis_socket_timeout)
            if settings.redis_url
            else outage.Outage(f"disk cache in {settings.instance_path / 'cache'}", self._store.ping)
        )
        # before the store is used again, the invalidations it missed are applied
        self._outage.before_resume(self._replay)

    def after_fork(self) -> None:
        """In a forked job process: fresh locks (one another thread of the parent held at the fork would
        never be released here), the market version's too."""
        self._state = threading.Lock()
        self.counters._lock = threading.Lock()
        self.local._lock = threading.Lock()
        self._outage.after_fork()
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

    def _remember(self, kind: str, name: str) -> None:
        with self._state:
            if len(self._pending) < MAX_PENDING:
                self._pending.add((kind, name))
            else:  # too many to remember: every cache entry (not the metrics or job keys beside them)
                self._pending = {("glob", pattern())}

    def _replay(self) -> None:
        """Apply the invalidations that could not reach the store (raises while it is still away)."""
        while True:
            with self._state:
                if not self._pending:
                    return
                item = next(iter(self._pending))
            self._deleter(item[0])(item[1])
            with self._state:
                self._pending.discard(item)

    def _deleter(self, kind: str):
        """The store primitive for a deletion: ``"glob"`` (every matching key) or ``"key"`` (one)."""
        return self._store.delete_matching if kind == "glob" else self._store.remove

    def _delete_shared(self, kind: str, name: str) -> int:
        """Delete from the shared store now, or, while it is away, when it answers again (before it is read)."""
        during = "invalidate" if kind == "glob" else "delete"
        deleted = self._call(during, self._deleter(kind), name, default=None)
        if deleted is None:
            self._remember(kind, name)
            return 0
        return deleted

    def _call(self, during: str, fn, *args, default=_MISS, operation: str | None = None):
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
            if value is not _MISS:
                return value
            if not self._available():
                return self._keep_locally(key, self._bypass(operation, compute), local_ttl)
        self.counters.add(operation, "misses")
        lock = self._call("lock", self._store.acquire, key, lock_timeout, default=None, operation=operation)
        if lock is None and self._available() and not refresh:
            waited = self._wait_for(operation, key, lock_timeout)
            if waited is not _MISS:
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

    def count(self, name: str, ttl: int, by: int = 1) -> int:
        """A counter shared by every worker, changed by ``by`` atomically (0: read it) and expiring ``ttl``
        seconds after it started: sign-in attempts, counted before the password is checked. With the
        shared store away, this worker counts alone (a limit is still enforced, per worker)."""
        fn, args = (self._store.count, (name, ttl, by)) if by else (self._store.peek, (name,))
        value = self._call("count", fn, *args, default=None)
        if value is not None:
            return value
        with self._state:
            started, value = self._fallback_counts.get(name, (time.monotonic(), 0))
            if time.monotonic() - started > ttl:
                started, value = time.monotonic(), 0
            value += by
            self._fallback_counts[name] = (started, value)
            return value

    def forget_count(self, name: str) -> None:
        """Drop the counter ``name`` (every worker's)."""
        self._call("count", self._store.remove, "count:" + name, default=0)
        with self._state:
            self._fallback_counts.pop(name, None)

    def claim(self, name: str, seconds: float) -> bool:
        """True for the one caller, across workers, that takes ``name`` until it lapses in ``seconds``;
        False while someone holds it. With the shared store away, per worker."""
        taken = self._call("claim", self._store.acquire, "claim:" + name, seconds, default=_MISS)
        if taken is not _MISS:
            return taken is not None
        with self._state:
            now = time.monotonic()
            if self._fallback_claims.get(name, 0.0) > now:
                return False
            self._fallback_claims[name] = now + seconds
            return True

    def take_slot(self, name: str, limit: int, seconds: float):
        """One of ``limit`` slots ``name:0..limit-1`` shared by every worker, held until
        :meth:`give_back` (or until it lapses after ``seconds``, if its holder died); None while all are
        taken. With the shared store away, this worker's own slots."""
        for index in range(limit):
            slot = f"slot:{name}:{index}"
            taken = self._call("slot", self._store.acquire, slot, seconds, default=_MISS)
            if taken is _MISS:
                with self._state:
                    now = time.monotonic()
                    if self._fallback_claims.get(slot, 0.0) > now:
                        continue
                    self._fallback_claims[slot] = now + seconds
                    return ("local", slot)
            elif taken is not None:
                return ("shared", taken)
        return None

    def give_back(self, slot) -> None:
        """Release a slot :meth:`take_slot` gave."""
        kind, handle = slot
        if kind == "local":
            with self._state:
                self._fallback_claims.pop(handle, None)
        else:
            self._call("slot", self._store.release, handle, default=None)

    def lookup(self, operation: str, request: Mapping[str, Any], *, household=None, user=None):
        """The cached value for this request if there is one (a hit), else None; never computes."""
        key = self.key(operation, request, household, user)
        value = self._read(operation, key, self._local_ttl(operation))
        return None if value is _MISS else value

    def lookup_many(self, requests: list[tuple[str, Mapping[str, Any], Any, Any]]) -> list:
        """``lookup`` of several (operation, request, household, user) at once: what this worker keeps
        is read here, the rest from the shared store in one round trip; None for each miss."""
        keys = [
            self.key(operation, request, household, user) for operation, request, household, user in requests
        ]
        found: list = []
        shared: list[int] = []
        for index, ((operation, _, _, _), key) in enumerate(zip(requests, keys, strict=True)):
            mine, fresh = self.local.peek(key) if self._local_ttl(operation) is not None else (_MISS, False)
            found.append(mine if fresh else _MISS)
            if not fresh:
                shared.append(index)
        if shared:
            values = self._call("get", self._store.get_many, [keys[i] for i in shared], default=None)
            for index, value in zip(shared, values or [_MISS] * len(shared), strict=True):
                found[index] = value
                if value is not _MISS:
                    self._keep_locally(keys[index], value, self._local_ttl(requests[index][0]))
        for (operation, _, _, _), value in zip(requests, found, strict=True):
            if value is not _MISS:
                self.counters.add(operation, "hits")
        return [None if value is _MISS else value for value in found]

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
        mine = _MISS
        if local_ttl is not None or operation in OUTAGE_LOCAL_TTLS:
            mine, fresh = self.local.peek(key)
            if fresh:
                self.counters.add(operation, "hits")
                return mine
        value = self._call("get", self._store.get, key, operation=operation)
        if value is _MISS and mine is not _MISS:
            # our copy is past its local TTL but still right (content- or version-addressed), and the shared
            # store lost the entry (restarted empty, evicted): put ours back rather than compute it again
            value = mine
            self._call(
                "set", self._store.set, key, mine, self.ttl(operation), default=None, operation=operation
            )
        if value is not _MISS:
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
            if value is not _MISS:
                return value
            if not self._available() or not self._call(
                "lock check", self._store.locked, key, default=False, operation=operation
            ):
                # The holder finished, died (lock expired) or the cache went away; it may have stored
                # the value between our two looks, so look once more before computing ourselves.
                return self._call("get", self._store.get, key, operation=operation)
        return _MISS

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
        self.local.drop_matching(glob)
        return self._delete_shared("glob", glob)

    def delete(self, operation: str, request: Mapping[str, Any], household=None, user=None) -> int:
        """Delete one entry."""
        key = self.key(operation, request, household, user)
        self.local.drop(key)
        return self._delete_shared("key", key)

    def settle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for invalidations made during an outage to reach the store
        (a short-lived process such as the CLI, before it exits); True when none is left."""
        deadline = time.monotonic() + timeout
        while True:
            with self._state:
                if not self._pending:
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
