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
