"""One shared store's availability, as this process sees it: the circuit breaker of everything that uses it.

The cache and the metrics store talk to the same Redis (the worker's heartbeat too). When a call to it
fails or times out, it is marked down for all of them at once: from then on no request pays a
connection or socket timeout (the cache computes directly, the metrics keep their figures in memory),
and one background thread per process probes it every ``PROBE_INTERVAL``. When it answers, whatever
must happen before it is used again runs first (the cache's invalidations missed meanwhile: a hook
that raises keeps it down), then everyone uses it again. One log line when an outage starts and one
when it ends, per process.

``for_redis(url, timeout)`` gives the one breaker of a Redis server in this process (its timeout is the
``REDIS_SOCKET_TIMEOUT`` setting, the same for every user of it); the disk cache has its own.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from urllib.parse import urlsplit

log = logging.getLogger("meridian.cache")

PROBE_INTERVAL = 0.5  # seconds between the background probes of a store that is down


class Outage:
    """The breaker of one store; ``ping()`` raises while it is away."""

    def __init__(self, name: str, ping: Callable[[], object]) -> None:
        self.name = name
        self._ping = ping
        self._lock = threading.Lock()
        self._down = False
        self._since = 0.0
        self._probe_pid: int | None = None
        self._hooks: list[weakref.WeakMethod] = []
        self.outages = 0  # how many started in this process

    @property
    def down(self) -> bool:
        return self._down

    def available(self) -> bool:
        """Whether to use the store now (never waits on it)."""
        if not self._down:
            return True
        if self._probe_pid != os.getpid():  # a forked child inherits "down" but not its parent's probe
            self._start_probe()
        return False

    def failed(self, error: BaseException, during: str) -> bool:
        """A call failed: the store is down for everyone until the probe sees it answer. True when this
        call started the outage."""
        with self._lock:
            first = not self._down
            if first:
                self._down = True
                self._since = time.monotonic()
                self.outages += 1
        if first:
            log.warning(
                "cache unavailable: %s (%s during %s); the cache computes directly, the metrics wait, "
                "probing it every %.1f s",
                self.name,
                type(error).__name__,
                during,
                PROBE_INTERVAL,
            )
            self._start_probe()
        return first

    def before_resume(self, hook: Callable[[], None]) -> None:
        """Run the bound method ``hook`` once the store answers, before it is used again (it raises while
        it cannot do its part). Held weakly: an app torn down leaves no hook behind."""
        with self._lock:
            self._hooks = [h for h in self._hooks if h() is not None] + [weakref.WeakMethod(hook)]

    def after_fork(self) -> None:
        """In a forked process: a fresh lock (a thread of the parent may have held it at the fork)."""
        self._lock = threading.Lock()

    def _start_probe(self) -> None:
        with self._lock:
            if self._probe_pid == os.getpid():
                return
            self._probe_pid = os.getpid()
        threading.Thread(target=self._probe, name="store-probe", daemon=True).start()

    def _probe(self) -> None:
        while True:
            time.sleep(PROBE_INTERVAL)
            try:
                self._ping()
                for hook in list(self._hooks):
                    method = hook()
                    if method is not None:
                        method()
            except Exception:  # noqa: BLE001 - still away (or a hook could not do its part): probe again
                continue
            with self._lock:
                self._down = False
                self._probe_pid = None
                lasted = time.monotonic() - self._since
            log.warning("cache available again: %s, after %.1f s", self.name, lasted)
            return


_REDIS: dict[str, Outage] = {}
_REDIS_LOCK = threading.Lock()


def for_redis(url: str, timeout: float) -> Outage:
    """The breaker of the Redis server at ``url`` in this process (made on first use)."""
    with _REDIS_LOCK:
        found = _REDIS.get(url)
        if found is None:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
            where = urlsplit(url)
            found = _REDIS[url] = Outage(f"Redis at {where.hostname}:{where.port or 6379}", client.ping)
        return found
