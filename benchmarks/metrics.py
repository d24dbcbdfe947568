"""Overhead of timing a call (decorator + store + Prometheus), amortised with the flushes to Redis; and a
summary over a window (the stats API's work) read afresh against read again with its closed minutes kept."""

from __future__ import annotations

import time

from benchmarks.common import median_ms, timings
from harness.tables import table

REDIS_URL = "redis://127.0.0.1:6379/13"
CALLS = 200_000
NAMES = 20
# the summaries: operations, each with timings in every minute of the last hour
SUMMARY_NAMES = 60


def run() -> None:
    from dashboard.metrics.prometheus import PrometheusMetrics
    from dashboard.metrics.store import MetricsStore, RedisBackend, track_operation

    rows = []
    for label, prometheus in (("store only", False), ("store + Prometheus", True)):
        store = MetricsStore()
        try:
            store.backend = RedisBackend(REDIS_URL, 1.0, prefix="bench:metrics:")
            store.backend.clear()
        except Exception as error:  # noqa: BLE001
            print(f"\nRedis unavailable ({error}); skipping the metrics overhead benchmark")
            return
        store.prometheus = PrometheusMetrics() if prometheus else None
        names = [f"callback.bench-{i}.children" for i in range(NAMES)]

        def baseline(names=names):
            started = time.perf_counter()
            for i in range(CALLS):
                names[i % NAMES]
            return time.perf_counter() - started

        def timed(names=names, store=store):
            started = time.perf_counter()
            for i in range(CALLS):
                with track_operation(names[i % NAMES], store):
                    pass
                if i % 20_000 == 0:  # the background flusher's work, done inline so it is counted
                    store.flush()
            store.flush()
            return time.perf_counter() - started

        empty = min(baseline() for _ in range(3))
        spent = min(timed() for _ in range(3))
        per_call_us = (spent - empty) / CALLS * 1e6
        stats = store.stats("all")
        assert sum(s["count"] for s in stats.values()) == 3 * CALLS
        rows.append([f"{label}, Redis backend, {NAMES} operations", per_call_us, "<= 20 µs"])
        store.backend.clear()
    table(
        f"Metrics overhead per timed call, amortised over {CALLS:,} calls incl. flushes",
        ["what", "µs", "target"],
        rows,
    )
    summaries()


def summaries() -> None:
    """A window's summary of SUMMARY_NAMES operations: every bucket read (the first summary in a worker, or
    after a late flush), against the summary again (only the open minutes read: docs/performance.md)."""
    from dashboard.metrics.sketch import Sketch
    from dashboard.metrics.store import MetricsStore, RedisBackend

    store = MetricsStore()
    store.backend = RedisBackend(REDIS_URL, 1.0, prefix="bench:summaries:")
    store.backend.clear()
    minute = int(time.time() // 60)
    batch = {}
    for i in range(SUMMARY_NAMES):
        name = f"callback.bench-{i}.children"
        store.backend.register(name, False)
        for m in range(minute - 59, minute + 1):
            sketch = batch[name, m] = Sketch()
            for value in range(1, 31):
                sketch.add(float(value * (i + 1)), False, False)
    store.backend.write(batch, {})
    rows = []
    for window in ("5m", "15m", "60m"):

        def afresh(window=window):
            store.backend._closed.clear()  # as a worker that kept nothing yet
            store.stats(window)

        first = median_ms(timings(afresh, 7))
        again = median_ms(timings(lambda window=window: store.stats(window), 7))
        rows.append([window, first, again, f"{first / again:.1f}x"])
    store.backend.clear()
    table(
        f"Summary of {SUMMARY_NAMES} operations over a window (Redis; the stats API's work)",
        ["window", "every bucket read, ms", "closed minutes kept, ms", "ratio"],
        rows,
    )
