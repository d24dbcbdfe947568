"""Performance metrics: timing decorator and context manager, counters, slow thresholds, and a
store that aggregates every gunicorn worker.

Each process accumulates timings in :class:`~dashboard.metrics.sketch.Sketch` histograms
per operation and minute (a few microseconds a call) and a background thread
flushes them once a second to the shared backend:

- Redis (when ``REDIS_URL`` is set): one hash per operation and minute (kept
  65 minutes), one per operation and hour (kept 25 hours) and one since the
  last reset, merged by a small Lua script;
- otherwise ``diskcache`` in the instance folder, shared by the workers of
  the machine (the embedded default);
- or memory, for a single process (tests).

Reading merges the buckets of a window (the minutes of the last 1, 5, 15 or 60
minutes, the hours of the last day) or the since-reset hash; a series reads
them one by one. Memory and reads stay constant however long it runs. Operation names are bounded: names from code are registered freely,
names arriving from browsers only up to ``MAX_BROWSER_NAMES``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from contextlib import ContextDecorator

import flask

from dashboard import outage
from dashboard.metrics.prometheus import PrometheusMetrics
from dashboard.metrics.sketch import Sketch

log = logging.getLogger("meridian.metrics")

# window -> (bucket kind, how many of the latest buckets); None: since the last reset
WINDOWS: dict[str, tuple[str, int] | None] = {
    "1m": ("m", 1),
    "5m": ("m", 5),
    "15m": ("m", 15),
    "60m": ("m", 60),
    "1h": ("m", 60),
    "24h": ("h", 24),
    "all": None,
}
MINUTE_TTL = 65 * 60
HOUR_TTL = 25 * 60 * 60


def bucket_keys(minute: int) -> list[tuple[str, int | None]]:
    """The buckets one minute's timings go to, with their lifetimes: its minute, its hour, since reset."""
    return [(str(minute), MINUTE_TTL), (f"h{minute // 60}", HOUR_TTL), ("all", None)]


# A bucket whose last minute ended more than CLOSED_MINUTES minutes ago is written to again only by a late
# flush: a batch with a minute more than LATE_MINUTES before the flush's own (a worker's timings kept
# through a Redis outage, or a flush held up that long). Such a flush marks the store afresh after its
# writes, so the Redis backend keeps each worker's merges of closed buckets by the mark it read before
# them (at most KEPT_MERGES): a window's past minutes are read once, not on every summary. The minute
# between LATE_MINUTES and CLOSED_MINUTES leaves a flush in flight, and clocks of different hosts, a
# minute's slack.
LATE_MINUTES = 1
CLOSED_MINUTES = 2
KEPT_MERGES = 16


def closed_bucket(suffix: str, minute: int) -> bool:
    """Whether the bucket ``suffix`` (a minute, ``h<hour>`` or ``all``) is closed at ``minute``."""
    if suffix == "all":
        return False
    last = int(suffix[1:]) * 60 + 59 if suffix.startswith("h") else int(suffix)
    return last < minute - CLOSED_MINUTES


def window_buckets(window: str, now: float | None = None) -> list[str] | None:
    """Bucket suffixes of ``window``, oldest first (None: the since-reset bucket)."""
    spec = WINDOWS[window]
    if spec is None:
        return None
    kind, span = spec
    minute = int((time.time() if now is None else now) // 60)
    if kind == "m":
        return [str(m) for m in range(minute - span + 1, minute + 1)]
    hour = minute // 60
    return [f"h{h}" for h in range(hour - span + 1, hour + 1)]


FLUSH_SECONDS = 1.0
MAX_BROWSER_NAMES = 200
MAX_NAMES = 1000
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-\[\]+/]{1,240}$")
SLOW_LOG_INTERVAL = 10.0

# Slow thresholds in milliseconds, by longest matching prefix; overridable per app.
DEFAULT_THRESHOLDS_MS: dict[str, float] = {
    "callback.": 500.0,
    "engine.": 2000.0,
    "engine.optimisation": 1000.0,
    "engine.market_data": 2000.0,
    "engine.monte_carlo": 5000.0,
    "facade.": 2000.0,
    "db.query": 250.0,
    "http.": 1000.0,
    "render.": 1000.0,
    "web_vitals.": float("inf"),  # vitals carry their own good / poor ratings
}


