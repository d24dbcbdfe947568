"""The cache facade against the real Redis (and the local backend): hits, TTLs, refresh,
invalidation, single flight, and graceful degradation when Redis dies, hangs or is flushed."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import flask
import numpy as np
import pytest

from dashboard.cache import AppCache, CacheExtension, CacheKeyError, make_key
from harness.faults import PrivateRedis
from tests.conftest import unavailable


def facade(settings) -> AppCache:
    """One app's cache (no app context needed: the bound object is used directly)."""
    return CacheExtension().init_app(flask.Flask("cache-test"), settings)


class Counter:
    """A stand-in for an engine call that counts how often it really ran."""

    def __init__(self, value="result", delay=0.0):
        self.calls = 0
        self.value = value
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        return self.value


@pytest.fixture(params=["redis", "local"])
def cache(request, settings):
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        return facade(settings.replace(redis_url=url))
    return facade(settings)


def test_cache001_miss_then_hit(cache):
    compute = Counter({"weights": [0.5, 0.5]})
    first = cache.get_or_compute("optimisation", {"a": 1}, compute)
    second = cache.get_or_compute("optimisation", {"a": 1}, compute)
    assert first == second == {"weights": [0.5, 0.5]} and compute.calls == 1
    counts = cache.counters.snapshot()["optimisation"]
    assert counts["misses"] == 1 and counts["hits"] == 1 and counts["computes"] == 1


def test_cache002_ttl_expiry(cache):
    compute = Counter()
    cache.get_or_compute("risk", {"a": 1}, compute, ttl=1)
    cache.get_or_compute("risk", {"a": 1}, compute, ttl=1)
    assert compute.calls == 1
    time.sleep(2.1)
    cache.get_or_compute("risk", {"a": 1}, compute, ttl=1)
    assert compute.calls == 2


def test_cache003_refresh_recomputes_and_stores(cache):
    compute = Counter()
    cache.get_or_compute("tax", {"a": 1}, compute)
    cache.get_or_compute("tax", {"a": 1}, compute, refresh=True)
    assert compute.calls == 2
    cache.get_or_compute("tax", {"a": 1}, compute)
    assert compute.calls == 2
    assert cache.counters.snapshot()["tax"]["refreshes"] == 1


def test_cache004_invalidation_by_operation_household_and_user(cache):
    compute = Counter()
    entries = [
        ("optimisation", 1, 7),
        ("optimisation", 2, 7),
        ("risk", 1, 8),
        ("risk", 2, 8),
        ("session", None, 7),
    ]
    for op, household, user in entries:
        cache.get_or_compute(op, {"x": 1}, compute, household=household, user=user)
    assert compute.calls == 5
    assert cache.invalidate(household=1) == 2
    assert cache.invalidate(operation="optimisation") == 1  # household 2's entry; household 1's already gone
    assert cache.invalidate(user=7) == 1  # the session entry
    for op, household, user in entries:
        cache.get_or_compute(op, {"x": 1}, compute, household=household, user=user)
    assert compute.calls == 5 + 4  # only ("risk", 2, 8) survived every invalidation
    with pytest.raises(ValueError):
        cache.invalidate()


def test_cache005_stampede_computes_once(cache):
    compute = Counter(delay=0.5)
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(
            pool.map(lambda _: cache.get_or_compute("monte_carlo", {"paths": 10_000}, compute), range(20))
        )
    assert results == ["result"] * 20
    assert compute.calls == 1
    assert cache.counters.snapshot()["monte_carlo"]["lock_waits"] >= 1


def test_cache006_stampede_across_processes(settings, redis_url, tmp_path):
    """Two worker processes missing the same key at once: the engine runs once."""
    import multiprocessing

    marker = tmp_path / "computed"
    context = multiprocessing.get_context("fork")
    start = context.Event()
    processes = [
        context.Process(target=_worker, args=(settings.replace(redis_url=redis_url), marker, start))
        for _ in range(4)
    ]
    for p in processes:
        p.start()
    start.set()
    for p in processes:
        p.join(30)
    assert all(p.exitcode == 0 for p in processes)
    assert marker.read_text().count("x") == 1


def _worker(settings, marker, start):
    cache = facade(settings)
    start.wait()

    def compute():
        with open(marker, "a") as handle:
            handle.write("x")
        time.sleep(0.5)
        return 42

    assert cache.get_or_compute("optimisation", {"cross": "process"}, compute) == 42


