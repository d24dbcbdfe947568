"""Metrics: sketch accuracy, the store across processes, decorators, thresholds, the JSON API and ingest."""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.metrics.sketch import Sketch
from dashboard.metrics.store import (
    MAX_BROWSER_NAMES,
    DiskBackend,
    MemoryBackend,
    MetricsStore,
    RedisBackend,
    metrics,
    track_operation,
    track_performance,
)
from tests.conftest import signed_client

API = "/api/v1/performance-metrics"


def _relative_error(estimate, truth):
    return abs(estimate - truth) / abs(truth)


@pytest.mark.parametrize("sample", ["uniform", "lognormal", "pareto"])
def test_met001_quantiles_within_one_percent_of_numpy(sample):
    rng = np.random.default_rng(1)
    values = {
        "uniform": rng.uniform(0.5, 500, 100_000),
        "lognormal": rng.lognormal(2, 1.5, 100_000),
        "pareto": (rng.pareto(1.2, 100_000) + 1) * 3,  # heavy tail
    }[sample]
    sketch = Sketch()
    for v in values:
        sketch.add(float(v))
    for q in (0.5, 0.95, 0.99):
        truth = np.quantile(values, q)
        assert _relative_error(sketch.quantile(q), truth) <= 0.0101, (q, sketch.quantile(q), truth)
    assert sketch.count == len(values)
    assert sketch.mean == pytest.approx(values.mean(), rel=1e-9)
    assert sketch.minimum == values.min() and sketch.maximum == values.max()
    assert len(sketch.buckets) < 2000  # constant memory, whatever the count


def test_met001b_a_handful_of_samples_with_an_outlier_quantiles_where_numpy_puts_them():
    """Issue 31.3: 8 samples, the largest 6,139 ms, gave p95 = p99 = 608 ms (the second largest)."""
    few = [212.0, 240.0, 251.0, 330.0, 402.0, 455.0, 608.0, 6139.0]
    sketch = Sketch()
    for v in few:
        sketch.add(v)
    for q in (0.5, 0.95, 0.99):
        truth = float(np.quantile(few, q))
        assert _relative_error(sketch.quantile(q), truth) <= 0.0101, (q, sketch.quantile(q), truth)
    assert sketch.quantile(0.99) > 5000 and sketch.quantile(1.0) == 6139.0 and sketch.quantile(0.0) == 212.0
    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 5, 8, 13, 21, 50, 200, 5000):
        values = rng.lognormal(5, 0.5, n)
        values[rng.integers(n)] *= 30  # one outlier
        sketch = Sketch()
        for v in values:
            sketch.add(float(v))
        for q in (0.0, 0.5, 0.9, 0.95, 0.99, 1.0):
            truth = float(np.quantile(values, q))
            assert _relative_error(sketch.quantile(q), truth) <= 0.0101, (n, q, sketch.quantile(q), truth)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.floats(1e-3, 1e6), min_size=2, max_size=300),
    st.lists(st.floats(1e-3, 1e6), min_size=1, max_size=300),
)
def test_met002_merging_equals_one_sketch_of_everything(a, b):
    left, right, whole = Sketch(), Sketch(), Sketch()
    for v in a:
        left.add(v)
        whole.add(v)
    for v in b:
        right.add(v)
        whole.add(v)
    merged = left.merge(right)
    assert merged.buckets == whole.buckets and merged.count == whole.count
    assert Sketch.from_fields(merged.to_fields()).summary() == merged.summary()


def _store(kind, tmp_path, redis_url=None) -> MetricsStore:
    store = MetricsStore()
    store.backend = {"memory": MemoryBackend, "local": lambda: DiskBackend(str(tmp_path / "m"))}.get(
        kind, lambda: RedisBackend(redis_url, 0.5, prefix=f"test:{tmp_path.name}:")
    )()
    store.backend.clear()
    return store