class MetricsError(ValueError):
    """A metric name was refused (malformed, or beyond the cap)."""


# -- backends ---------------------------------------------------------------------------------


class MemoryBackend:
    name = "memory"

    def __init__(self):
        self.sketches: dict[str, Sketch] = {}
        self.counts: dict[str, int] = {}
        self.names: set[str] = set()
        self.browser_names: set[str] = set()
        self.lock = threading.Lock()

    def write(self, batch: dict[tuple[str, int], Sketch], counters: dict[str, int]) -> None:
        with self.lock:
            for (name, minute), sketch in batch.items():
                for suffix, _ttl in bucket_keys(minute):
                    self.sketches.setdefault(f"{name}:{suffix}", Sketch()).merge(sketch)
            for name, n in counters.items():
                self.counts[name] = self.counts.get(name, 0) + n

    def read(self, names: Iterable[str], buckets: list[str] | None) -> dict[str, Sketch]:
        suffixes = ["all"] if buckets is None else buckets
        with self.lock:
            out = {}
            for name in names:
                merged = Sketch()
                for suffix in suffixes:
                    found = self.sketches.get(f"{name}:{suffix}")
                    if found is not None:
                        merged.merge(found)
                out[name] = merged
            return out

    def read_each(self, name: str, buckets: list[str]) -> list[Sketch]:
        with self.lock:
            return [Sketch().merge(self.sketches.get(f"{name}:{b}", Sketch())) for b in buckets]

    def counters(self) -> dict[str, int]:
        with self.lock:
            return dict(self.counts)

    def register(self, name: str, browser: bool) -> bool:
        with self.lock:
            if name in self.names:
                return True
            if len(self.names) >= MAX_NAMES or (browser and len(self.browser_names) >= MAX_BROWSER_NAMES):
                return False
            self.names.add(name)
            if browser:
                self.browser_names.add(name)
            return True

    def all_names(self) -> set[str]:
        with self.lock:
            return set(self.names)

    def clear(self) -> None:
        with self.lock:
            self.sketches.clear()
            self.counts.clear()
            self.names.clear()
            self.browser_names.clear()

    def ping(self) -> bool:
        return True


_MERGE_LUA = """
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  local f = ARGV[i]
  local v = ARGV[i + 1]
  if f == 'lo' then
    local cur = redis.call('HGET', KEYS[1], 'lo')
    if (not cur) or tonumber(v) < tonumber(cur) then redis.call('HSET', KEYS[1], 'lo', v) end
  elseif f == 'hi' then
    local cur = redis.call('HGET', KEYS[1], 'hi')
    if (not cur) or tonumber(v) > tonumber(cur) then redis.call('HSET', KEYS[1], 'hi', v) end
  elseif f == 's' then
    redis.call('HINCRBYFLOAT', KEYS[1], f, v)
  else
    redis.call('HINCRBY', KEYS[1], f, v)
  end
end
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return 1
"""

_REGISTER_LUA = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '1' then
  if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 0 end
  redis.call('SADD', KEYS[2], ARGV[1])
end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
"""


class MetricsUnavailable(RuntimeError):
    """The shared store is down (its breaker, shared with the cache, is open): not asked until it answers."""


def _guarded(method):
    """A call to Redis goes through the breaker this process shares with the cache (dashboard/outage.py):
    while the store is down the call fails at once instead of waiting for the socket timeout (a page
    reading metrics during a Redis outage stays fast), and a call that fails opens it for everyone."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        if not self.outage.available():
            raise MetricsUnavailable("the metrics store is unavailable")
        try:
            return method(self, *args, **kwargs)
        except Exception as error:
            self.outage.failed(error, f"metrics {method.__name__}")
            raise

    return call