def test_cache007_a_dead_lock_holder_does_not_block_the_waiter(cache):
    from dashboard.cache import make_key as key_of

    key = key_of("risk", {"z": 1})
    assert cache._store.acquire(key, 1.0) is not None  # a holder that will never finish
    compute = Counter()
    started = time.monotonic()
    assert cache.get_or_compute("risk", {"z": 1}, compute, lock_timeout=1.0) == "result"
    assert compute.calls == 1 and time.monotonic() - started < 5


def test_cache008_keys_come_from_content_never_from_repr(cache):
    big = list(np.linspace(0, 1, 5000))
    changed = list(big)
    changed[4321] += 1e-9
    assert make_key("risk", {"w": big}) != make_key("risk", {"w": changed})
    assert make_key("risk", {"a": 1, "b": 2}) == make_key("risk", {"b": 2, "a": 1})  # canonical order
    assert make_key("risk", {"a": 1}, household=1) != make_key("risk", {"a": 1}, household=2)
    one = cache.get_or_compute("risk", {"w": big}, lambda: sum(big))
    two = cache.get_or_compute("risk", {"w": changed}, lambda: sum(changed))
    assert one != two
    with pytest.raises(CacheKeyError):
        make_key("risk", {"w": np.array(big)})
    import pandas as pd

    with pytest.raises(CacheKeyError):
        make_key("risk", {"prices": pd.DataFrame({"a": [1.0]})})


def test_cache009_nothing_found_is_not_cached(cache):
    calls = []
    cache.get_or_compute("session", {"email": "nobody"}, lambda: calls.append(1))
    cache.get_or_compute("session", {"email": "nobody"}, lambda: calls.append(1))
    assert len(calls) == 2


# -- faults with a private Redis we can kill and pause ----------------------------------------


@pytest.fixture
def private_redis(tmp_path, redis_url):  # redis_url: fails in CI if Redis is not installed
    server = PrivateRedis(tmp_path, unavailable).start()
    yield server
    server.stop()


def test_cache010_redis_killed_mid_test_then_restarted(settings, private_redis, caplog):
    cache = facade(settings.replace(redis_url=private_redis.url))
    answers = {i: i * i for i in range(30)}
    compute_calls = []

    def ask(i):
        return cache.get_or_compute("risk", {"i": i}, lambda: compute_calls.append(i) or answers[i])

    assert [ask(i) for i in range(10)] == [answers[i] for i in range(10)]
    private_redis.kill()
    started = time.monotonic()
    # every request still answered, and correctly, while Redis is dead
    assert [ask(i) for i in range(30)] == [answers[i] for i in range(30)]
    assert time.monotonic() - started < 5
    assert cache.health() == "down"
    warnings = [r for r in caplog.records if "cache unavailable" in r.getMessage()]
    assert len(warnings) == 1  # one line per outage, not per request
    assert cache.counters.outages == 1
    assert cache.counters.snapshot()["risk"]["bypasses"] >= 20

    # while down, each result is computed once and then served from this worker's memory
    assert compute_calls.count(12) == 1 and ask(12) == answers[12] and compute_calls.count(12) == 1

    private_redis.start()
    _wait_until(lambda: not cache.down, 5)  # the background probe saw it answer
    assert [r.getMessage() for r in caplog.records if "available again" in r.getMessage()]
    answers[100] = 7
    before = len(compute_calls)
    ask(100)  # a fresh miss after restart: computed and stored in Redis
    cache.local.drop_matching("*")
    assert ask(100) == 7 and len(compute_calls) == before + 1  # a hit from Redis
    assert cache.health() == "ok"


def _wait_until(condition, limit: float) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the condition did not become true in time"
        time.sleep(0.02)


def test_cache011_redis_paused_requests_finish_within_the_timeout(settings, private_redis):
    cache = facade(settings.replace(redis_url=private_redis.url, redis_socket_timeout=0.25))
    cache.get_or_compute("risk", {"warm": 1}, lambda: 1)
    private_redis.pause()
    try:
        durations = []
        for i in range(10):
            started = time.monotonic()
            assert cache.get_or_compute("risk", {"i": i}, lambda i=i: i) == i
            durations.append(time.monotonic() - started)
        assert durations[0] < 1.5  # the first request pays at most the socket timeouts
        assert max(durations[1:]) < 0.1  # then the cache is skipped while it is down
    finally:
        private_redis.resume()