@pytest.fixture(params=["memory", "local", "redis"])
def store(request, tmp_path):
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    return _store(request.param, tmp_path, url)


def test_met003_decorator_and_context_manager_sync_and_async(store, monkeypatch):
    monkeypatch.setattr("dashboard.metrics.store.metrics", store)

    @track_performance("engine.sync")
    def work(x):
        return x * 2

    @track_performance("engine.async")
    async def awork(x):
        await asyncio.sleep(0)
        return x + 1

    assert work(2) == 4 and asyncio.run(awork(1)) == 2
    with track_operation("engine.block"):
        pass

    async def block():
        async with track_operation("engine.ablock"):
            await asyncio.sleep(0)

    asyncio.run(block())
    with pytest.raises(ZeroDivisionError), track_operation("engine.fails"):
        1 / 0  # noqa: B018
    stats = store.stats("all")
    assert {
        n: stats[n]["count"] for n in ("engine.sync", "engine.async", "engine.block", "engine.ablock")
    } == dict.fromkeys(("engine.sync", "engine.async", "engine.block", "engine.ablock"), 1)
    assert stats["engine.fails"]["errors"] == 1


def test_met004_thresholds_log_once_and_count_every_slow_event(store, caplog):
    store.thresholds = {"engine.": 10.0, "engine.optimisation": 100.0}
    with caplog.at_level(logging.WARNING, logger="meridian.metrics"):
        for _ in range(5):
            store.record("engine.optimisation", 150.0)
        store.record("engine.optimisation", 50.0)
        store.record("engine.other", 50.0)
    stats = store.stats("1m")
    assert stats["engine.optimisation"]["slow"] == 5 and stats["engine.other"]["slow"] == 1
    assert len([r for r in caplog.records if "engine.optimisation" in r.getMessage()]) == 1


def test_met005_windows_and_counters(store):
    store.record("callback.x.children", 5.0)
    store.count("cache.risk.hits", 3)
    assert store.stats("1m")["callback.x.children"]["count"] == 1
    assert store.stats("60m")["callback.x.children"]["count"] == 1
    assert store.counters()["cache.risk.hits"] == 3
    with pytest.raises(ValueError):
        store.stats("2h")


def test_met005b_a_recent_summary_is_served_again_only_when_asked_and_not_after_a_clients_write(store):
    store.record("op.cached", 10.0)
    first = store.stats("all", max_age=60)
    store.record("op.cached", 30.0)
    assert store.stats("all", max_age=60) == first  # dashboards polling within max_age: the same summary
    assert store.stats("all")["op.cached"]["count"] == 2  # max_age 0 (the default): fresh
    store.record("op.cached", 50.0)
    assert store.stats("all", max_age=60)["op.cached"]["count"] == 2  # the fresh one above, kept
    store.forget_recent()  # a client's own timings arrived
    assert store.stats("all", max_age=60)["op.cached"]["count"] == 3


def test_met006_browser_names_are_capped(store):
    accepted = sum(
        store.record(f"render.component-{i}", 1.0, browser=True) for i in range(MAX_BROWSER_NAMES + 25)
    )
    assert accepted == MAX_BROWSER_NAMES
    assert store.record("callback.from-code.children", 1.0)  # code names are still welcome
    assert not store.record("bad name with spaces", 1.0)


def _write_from_process(kind, path, redis_url, n):
    store = MetricsStore()
    store.backend = (
        DiskBackend(str(path / "m"))
        if kind == "local"
        else RedisBackend(redis_url, 0.5, prefix=f"test:{path.name}:")
    )
    for i in range(n):
        store.record("callback.shared.children", float(i % 50 + 1))
    store.flush()


