"""Overhead of timing a call (decorator + store + Prometheus), amortised with the flushes to Redis."""

from __future__ import annotations

import time

from harness.tables import table

REDIS_URL = "redis://127.0.0.1:6379/13"
CALLS = 200_000
NAMES = 20


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