def _warm_and_watch_reads(cache) -> list:
    """Warm ``cache`` with one entry; the keys its store is asked for from then on."""
    cache.get_or_compute("risk", {"warm": 1}, lambda: 1)
    calls = []
    store_get = cache._store.get
    cache._store.get = lambda key: calls.append(key) or store_get(key)
    return calls


def test_cache014_circuit_breaker_no_request_touches_a_hung_redis(settings, private_redis):
    """Once Redis is known to hang, requests never wait on it (the probe does, in the background);
    after it answers again, the cache is used again."""
    cache = facade(settings.replace(redis_url=private_redis.url, redis_socket_timeout=0.25))
    calls = _warm_and_watch_reads(cache)
    private_redis.pause()
    try:
        cache.get_or_compute("risk", {"first": 1}, lambda: 1)  # pays one socket timeout, opens the breaker
        assert cache.down
        calls.clear()
        durations = []
        deadline = time.monotonic() + 3  # six probe intervals: requests never share the probe's wait
        i = 0
        while time.monotonic() < deadline:
            started = time.monotonic()
            assert cache.get_or_compute("snapshot", {"i": i}, lambda i=i: i) == i
            durations.append(time.monotonic() - started)
            i += 1
            time.sleep(0.01)
        assert calls == [] and max(durations) < 0.05
    finally:
        private_redis.resume()
    _wait_until(lambda: not cache.down, 5)
    assert cache.get_or_compute("risk", {"after": 1}, lambda: 5) == 5
    assert calls, "requests use Redis again once it answers"


def test_cache015_invalidations_made_during_an_outage_win(settings, private_redis):
    """A household changed while Redis hung: when Redis is back, its old entries are gone before any
    request reads Redis again (bound: a worker that dies during the outage takes its pending
    invalidations with it; then the entries' TTL bounds them)."""
    ours = facade(settings.replace(redis_url=private_redis.url, redis_socket_timeout=0.25))
    other = facade(settings.replace(redis_url=private_redis.url, redis_socket_timeout=0.25))
    ours.get_or_compute("household", {"h": 7}, lambda: "version 1", household=7)
    ours.get_or_compute("thread", {"h": 7}, lambda: "threads 1", household=7)
    ours.get_or_compute("household", {"h": 8}, lambda: "other household", household=8)
    private_redis.pause()
    try:
        ours.get_or_compute("risk", {"trip": 1}, lambda: 1)  # finds it hung
        assert ours.down
        assert ours.invalidate(household=7) == 0  # could not reach it: remembered
        ours.delete("thread", {"h": 7}, household=7)
    finally:
        private_redis.resume()
    _wait_until(lambda: not ours.down, 5)
    assert other.lookup("household", {"h": 7}, household=7) is None
    assert other.lookup("thread", {"h": 7}, household=7) is None
    assert other.lookup("household", {"h": 8}, household=8) == "other household"
    assert ours.get_or_compute("household", {"h": 7}, lambda: "version 2", household=7) == "version 2"


def test_cache016_market_version_is_part_of_every_key(settings):
    cache = facade(settings)
    compute = Counter("old prices")
    assert cache.get_or_compute("risk", {"a": 1}, compute) == "old prices"
    cache.market_version = lambda: 2  # a price import
    assert cache.get_or_compute("risk", {"a": 1}, Counter("new prices")) == "new prices"
    assert make_key("risk", {"a": 1}, market=1) != make_key("risk", {"a": 1}, market=2)


def test_cache012_redis_flushed_mid_job(settings, private_redis):
    import redis

    cache = facade(settings.replace(redis_url=private_redis.url))
    compute = Counter(delay=0.3)
    result = {}
    worker = threading.Thread(
        target=lambda: result.setdefault("v", cache.get_or_compute("monte_carlo", {"j": 1}, compute))
    )
    worker.start()
    time.sleep(0.1)
    redis.Redis.from_url(private_redis.url).flushall()  # the lock and everything else vanish
    waiter = cache.get_or_compute("monte_carlo", {"j": 1}, compute)
    worker.join()
    assert result["v"] == waiter == "result"
    assert cache.get_or_compute("monte_carlo", {"j": 1}, compute) == "result"