@pytest.mark.parametrize("kind", ["local", "redis"])
def test_met007_workers_aggregate_in_the_shared_backend(kind, tmp_path, request):
    url = request.getfixturevalue("redis_url") if kind == "redis" else None
    reader = _store(kind, tmp_path, url)
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_write_from_process, args=(kind, tmp_path, url, 500)) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert all(w.exitcode == 0 for w in workers)
    stats = reader.stats("all")["callback.shared.children"]
    assert stats["count"] == 1500 and stats["min"] == 1.0 and stats["max"] == 50.0
    truth = float(np.quantile([float(i % 50 + 1) for i in range(500)] * 3, 0.5))  # 25.5: numpy's default
    assert _relative_error(stats["p50"], truth) <= 0.0101


# -- the JSON API ------------------------------------------------------------------------------


@pytest.fixture
def client(app):
    return signed_client(app)


def test_met008_stats_report_operation_and_health_contracts(client):
    for _ in range(3):
        client.get("/_dash-layout")
    metrics.record("callback.overview-content.children", 12.0)
    metrics.count("cache.optimisation.hits", 2)
    metrics.count("cache.optimisation.misses", 1)
    body = client.get(f"{API}/stats?window=5m").get_json()
    assert body["window"] == "5m"
    op = body["operations"]["callback.overview-content.children"]
    assert set(op) >= {"count", "mean", "min", "max", "p50", "p95", "p99", "errors", "slow", "threshold_ms"}
    assert client.get(f"{API}/stats?window=forever").status_code == 400
    report = client.get(f"{API}/report").get_json()
    assert report["cache"]["operations"]["optimisation"]["hit_rate"] == pytest.approx(2 / 3)
    assert {"slowest", "slow_operations", "web_vitals", "slowest_components", "totals"} <= set(report)
    detail = client.get(f"{API}/operation/callback.overview-content.children").get_json()
    assert set(detail["windows"]) == {"1m", "5m", "15m", "60m", "1h", "24h", "all"}
    assert len(detail["series"]["points"]) == 60 and detail["series"]["points"][-1]["count"] >= 1
    day = client.get(f"{API}/operation/callback.overview-content.children?series=24h").get_json()
    assert len(day["series"]["points"]) == 24 and day["windows"]["24h"]["count"] >= 1
    assert client.get(f"{API}/operation/callback.overview-content.children?series=all").status_code == 400
    assert client.get(f"{API}/operation/no.such.thing").status_code == 404
    health = client.get(f"{API}/health")
    assert health.status_code == 200
    assert set(health.get_json()) >= {
        "status",
        "uptime_seconds",
        "slow_operations_count",
        "redis",
        "database",
        "timestamp",
    }
    assert health.get_json()["database"] == "ok" and health.get_json()["redis"] == "not configured"


