"""Prometheus exposition with prometheus_client, correct under several gunicorn workers.

gunicorn.conf.py points ``PROMETHEUS_MULTIPROC_DIR`` at a folder it empties on
start and marks dead workers in it; every worker writes its samples there and
``/metrics`` collects them all. Without that variable (one process), the
default registry is used.
"""

from __future__ import annotations

import os
import threading

BUCKETS_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

_created: dict[str, object] = {}
_lock = threading.Lock()
# prometheus_client holds a lock of a metric while it finds a label's child, adds to a value or collects.
# A job forked (the embedded default's background runs) while another thread held one would wait for
# ever at its first timing; so a fork waits for the observation in flight, and none starts during it (as
# dashboard/forksafe.py does for SQLite statements).
OBSERVING = threading.Lock()
os.register_at_fork(
    before=OBSERVING.acquire, after_in_parent=OBSERVING.release, after_in_child=OBSERVING.release
)


def _instruments():
    """The process's metric objects, created once (the registry refuses duplicates)."""
    if _created:
        return _created
    with _lock:
        if not _created:
            from prometheus_client import Counter, Histogram

            _created["duration"] = Histogram(
                "meridian_operation_duration_seconds",
                "Duration of timed operations",
                ["operation"],
                buckets=BUCKETS_SECONDS,
            )
            _created["errors"] = Counter(
                "meridian_operation_errors_total", "Timed operations that raised", ["operation"]
            )
            _created["slow"] = Counter(
                "meridian_slow_operations_total", "Operations over their threshold", ["operation"]
            )
            _created["events"] = Counter(
                "meridian_events_total", "Counted events (cache hits, misses, ...)", ["event"]
            )
        return _created


class PrometheusMetrics:
    """What the metrics store records, in the process's instruments. Each (instrument, name)'s labelled
    child is found once and kept (prometheus_client's own advice: ``labels`` takes the metric's lock and
    looks the child up; a child's value notices a fork itself). Names are the store's, which caps them."""

    def __init__(self) -> None:
        self._children: dict[tuple[str, str], object] = {}

    def _child(self, instrument: str, name: str):
        found = self._children.get((instrument, name))
        if found is None:
            found = self._children[instrument, name] = _instruments()[instrument].labels(name)
        return found

    def observe(self, name: str, milliseconds: float, slow: bool, error: bool) -> None:
        with OBSERVING:
            self._child("duration", name).observe(milliseconds / 1000.0)
            if slow:
                self._child("slow", name).inc()
            if error:
                self._child("errors", name).inc()

    def count(self, name: str, n: int = 1) -> None:
        with OBSERVING:
            self._child("events", name).inc(n)

    def reset_note(self) -> None:
        """Prometheus counters are monotonic by design: a metrics reset does not rewind them."""


def exposition() -> tuple[bytes, str]:
    """The text exposition of every worker's metrics, and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    with OBSERVING:
        _instruments()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