class RedisBackend:
    name = "redis"

    def __init__(self, url: str, timeout: float, prefix: str = "meridian:metrics:"):
        import redis

        # a flush is one pipeline of many merges: it may take longer than a single read of the cache's
        self.client = redis.Redis.from_url(
            url, socket_timeout=max(timeout, 0.5), socket_connect_timeout=max(timeout, 0.5)
        )
        self.outage = outage.for_redis(url, timeout)
        self.prefix = prefix
        self._merge = self.client.register_script(_MERGE_LUA)
        self._register = self.client.register_script(_REGISTER_LUA)
        self.clock = time.time  # the minute a flush or a read is in (tests move it)
        self._mark = f"{prefix}late-mark"
        # (names, closed buckets, mark) -> each name's closed buckets merged, least recently read first
        self._closed: OrderedDict[tuple, dict[str, Sketch]] = OrderedDict()
        self._closed_lock = threading.Lock()

    @_guarded
    def write(self, batch, counters) -> None:
        pipe = self.client.pipeline(transaction=False)
        for (name, minute), sketch in batch.items():
            fields = sketch.to_fields()
            args = [item for pair in fields.items() for item in pair]
            for suffix, ttl in bucket_keys(minute):
                self._merge(keys=[f"{self.prefix}op:{name}:{suffix}"], args=[ttl or 0, *args], client=pipe)
        for name, n in counters.items():
            pipe.hincrby(f"{self.prefix}counters", name, n)
        now = int(self.clock() // 60)
        if any(minute < now - LATE_MINUTES for _name, minute in batch):
            pipe.set(self._mark, uuid.uuid4().hex)  # after the merges: a reader that sees it sees them
        pipe.execute()

    @_guarded
    def read(self, names, buckets):
        """Each name's buckets merged: the open ones read now, the closed ones (``closed_bucket``) from this
        worker's merges of them under the store's mark, read before them, or read and kept."""
        names = list(names)
        suffixes = ["all"] if buckets is None else buckets
        minute = int(self.clock() // 60)
        closed = tuple(s for s in suffixes if closed_bucket(s, minute))
        mark, out = self._marked_merges(names, [s for s in suffixes if s not in closed])
        if closed:
            for name, sketch in self._closed_merges(names, closed, mark).items():
                out[name].merge(sketch)
        return out

    def _marked_merges(self, names: list[str], suffixes) -> tuple[bytes | None, dict[str, Sketch]]:
        """The store's mark, then each name's ``suffixes`` merged, by name: one pipeline, the mark read
        first."""
        pipe = self.client.pipeline(transaction=False)
        pipe.get(self._mark)
        for name in names:
            for suffix in suffixes:
                pipe.hgetall(f"{self.prefix}op:{name}:{suffix}")
        mark, *rest = pipe.execute()
        results = iter(rest)
        out = {}
        for name in names:
            merged = Sketch()
            for _ in suffixes:
                fields = next(results)
                if fields:
                    merged.merge(Sketch.from_fields(fields))
            out[name] = merged
        return mark, out

    def _closed_merges(self, names: list[str], closed: tuple[str, ...], mark) -> dict[str, Sketch]:
        """Each name's closed buckets merged (not to be changed: kept), as of ``mark``."""
        if mark is None:  # never marked (a new or emptied Redis): marked now, by whichever reader is first
            pipe = self.client.pipeline(transaction=False)
            pipe.set(self._mark, uuid.uuid4().hex, nx=True)
            pipe.get(self._mark)
            mark = pipe.execute()[1]
        key = (tuple(names), closed, mark)
        with self._closed_lock:
            found = self._closed.get(key)
            if found is not None:
                self._closed.move_to_end(key)
                return found
        now, merges = self._marked_merges(names, closed)
        if now == mark:  # kept unless marked meanwhile (then they may hold a late write's part)
            with self._closed_lock:
                self._closed[key] = merges
                while len(self._closed) > KEPT_MERGES:
                    self._closed.popitem(last=False)
        return merges

    @_guarded
    def read_each(self, name: str, buckets: list[str]) -> list[Sketch]:
        pipe = self.client.pipeline(transaction=False)
        for suffix in buckets:
            pipe.hgetall(f"{self.prefix}op:{name}:{suffix}")
        return [Sketch.from_fields(fields) if fields else Sketch() for fields in pipe.execute()]

    @_guarded
    def counters(self) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in self.client.hgetall(f"{self.prefix}counters").items()}

    @_guarded
    def register(self, name: str, browser: bool) -> bool:
        keys = [f"{self.prefix}names", f"{self.prefix}browser-names"]
        return bool(
            self._register(keys=keys, args=[name, MAX_NAMES, "1" if browser else "0", MAX_BROWSER_NAMES])
        )

    @_guarded
    def all_names(self) -> set[str]:
        return {n.decode() for n in self.client.smembers(f"{self.prefix}names")}

    @_guarded
    def clear(self) -> None:
        batch = []
        for key in self.client.scan_iter(match=f"{self.prefix}*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                self.client.unlink(*batch)
                batch = []
        if batch:
            self.client.unlink(*batch)
        self.client.set(self._mark, uuid.uuid4().hex)  # every worker's merges of closed buckets are old

    @_guarded
    def ping(self) -> bool:
        return bool(self.client.ping())


class DiskBackend(MemoryBackend):
    """The memory backend's logic on a diskcache shared by the machine's workers."""

    name = "local"

    def __init__(self, directory: str):
        from dashboard.forksafe import ForkSafeCache

        super().__init__()
        self.disk = ForkSafeCache(directory, timeout=2)

    def write(self, batch, counters) -> None:
        with self.disk.transact(retry=True):
            for (name, minute), sketch in batch.items():
                for key, expire in ((f"op:{name}:{suffix}", ttl) for suffix, ttl in bucket_keys(minute)):
                    stored = self.disk.get(key)
                    merged = Sketch.from_fields(stored) if stored else Sketch()
                    self.disk.set(key, merged.merge(sketch).to_fields(), expire=expire)
            if counters:
                stored = self.disk.get("counters") or {}
                for name, n in counters.items():
                    stored[name] = stored.get(name, 0) + n
                self.disk.set("counters", stored)

    def read(self, names, buckets):
        suffixes = ["all"] if buckets is None else buckets
        out = {}
        for name in names:
            merged = Sketch()
            for suffix in suffixes:
                stored = self.disk.get(f"op:{name}:{suffix}")
                if stored:
                    merged.merge(Sketch.from_fields(stored))
            out[name] = merged
        return out

    def read_each(self, name: str, buckets: list[str]) -> list[Sketch]:
        out = []
        for suffix in buckets:
            stored = self.disk.get(f"op:{name}:{suffix}")
            out.append(Sketch.from_fields(stored) if stored else Sketch())
        return out

    def counters(self) -> dict[str, int]:
        return dict(self.disk.get("counters") or {})

    def register(self, name: str, browser: bool) -> bool:
        with self.disk.transact(retry=True):
            names = self.disk.get("names") or set()
            if name in names:
                return True
            browser_names = self.disk.get("browser-names") or set()
            if len(names) >= MAX_NAMES or (browser and len(browser_names) >= MAX_BROWSER_NAMES):
                return False
            names.add(name)
            self.disk.set("names", names)
            if browser:
                browser_names.add(name)
                self.disk.set("browser-names", browser_names)
            return True

    def all_names(self) -> set[str]:
        return set(self.disk.get("names") or set())

    def clear(self) -> None:
        self.disk.clear()

    def ping(self) -> bool:
        self.disk.get("ping")
        return True


# -- the store ----------------------------------------------------------------------------------


class MetricsStore:
    """Records timings and counters in this process; flushes to the shared backend in the background."""

    def __init__(self, backend=None, prometheus=None):
        self.backend = backend
        self.thresholds = dict(DEFAULT_THRESHOLDS_MS)
        self.started = time.time()
        self._buffer: dict[tuple[str, int], Sketch] = {}
        self._counts: dict[str, int] = {}
        self._accepted: set[str] = set()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._flusher_pid = None
        self._slow_logged: dict[str, float] = {}
        self._recent: dict[tuple, tuple[float, dict]] = {}  # (window, names) -> (when, summary)
        self._failing = False
        self._closed = threading.Event()
        self.prometheus = prometheus

    # -- names and thresholds ------------------------------------------------------------------

    def threshold_ms(self, name: str) -> float:
        best, value = -1, float("inf")
        for prefix, limit in self.thresholds.items():
            if name.startswith(prefix) and len(prefix) > best:
                best, value = len(prefix), limit
        return value

    def accept(self, name: str, browser: bool = False) -> bool:
        """Register ``name`` if it is new and allowed; False when malformed or beyond the cap."""
        if name in self._accepted:
            return True
        if not NAME_PATTERN.match(name):
            return False
        if self.backend is None:
            return False
        try:
            ok = self.backend.register(name, browser)
        except Exception:  # noqa: BLE001 - a down backend: accept code names, refuse browser ones
            ok = not browser
        if ok:
            self._accepted.add(name)
        return ok

    # -- recording -----------------------------------------------------------------------------

    def record(self, name: str, milliseconds: float, error: bool = False, browser: bool = False) -> bool:
        """Add one timing; returns False (and stores nothing) for a refused name."""
        if self.backend is None or not self.accept(name, browser):
            return False
        slow = milliseconds > self.threshold_ms(name)
        minute = int(time.time() // 60)
        with self._lock:
            sketch = self._buffer.get((name, minute))
            if sketch is None:
                sketch = self._buffer[(name, minute)] = Sketch()
            sketch.add(milliseconds, error, slow)
        if slow:
            self._log_slow(name, milliseconds)
        if self.prometheus is not None:
            self.prometheus.observe(name, milliseconds, slow, error)
        self._ensure_flusher()
        return True

    def count(self, name: str, n: int = 1) -> None:
        if self.backend is None or not self.accept(name):
            return
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + n
        if self.prometheus is not None:
            self.prometheus.count(name, n)
        self._ensure_flusher()

    def _log_slow(self, name: str, milliseconds: float) -> None:
        now = time.monotonic()
        if now - self._slow_logged.get(name, -1e9) >= SLOW_LOG_INTERVAL:
            self._slow_logged[name] = now
            log.warning(
                "slow operation %s took %.0f ms (threshold %.0f ms)",
                name,
                milliseconds,
                self.threshold_ms(name),
            )

    # -- flushing --------------------------------------------------------------------------------

    def after_fork(self) -> None:
        """In a forked job process: fresh locks (the parent's flusher may have held one at the fork); the
        flusher starts again here on the first record (it is per process)."""
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._flusher_pid = None

    def _ensure_flusher(self) -> None:
        pid = os.getpid()
        if self._flusher_pid == pid:
            return
        with self._lock:
            if self._flusher_pid == pid:
                return
            self._flusher_pid = pid
        threading.Thread(target=self._flush_forever, name="metrics-flusher", daemon=True).start()

    def _flush_forever(self) -> None:
        try:
            while not self._closed.wait(FLUSH_SECONDS):
                self.flush()
        except SystemExit:  # the thread was stopped from outside (test servers do): start afresh next time
            self._flusher_pid = None

    def close(self) -> None:
        """Flush what is pending and stop the background flusher (an app being torn down)."""
        self._closed.set()
        self.flush()

    def flush(self) -> None:
        """Write this process's pending timings and counters to the backend.

        Flushes are serialised, so a reader that flushes first also waits for a
        background flush already writing: it never reads half of a batch.
        """
        with self._flush_lock:
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            batch, self._buffer = self._buffer, {}
            counts, self._counts = self._counts, {}
        if not (batch or counts) or self.backend is None:
            return
        try:
            self.backend.write(batch, counts)
            if self._failing:
                self._failing = False
                log.warning("metrics backend available again")
        except Exception as error:  # noqa: BLE001 - metrics never fail a request
            if not self._failing:
                self._failing = True
                log.warning(
                    "metrics backend unavailable (%s); keeping the last hour in memory", type(error).__name__
                )
            oldest = int(time.time() // 60) - 60
            with self._lock:
                for key, sketch in batch.items():
                    if key[1] >= oldest:
                        self._buffer.setdefault(key, Sketch()).merge(sketch)
                for name, n in counts.items():
                    self._counts[name] = self._counts.get(name, 0) + n

    # -- reading -----------------------------------------------------------------------------------

    def stats(
        self, window: str = "all", names: Iterable[str] | None = None, max_age: float = 0.0
    ) -> dict[str, dict]:
        """Summary per operation over ``window`` (one of WINDOWS), every worker included.

        ``max_age``: a summary this worker made at most that many seconds ago may
        be served again (what the HTTP API polled by dashboards and health checks
        asks for: other workers' timings reach the backend every few seconds anyway),
        unless ``forget_recent`` was called since.
        """
        if window not in WINDOWS:
            raise MetricsError(f"window must be one of {', '.join(WINDOWS)}")
        key = (window, None if names is None else tuple(sorted(names)))
        if max_age > 0:
            with self._lock:
                made, summary = self._recent.get(key, (0.0, None))
            if summary is not None and time.monotonic() - made <= max_age:
                return summary
        self.flush()
        chosen = sorted(self.backend.all_names() if names is None else names)
        sketches = self.backend.read(chosen, window_buckets(window))
        summary = {
            name: {**sketch.summary(), "threshold_ms": _finite(self.threshold_ms(name))}
            for name, sketch in sketches.items()
            if sketch.count
        }
        with self._lock:
            self._recent[key] = (time.monotonic(), summary)
        return summary

    def forget_recent(self) -> None:
        """The next summary is made afresh (after a client's own timings arrived: it reads its writes)."""
        with self._lock:
            self._recent.clear()

    def series(self, name: str, window: str) -> list[dict]:
        """``name``'s summary bucket by bucket over ``window`` (minutes, or hours for 24h), oldest first."""
        buckets = window_buckets(window)
        if buckets is None:
            raise MetricsError("a series needs a window of minutes or hours, not 'all'")
        self.flush()
        return [
            {"start": int(b[1:]) * 3600 if b.startswith("h") else int(b) * 60, **sketch.summary()}
            for b, sketch in zip(buckets, self.backend.read_each(name, buckets), strict=True)
        ]

    def counters(self) -> dict[str, int]:
        self.flush()
        return self.backend.counters()

    def reset(self) -> None:
        with self._lock:
            self._buffer.clear()
            self._counts.clear()
            self._accepted.clear()
            self._recent.clear()
        self.backend.clear()
        if self.prometheus is not None:
            self.prometheus.reset_note()

    def health(self) -> str:
        try:
            return "ok" if self.backend is not None and self.backend.ping() else "down"
        except Exception:  # noqa: BLE001
            return "down"


def _finite(value: float) -> float | None:
    return None if value == float("inf") else value


# -- decorator and context manager -----------------------------------------------------------------


class track_operation(ContextDecorator):
    """Time a block: ``with track_operation("engine.optimise"):`` (or ``async with``)."""

    def __init__(self, name: str, store: MetricsStore | None = None):
        self.name = name
        self.store = store
        self._started: list[float] = []

    def _recreate_cm(self):
        # used as a decorator, each call gets its own timer (thread-safe)
        return type(self)(self.name, self.store)

    def __enter__(self):
        self._started.append(time.perf_counter())
        return self

    def __exit__(self, kind, value, tb):
        elapsed = (time.perf_counter() - self._started.pop()) * 1000
        (self.store or metrics).record(self.name, elapsed, error=kind is not None)
        return False

    async def __aenter__(self):
        return self.__enter__()

    async def __aexit__(self, kind, value, tb):
        return self.__exit__(kind, value, tb)


def track_performance(name: str):
    """Decorator timing every call of a sync or async function under ``name``."""

    def decorate(fn):
        if asyncio.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def timed_async(*args, **kwargs):
                async with track_operation(name):
                    return await fn(*args, **kwargs)

            return timed_async

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            with track_operation(name):
                return fn(*args, **kwargs)

        return timed

    return decorate


class MetricsExtension:
    """The metrics extension: created unbound, bound per app by ``init_app``.

    ``record`` and ``count`` go to the current app's :class:`MetricsStore`;
    outside an app context (a script, a test of the engine) there is nowhere
    to record to and they do nothing. Other attributes need an app.
    """

    key = "meridian.metrics"

    def init_app(self, server, settings, backend=None) -> MetricsStore:
        if backend is None:
            if settings.redis_url:
                backend = RedisBackend(settings.redis_url, settings.redis_socket_timeout)
            else:
                folder = settings.instance_path / "metrics"
                folder.mkdir(parents=True, exist_ok=True)
                backend = DiskBackend(str(folder))
        store = MetricsStore(backend, PrometheusMetrics())
        server.extensions[self.key] = store
        return store

    def current(self) -> MetricsStore | None:
        if not flask.has_app_context():
            return None
        return flask.current_app.extensions.get(self.key)

    def record(self, name: str, milliseconds: float, error: bool = False, browser: bool = False) -> bool:
        store = self.current()
        return store.record(name, milliseconds, error, browser) if store is not None else False

    def count(self, name: str, n: int = 1) -> None:
        store = self.current()
        if store is not None:
            store.count(name, n)

    def __getattr__(self, name: str):
        store = self.current()
        if store is None:
            raise RuntimeError("the metrics store is used outside an app context")
        return getattr(store, name)


metrics = MetricsExtension()