def test_met009_reset_needs_the_token(seeded_settings, make_app):
    app = make_app(seeded_settings.replace(metrics_token="s3cret-token-value"))
    client = signed_client(app)
    with app.server.app_context():
        assert metrics.record("callback.a.children", 1.0)
    assert client.post(f"{API}/reset").status_code == 403
    assert client.post(f"{API}/reset", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get(f"{API}/stats").get_json()["operations"]
    ok = client.post(f"{API}/reset", headers={"Authorization": "Bearer s3cret-token-value"})
    assert ok.status_code == 200
    assert client.get(f"{API}/stats").get_json()["operations"] == {}
    unset = signed_client(make_app(seeded_settings))
    assert unset.post(f"{API}/reset", headers={"Authorization": "Bearer "}).status_code == 403


def _beacon(client, body, raw=None):
    data = raw if raw is not None else json.dumps(body)
    return client.post(f"{API}/web-vitals", data=data, content_type="application/json")


def test_met010_ingest_stores_valid_beacons_with_server_side_ratings(client):
    response = _beacon(
        client,
        {
            "page": "/risk",
            "vitals": [{"name": "LCP", "value": 900.0, "rating": "poor"}, {"name": "CLS", "value": 0.3}],
            "renders": [{"component": "risk-drawdown", "duration_ms": 120.5}],
        },
    )
    assert response.status_code == 202
    stats = client.get(f"{API}/stats").get_json()
    assert stats["operations"]["web_vitals.risk.LCP"]["count"] == 1
    assert stats["operations"]["render.risk.risk-drawdown"]["max"] == pytest.approx(120.5)
    assert stats["counters"]["web_vitals.risk.LCP.good"] == 1  # the client's "poor" is not trusted
    assert stats["counters"]["web_vitals.risk.CLS.poor"] == 1
    _beacon(client, {"page": "/no/such/page", "vitals": [{"name": "FCP", "value": 10}]})
    assert "web_vitals.other.FCP" in client.get(f"{API}/stats").get_json()["operations"]


@pytest.mark.parametrize(
    "body,raw,status",
    [
        (None, '{"page": "/", "vitals": [{"name": "LCP", "value": NaN}]}', 400),
        (None, '{"page": "/", "vitals": [{"name": "LCP", "value": Infinity}]}', 400),
        (None, "not json", 400),
        (None, "[1, 2]", 400),
        ({"page": 5}, None, 400),
        ({"page": "/", "vitals": "LCP"}, None, 400),
        ({"page": "/", "vitals": [{"name": "LCP", "value": "fast"}]}, None, 400),
        ({"page": "/", "vitals": [{"name": "SPEED", "value": 1}]}, None, 400),
        ({"page": "/", "vitals": [{"name": "LCP", "value": -5}]}, None, 400),
        ({"page": "/", "vitals": [{"name": "LCP", "value": True}]}, None, 400),
        ({"page": "/", "renders": [{"component": "<script>", "duration_ms": 1}]}, None, 400),
        ({"page": "/", "renders": [{"component": "x", "duration_ms": 1e12}]}, None, 400),
        ({"page": "/", "extra": 1}, None, 400),
        ({"page": "/", "vitals": [{"name": "LCP", "value": 1}] * 51}, None, 400),
        (None, '{"page": "/", "pad": "' + "x" * 20_000 + '"}', 413),
    ],
)
def test_met011_bad_beacons_are_refused_and_nothing_is_stored(client, body, raw, status):
    before = client.get(f"{API}/stats").get_json()
    # a valid measurement in the same beacon must not be stored either
    if body is not None and isinstance(body, dict) and "renders" not in body:
        body = {**body, "renders": [{"component": "valid-one", "duration_ms": 5}]}
    response = _beacon(client, body, raw)
    assert response.status_code == status
    assert "error" in response.get_json()
    after = client.get(f"{API}/stats").get_json()

    def browser(stats):  # what beacons store (the requests themselves are timed and counted apart)
        names = ("web_vitals.", "render.")
        return (
            {k: v for k, v in stats["operations"].items() if k.startswith(names)},
            {k: v for k, v in stats["counters"].items() if k.startswith(names)},
        )

    assert browser(after) == browser(before)


def test_met012_a_flood_of_names_folds_into_one_bucket(client):
    before = set(client.get(f"{API}/stats").get_json()["operations"])
    for start in range(0, 1000, 100):
        renders = [{"component": f"c-{i}", "duration_ms": 1} for i in range(start, start + 100)]
        for page in ("/", "/risk", f"/made-up-{start}"):
            assert _beacon(client, {"page": page, "renders": renders}).status_code == 202
    after = set(client.get(f"{API}/stats").get_json()["operations"])
    assert after - before == {"render.other.other"}  # 3,000 made-up names, one bucket
    assert client.get(f"{API}/stats").get_json()["operations"]["render.other.other"]["count"] == 3000


def test_met013_prometheus_exposition(client):
    metrics.record("callback.prom.children", 3.0)
    body = client.get("/metrics").get_data(as_text=True)
    assert 'meridian_operation_duration_seconds_count{operation="callback.prom.children"}' in body


class _CountingPipeline:
    """A Redis pipeline that counts the buckets it is asked to read (``hgetall``)."""

    def __init__(self, pipe, counts: list[int]):
        self._pipe, self._counts = pipe, counts

    def hgetall(self, key):
        self._counts[0] += 1
        return self._pipe.hgetall(key)

    def __getattr__(self, name):
        return getattr(self._pipe, name)


def _summaries(sketches: dict) -> dict:
    """Each name's summary, its mean rounded (merged in another order, a float sum may differ in its last
    bit); every other figure exact."""
    return {
        name: {**s.summary(), "mean": None if not s.count else round(s.summary()["mean"], 9)}
        for name, s in sketches.items()
    }


def test_met014_a_windows_closed_minutes_are_read_once_per_worker_until_a_late_flush_marks_them(
    redis_url, tmp_path
):
    """The Redis backend keeps its merges of buckets closed (their last minute more than CLOSED_MINUTES
    ago), by the store's mark: every read equals the memory backend's read of the same writes (the
    reference), and reads every bucket only when the window moved, a late flush (a batch's minute more
    than LATE_MINUTES old) or a reset marked the store, or Redis lost the mark (emptied)."""
    from dashboard.metrics.store import CLOSED_MINUTES, LATE_MINUTES, window_buckets

    now = [29_000_000]  # minutes
    prefix = f"test:{tmp_path.name}:"
    workers = [RedisBackend(redis_url, 0.5, prefix=prefix) for _ in range(2)]
    for backend in workers:
        backend.clock = lambda: now[0] * 60 + 30
    workers[0].clear()
    reference = MemoryBackend()
    rng = np.random.default_rng(14)
    names = ["callback.a.children", "callback.b.figure"]

    def write(minutes, by=1):
        batch = {}
        for name in names:
            for minute in minutes:
                sketch = Sketch()
                for value in rng.lognormal(3, 1, size=int(rng.integers(1, 20))):
                    sketch.add(float(value), error=bool(rng.random() < 0.1), slow=bool(value > 60))
                batch[name, minute] = sketch
        workers[by].write(batch, {})
        reference.write(batch, {})

    reads = [0]
    original = workers[0].client.pipeline
    workers[0].client.pipeline = lambda **kw: _CountingPipeline(original(**kw), reads)

    def read(window="15m"):
        """workers[0]'s read of ``window`` (checked against the reference's), and how many buckets it read."""
        reads[0] = 0
        buckets = window_buckets(window, now=now[0] * 60 + 30)
        found = workers[0].read(names, buckets)
        assert _summaries(found) == _summaries(reference.read(names, buckets))
        assert all(found[name].count for name in names)
        return reads[0]

    write(range(now[0] - 20, now[0] + 1))
    open_minutes = CLOSED_MINUTES + 1  # this minute and the CLOSED_MINUTES before it
    assert read() == 15 * len(names)  # every bucket, the first time
    assert read() == open_minutes * len(names)  # then the open ones only
    assert read("60m") == 60 * len(names) and read("60m") == open_minutes * len(names)
    assert read("24h") == 24 * len(names) and read("24h") == 1 * len(names)  # this hour's bucket open

    write([now[0], now[0] - LATE_MINUTES])  # on time (this minute, the one before): no mark
    assert read() == open_minutes * len(names)
    write([now[0] - LATE_MINUTES - 5], by=1)  # late (another worker's, after an outage): marked
    assert read() == 15 * len(names)
    assert read() == open_minutes * len(names)

    now[0] += 1  # the window moved: its closed buckets are others
    assert read() == 15 * len(names)
    assert read() == open_minutes * len(names)

    # Redis emptied (restarted without its data): nothing is served from before
    for key in workers[1].client.scan_iter(match=f"{prefix}*"):
        workers[1].client.unlink(key)
    reference = MemoryBackend()
    write([now[0] - 9, now[0]])
    assert read() == 15 * len(names)

    workers[1].clear()  # a reset (another worker's)
    reference = MemoryBackend()
    write([now[0] - 3, now[0]])
    assert read() == 15 * len(names)