def test_cache013_errors_are_counted_per_operation(settings, private_redis):
    cache = facade(settings.replace(redis_url=private_redis.url))
    cache.get_or_compute("tax", {"a": 1}, lambda: 1)
    private_redis.kill()
    assert cache.get_or_compute("tax", {"a": 2}, lambda: 2) == 2
    counts = cache.counters.snapshot()["tax"]
    assert counts["errors"] >= 1 and counts["bypasses"] >= 1


def test_cache024_one_breaker_for_the_cache_and_the_metrics_store_of_one_redis(settings, private_redis):
    """The cache and the metrics store share one Redis, so they share its breaker (dashboard/outage.py):
    a metrics flush that finds Redis hung opens it for the cache too (no request then waits on Redis),
    and a cache read that finds it hung stops the metrics from trying; both resume together."""
    from dashboard.metrics.store import MetricsUnavailable, RedisBackend

    cache = facade(settings.replace(redis_url=private_redis.url, redis_socket_timeout=0.25))
    metrics = RedisBackend(private_redis.url, 0.25, prefix="test:metrics:")
    assert metrics.outage is cache._outage  # one breaker for the server, whoever uses it
    calls = _warm_and_watch_reads(cache)
    private_redis.pause()
    try:
        with pytest.raises(Exception):  # noqa: B017 - the socket timeout, whichever class redis-py raises
            metrics.counters()
        assert cache.down  # the metrics' failure opened it for the cache
        started = time.monotonic()
        assert cache.get_or_compute("risk", {"during": 1}, lambda: 2) == 2
        assert time.monotonic() - started < 0.05 and calls == []  # not even tried
        with pytest.raises(MetricsUnavailable):  # and the metrics fail at once, not after a timeout
            metrics.counters()
    finally:
        private_redis.resume()
    _wait_until(lambda: not cache.down, 5)
    assert isinstance(metrics.counters(), dict)
    assert cache.get_or_compute("risk", {"after": 1}, lambda: 3) == 3 and calls


@pytest.mark.parametrize("backend", ["disk", "redis"])
def test_cache025_lookup_many_reads_what_is_not_kept_here_in_one_round_trip(settings, private_redis, backend):
    if backend == "redis":
        settings = settings.replace(redis_url=private_redis.url)
    cache = facade(settings)
    cache.get_or_compute("household", {"h": 1}, lambda: "allowed", household=1, user=5)
    cache.get_or_compute("rendered", {"p": 1}, lambda: "panel", household=1)  # kept in this worker too
    cache.get_or_compute("assumptions", {"kind": "list"}, lambda: ["set 3"])
    trips = []
    get_many = cache._store.get_many
    cache._store.get_many = lambda keys: trips.append(list(keys)) or get_many(keys)
    before = cache.counters.snapshot()
    found = cache.lookup_many(
        [
            ("household", {"h": 1}, 1, 5),
            ("rendered", {"p": 1}, 1, None),
            ("assumptions", {"kind": "list"}, None, None),
            ("household", {"h": 2}, 2, 5),  # never cached
        ]
    )
    assert found == ["allowed", "panel", ["set 3"], None]
    assert len(trips) == 1 and len(trips[0]) == 3  # the panel came from this worker's memory
    after = cache.counters.snapshot()
    assert after["household"]["hits"] == before["household"]["hits"] + 1
    assert after["assumptions"]["hits"] == before["assumptions"]["hits"] + 1


def store_trips(store, names, monkeypatch) -> list[str]:
    """The calls the cache makes to ``store``'s primitives ``names``, in order, as they happen: one entry
    for each of the facade's calls (a store's ``get_many`` may use its own ``get``: one trip)."""
    trips, inside = [], []

    def counted(name, real):
        def call(*args):
            if not inside:
                trips.append(name)
            inside.append(name)
            try:
                return real(*args)
            finally:
                inside.pop()

        return call

    for name in names:
        monkeypatch.setattr(store, name, counted(name, getattr(store, name)))
    return trips


