"""Background jobs on Celery: stopping one job never signals a worker process that may be running another.

Dash's Celery manager stops a job with ``revoke(terminate=True)``, also right after a poller collected
its result. That signals the process that ran the job, which may by then run the next analyst's job,
so that job dies and its analyst reads "stopped before finishing" (seen under load: one background run
in a few dozen). Job states live in the real Redis result backend here; only the broadcast to the
workers is recorded instead of sent, since the race it prevents cannot be caused on demand.
"""

from __future__ import annotations

import flask
import pytest
from dash import CeleryManager

from dashboard.background import create_manager

pytestmark = pytest.mark.redis


def test_cj001_a_job_is_terminated_only_while_its_worker_runs_it(redis_url, settings):
    manager = create_manager(flask.Flask(__name__), settings.replace(redis_url=redis_url))
    celery_app = manager.handle
    sent = []
    celery_app.control.revoke = lambda job, terminate=False, **_: sent.append((job, terminate))
    backend = celery_app.backend
    backend.store_result("finished-job", {"done": True}, "SUCCESS")
    backend.store_result("failed-job", None, "FAILURE")
    backend.store_result("running-job", None, "STARTED")
    backend.store_result("reporting-job", {"progress": 1}, "PROGRESS")
    for job in ("finished-job", "failed-job", "running-job", "reporting-job", "queued-job", None):
        manager.terminate_job(job)
    # finished: left alone; running: terminated; queued (unknown to the backend: PENDING): only revoked
    assert sent == [("running-job", True), ("reporting-job", True), ("queued-job", False)]
    assert celery_app.conf.task_track_started  # a running job reports STARTED, or it would look queued
    # Dash's own manager would have signalled the process behind the finished job
    sent.clear()
    CeleryManager.terminate_job(manager, "finished-job")
    assert sent == [("finished-job", True)]


def test_cj002_a_job_finishing_between_the_two_looks_of_a_poll_keeps_its_result(
    redis_url, settings, tmp_path
):
    """A poll looks for the result, then asks whether the job runs: a job that stores its result and
    finishes in between was reported as ended without a result. Its result is collected instead."""
    import json

    manager = create_manager(flask.Flask(__name__), settings.replace(redis_url=redis_url))
    backend = manager.handle.backend
    assert manager.get_result("result-key", "late-job") is manager.UNDEFINED  # first look: not there yet
    backend.set("result-key", json.dumps(["the panel", None]))  # the job stores its result...
    backend.store_result("late-job", None, "SUCCESS")  # ...and finishes
    assert manager.job_running("late-job")  # second look: not "ended without a result"
    assert manager.get_result("result-key", "late-job") == ["the panel", None]  # the next poll has it
    # a job that really ended without a result still ends
    backend.store_result("dead-job", None, "FAILURE")
    assert manager.get_result("other-key", "dead-job") is manager.UNDEFINED
    assert not manager.job_running("dead-job")

    # the embedded manager (job processes on this machine) has the same look-then-look race
    import psutil

    local = create_manager(flask.Flask(__name__), settings)
    gone = next(pid for pid in range(3_999_999, 3_900_000, -1) if not psutil.pid_exists(pid))  # an ended job
    assert local.get_result("local-key", gone) is local.UNDEFINED
    local.handle.set("local-key", ["local panel", None])
    assert local.job_running(gone)
    assert local.get_result("local-key", gone) == ["local panel", None]
    assert not local.job_running(gone)  # and once collected, it has ended


def test_cj003_collecting_a_result_never_signals_the_worker_process(redis_url, settings):
    """The job stored its result but its state still says STARTED (the moment before Celery records
    SUCCESS): Dash's stop after collecting the result must not signal the process, whose next job it
    would kill. A running job with no result is still stopped when asked."""
    import json

    manager = create_manager(flask.Flask(__name__), settings.replace(redis_url=redis_url))
    sent = []
    manager.handle.control.revoke = lambda job, terminate=False, **_: sent.append((job, terminate))
    backend = manager.handle.backend
    backend.store_result("finishing-job", None, "STARTED")
    backend.set("finishing-key", json.dumps(["the panel", None]))
    assert manager.get_result("finishing-key", "finishing-job") == ["the panel", None]
    manager.terminate_job("finishing-job")  # what Dash does next in the same request
    assert sent == []
    backend.store_result("busy-job", None, "STARTED")
    assert manager.get_result("busy-key", "busy-job") is manager.UNDEFINED
    manager.terminate_job("busy-job")  # cancel: it has no result, it runs: stopped
    assert sent == [("busy-job", True)]


