"""A job process forked while another thread of the web worker is inside a transaction of a SQLite-backed
store (the embedded default's job results, cache and metrics) can still write to it (dashboard/forksafe.py)."""

from __future__ import annotations

import multiprocessing
import threading

import diskcache
import pytest

from dashboard.forksafe import ForkSafeCache


def _fork_during_a_transaction(cache, seconds: float = 20) -> int | None:
    """Fork while another thread holds a transaction of ``cache`` open; the child writes to it (what the
    child of a background job does). The child's exit code, or None when it was still waiting."""
    inside, leave = threading.Event(), threading.Event()

    def hold():
        with cache.transact():
            cache.set("parent", 1)
            inside.set()
            leave.wait(0.5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(10)
    child = multiprocessing.get_context("fork").Process(target=lambda: cache.set("child", 2, retry=True))
    child.start()  # inherits the cache (as Dash's job does), with whatever the parent's threads hold
    leave.set()
    holder.join()
    return _exit_code(child, seconds)


def _exit_code(child, seconds: float) -> int | None:
    """The child's exit code, or None when it was still waiting after ``seconds`` (then it is killed)."""
    child.join(seconds)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return child.exitcode


def test_fork001_a_child_forked_during_a_transaction_writes(tmp_path):
    cache = ForkSafeCache(str(tmp_path), timeout=1)
    assert _fork_during_a_transaction(cache) == 0
    assert cache.get("child") == 2 and cache.get("parent") == 1


@pytest.mark.slow
def test_fork002_without_the_guard_such_a_child_waits_for_ever(tmp_path):
    """The failure the guard prevents: plain diskcache, the same fork, a child that never finishes."""
    assert _fork_during_a_transaction(diskcache.Cache(str(tmp_path), timeout=1), seconds=8) is None


def _fork_during_an_observation(monkeypatch, guarded: bool) -> int | None:
    """Fork while another thread is inside a Prometheus observation, holding the metric's lock (a lock
    standing for prometheus_client's own); the child then times something (what a background job does).
    The child's exit code, or None when it was still waiting."""
    from dashboard.metrics import prometheus

    lock, inside, leave = threading.Lock(), threading.Event(), threading.Event()

    class Child:
        def observe(self, _value):
            return None

        inc = observe

    class Held:  # the metric: its lock held while a label's child is found
        def labels(self, _name):
            with lock:
                if threading.current_thread().name == "holder":
                    inside.set()
                    leave.wait(0.5)
                return Child()

    monkeypatch.setattr(
        prometheus, "_created", dict.fromkeys(("duration", "errors", "slow", "events"), Held())
    )
    if not guarded:
        monkeypatch.setattr(prometheus, "OBSERVING", threading.Lock())  # one no fork waits for
    metrics = prometheus.PrometheusMetrics()
    holder = threading.Thread(target=lambda: metrics.observe("engine.risk", 1.0, False, False), name="holder")
    holder.start()
    assert inside.wait(10)
    child = multiprocessing.get_context("fork").Process(
        target=lambda: metrics.observe("engine.monte_carlo", 2.0, False, False)
    )
    child.start()
    leave.set()
    holder.join()
    return _exit_code(child, 8)


def test_fork003_a_child_forked_during_a_prometheus_observation_times_its_work(monkeypatch):
    assert _fork_during_an_observation(monkeypatch, guarded=True) == 0


def test_fork004_without_the_guard_such_a_child_waits_for_ever(monkeypatch):
    assert _fork_during_an_observation(monkeypatch, guarded=False) is None