@pytest.mark.parametrize("backend", ["disk", "redis"])
def test_cache026_read_ahead_gives_a_requests_next_reads_from_one_round_trip(
    settings, private_redis, backend, monkeypatch
):
    if backend == "redis":
        settings = settings.replace(redis_url=private_redis.url)
    cache = facade(settings)
    cache.get_or_compute("session", {"user": 5}, lambda: "user 5", user=5)
    cache.get_or_compute("household", {"h": 1}, lambda: "allowed", household=1, user=5)
    trips = store_trips(cache._store, ("get", "get_many"), monkeypatch)
    ahead = [("session", {"user": 5}, None, 5), ("household", {"h": 1}, 1, 5), ("household", {"h": 2}, 2, 5)]

    cache.read_ahead(ahead)  # outside a request: nothing is read
    assert trips == []
    server = flask.Flask("ahead")
    with server.test_request_context("/"):
        before = cache.counters.snapshot()
        cache.read_ahead(ahead)
        assert trips == ["get_many"]
        assert cache.get_or_compute("session", {"user": 5}, lambda: "computed", user=5) == "user 5"
        assert cache.lookup_many([("household", {"h": 1}, 1, 5)]) == ["allowed"]
        assert trips == ["get_many"]  # both from the one round trip
        after = cache.counters.snapshot()
        assert after["session"]["hits"] == before["session"]["hits"] + 1  # counted when read, as before
        assert after["household"]["hits"] == before["household"]["hits"] + 1
        # what was not found is read as before; what was read ahead serves one read only
        assert cache.lookup_many([("household", {"h": 2}, 2, 5)]) == [None]
        assert cache.get_or_compute("session", {"user": 5}, lambda: "computed", user=5) == "user 5"
        assert trips == ["get_many", "get_many", "get"]
        # an invalidation in the request drops what was read ahead: the next read sees the store
        cache.read_ahead(ahead)
        cache.invalidate(operation="session", user=5)
        assert (
            cache.get_or_compute("session", {"user": 5}, lambda: "user 5, changed", user=5)
            == "user 5, changed"
        )
        cache.read_ahead(ahead)
        cache.delete("household", {"h": 1}, household=1, user=5)
        assert cache.lookup_many([("household", {"h": 1}, 1, 5)]) == [None]
    with server.test_request_context("/"):  # another request: nothing of the last one's
        trips.clear()
        assert cache.lookup_many([("household", {"h": 1}, 1, 5)]) == [None] and trips == ["get_many"]


def test_cache027_an_operations_entries_of_a_household_or_user_are_dropped_from_its_index_not_a_scan(
    settings, private_redis, monkeypatch
):
    """Each entry of a household or a user is listed in the index of its operation there (written with it
    in one transaction), so dropping them reads that index whatever the size of the key space; an index
    holds the entries alive (what expired is trimmed at the next write, or leaves when dropped) and lives
    as long as its longest-lived entry; a glob naming no household and no user, or no operation, is still
    deleted by SCAN."""
    cache = facade(settings.replace(redis_url=private_redis.url))
    store, client = cache._store, cache._store.client
    for n in range(3000):  # a key space of other entries, which a scan would have to walk
        cache.get_or_compute("risk", {"n": n}, lambda: "result")
    cache.get_or_compute("snapshot", {"h": 1}, lambda: "household 1", household=1)
    cache.get_or_compute("household", {"h": 1}, lambda: "allowed", household=1, user=7)
    cache.get_or_compute("household", {"h": 1, "n": 2}, lambda: "short", household=1, user=8, ttl=1)
    cache.get_or_compute("snapshot", {"h": 2}, lambda: "household 2", household=2)
    cache.get_or_compute("session", {"u": 7}, lambda: "user 7", user=7)
    cache.get_or_compute("session", {"u": 8}, lambda: "user 8", user=8)
    prefix = store.prefix + "index:"
    listed = {index.decode().removeprefix(prefix): client.zcard(index) for index in client.keys(prefix + "*")}
    assert listed == {
        "h1:snapshot": 1,
        "h1:household": 2,
        "h2:snapshot": 1,
        "u7:household": 1,
        "u7:session": 1,
        "u8:household": 1,
        "u8:session": 1,
    }
    longest = max(cache.ttl("snapshot"), cache.ttl("household"))
    assert longest - 5 <= client.ttl(prefix + "h1:household") <= longest  # not the short entry's 1 s
    time.sleep(1.5)  # the short entry expires; it is still listed until the next write trims it
    cache.get_or_compute("household", {"h": 1, "n": 3}, lambda: "allowed", household=1, user=9)
    assert client.zcard(prefix + "h1:household") == 2  # the short one trimmed, the new one listed

    scans = []
    monkeypatch.setattr(client, "scan_iter", lambda *a, **k: scans.append(k) or iter(()))
    assert cache.invalidate(operation="snapshot", household=1) == 1
    assert cache.lookup("household", {"h": 1}, household=1, user=7) == "allowed"  # another operation
    assert cache.invalidate(operation="household", household=1) == 2
    assert not client.exists(prefix + "h1:household")  # emptied, so gone
    assert cache.invalidate(operation="session", user=7) == 1
    assert cache.lookup("session", {"u": 8}, user=8) == "user 8"
    assert cache.lookup("snapshot", {"h": 2}, household=2) == "household 2"
    assert scans == []
    monkeypatch.undo()
    assert cache.invalidate(operation="risk") == 3000  # no household or user named: a scan
    assert cache.invalidate(user=8) == 1  # every operation of a user: a scan (the household entry expired)