@pytest.mark.parametrize("finished_after", [1, 2, 3])
def test_cj004_a_job_finishing_while_its_liveness_is_read_is_still_running(
    redis_url, settings, finished_after
):
    """A poll asks whether a job runs: its state (STARTED), then which worker runs it. Read in separate
    looks, a job finishing in between read as STARTED with no worker (its result, None, in place of what
    it said), and the poll failed: the analyst saw an error alert instead of the result (seen under load:
    about one background run in a hundred). Whichever look of its state the job finishes after (caused
    here by the backend's reads), the poll says it runs, and the next poll collects the result."""
    import json

    from dashboard.background import HEARTBEAT_KEY, WORKERS_KEY, beat_once

    manager = create_manager(flask.Flask(__name__), settings.replace(redis_url=redis_url))
    backend = manager.handle.backend
    client = backend.client
    beat_once(client, "celery@racing", {"pid": 1, "concurrency": 1})
    job, key = f"racing-job-{finished_after}", f"racing-key-{finished_after}"
    backend.store_result(job, {"pid": 1, "hostname": "celery@racing"}, "STARTED")
    task_key = backend.get_key_for_task(job)
    read, looks = client.get, []

    def finish():
        backend.set(key, json.dumps(["the panel", None]))
        backend.store_result(job, None, "SUCCESS")

    def finishing_after_a_look(name):
        value = read(name)
        if name == task_key and len(looks) < finished_after:
            looks.append(name)
            if len(looks) == finished_after:  # the job stores its result and finishes right after this look
                finish()
        return value

    client.get = finishing_after_a_look
    try:
        assert manager.get_result(key, job) is manager.UNDEFINED  # not there yet
        assert manager.job_running(job)  # running (or just finished with its result): not ended
    finally:
        client.get = read
    if len(looks) < finished_after:  # the poll looked fewer times: the job finishes after it
        finish()
    assert manager.get_result(key, job) == ["the panel", None]  # the next poll has it
    client.delete(HEARTBEAT_KEY + "celery@racing")
    client.zrem(WORKERS_KEY, "celery@racing")


def test_cj005_who_is_alive_is_read_from_the_directory_and_the_keys_never_a_scan(redis_url, monkeypatch):
    """The web side reads the workers' directory and their keys (two round trips however large the
    store); a worker whose key expired (killed: no goodbye) is not alive though still listed."""
    import time

    import redis

    from dashboard.background import HEARTBEAT_KEY, WORKERS_KEY, beat_once, live_workers_of

    client = redis.Redis.from_url(redis_url)
    client.delete(WORKERS_KEY)
    client.mset({f"meridian:other:{n}": "x" for n in range(2000)})  # a store with other keys in it
    beat_once(client, "celery@one", {"pid": 1, "concurrency": 2})
    beat_once(client, "celery@two", {"pid": 2, "concurrency": 1})
    monkeypatch.setattr(client, "scan_iter", lambda *a, **k: pytest.fail("a scan of the whole store"))
    assert live_workers_of(client) == {
        "celery@one": {"pid": 1, "concurrency": 2},
        "celery@two": {"pid": 2, "concurrency": 1},
    }
    client.pexpire(HEARTBEAT_KEY + "celery@two", 50)  # as if it stopped beating HEARTBEAT_TTL ago
    time.sleep(0.2)
    assert set(live_workers_of(client)) == {"celery@one"}
    assert client.zscore(WORKERS_KEY, "celery@two") is not None  # listed, and not alive
    client.delete(WORKERS_KEY, HEARTBEAT_KEY + "celery@one")
    assert live_workers_of(client) == {}