def test_cache028_a_scope_is_matched_by_its_parts_as_the_glob_would_match():
    """Invalidation compares a key's operation, household and user with those a glob names (no regex per
    key, in the worker's own layer and over an index): the same keys as ``fnmatch`` with the glob."""
    import fnmatch
    import itertools

    from dashboard.cache.keys import in_scope, named_by, pattern

    keys = [
        make_key(op, {"x": n}, household, user, market)
        for op, household, user, market, n in itertools.product(
            ("risk", "household", "session", "monte_carlo"), (None, 1, 12, 21), (None, 7, 71), (0, 3), (1, 2)
        )
    ]
    others = ["lock:" + keys[0], "count:signin:x", "index:h1"]  # not entries: never in a scope
    globs = [
        pattern(op, household, user)
        for op, household, user in itertools.product((None, "risk", "session"), (None, 1, 12), (None, 7))
        if (op, household, user) != (None, None, None)
    ] + [pattern()]
    for glob in globs:
        named = named_by(glob)
        assert named is not None, glob
        found = [k for k in keys if in_scope(k, named)]
        assert found == [k for k in keys if fnmatch.fnmatchcase(k, glob)], glob
        assert not any(in_scope(name, named) for name in others)
    assert named_by("risk:*") is None and named_by("*:e*:m*:h1*:u*:*") is None  # other shapes: globs


def test_cache029_the_workers_layer_drops_a_scope_from_its_listing_the_keys_fnmatch_would():
    """Each worker's own layer lists its entries by household and by user, and counts them by operation:
    a household's or a user's invalidation looks at those alone (at none for an operation none of whose
    entries is kept) and drops exactly what ``fnmatch`` with the glob matches; the listings and counts
    follow every way an entry leaves (dropped, replaced, pushed out by the LRU)."""
    import collections
    import fnmatch
    import itertools

    from dashboard.cache.keys import pattern
    from dashboard.cache.local import LocalCache

    keys = [
        make_key(op, {"x": n}, household, user)
        for op, household, user, n in itertools.product(
            ("risk", "rendered", "session"), (None, 1, 12), (None, 7, 71), (1, 2)
        )
    ]
    others = ["lock:" + keys[0], "count:signin:x"]  # other names: dropped only by a glob that matches them
    globs = [
        pattern(op, household, user)
        for op, household, user in itertools.product(
            (None, "risk", "rendered", "household"), (None, 1, 12), (None, 7)
        )
        if (op, household, user) != (None, None, None)
    ] + ["risk:*", "*:e*:m*:h1*:u*:*", "lock:*"]
    for glob in globs:
        local = LocalCache(limit=1000)
        for name in keys + others:
            local.put(name, name, ttl=60)
        expected = {k for k in keys + others if fnmatch.fnmatchcase(k, glob)}
        assert local.drop_matching(glob) == len(expected), glob
        assert {k for k in keys + others if local.get(k) == k} == set(keys + others) - expected, glob
        # the listings hold what is kept, nothing more
        listed = set().union(*local._listed.values()) if local._listed else set()
        assert listed == {k for k in keys if local.get(k) == k and (":h-:" not in k or ":u-:" not in k)}
        kept = collections.Counter(k.split(":")[0] for k in keys + others if local.get(k) == k)
        assert local._kept == dict(kept), glob

    local = LocalCache(limit=4)
    household_1 = [make_key("rendered", {"x": n}, 1, None) for n in range(6)]
    for name in household_1:
        local.put(name, name, ttl=60)
    local.put(household_1[-1], "again", ttl=60)  # replaced: listed once
    assert local._listed == {"h1": set(household_1[2:])}  # the two oldest pushed out, unlisted
    local.drop(household_1[2])
    assert local.drop_matching(pattern("rendered", 1)) == 3
    assert local._listed == {} and local._kept == {} and len(local) == 0
