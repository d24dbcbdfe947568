"""The background-callback manager, chosen in one place.

Celery on Redis when ``REDIS_URL`` is set (jobs run in ``worker`` processes,
possibly on other hosts); otherwise diskcache in the instance folder, which
runs jobs in subprocesses of the web worker (the embedded default).
"""

from __future__ import annotations

from dashboard.extensions import db
from dashboard.settings import Settings

# Results of finished jobs are kept this long for the browser to collect.
RESULT_EXPIRY_SECONDS = 60 * 60


def create_manager(server, settings: Settings):
    """The manager for ``server``'s app; every job runs inside that app's context (its database, cache, metrics)."""
    if settings.redis_url:
        from celery import Celery, Task
        from dash import CeleryManager

        class AppContextTask(Task):
            def __call__(self, *args, **kwargs):
                with server.app_context():
                    return super().__call__(*args, **kwargs)

        celery_app = Celery(
            "meridian", broker=settings.redis_url, backend=settings.redis_url, task_cls=AppContextTask
        )
        celery_app.conf.update(
            result_expires=RESULT_EXPIRY_SECONDS,
            broker_connection_retry_on_startup=True,
            task_acks_late=True,
            worker_prefetch_multiplier=1,
            task_track_started=True,  # a running job says so (STARTED), one still queued stays PENDING
        )
        return _job_manager(CeleryManager)(celery_app, expire=RESULT_EXPIRY_SECONDS)

    import diskcache
    from dash import DiskcacheManager

    folder = settings.instance_path / "background-jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(folder)), expire=RESULT_EXPIRY_SECONDS)


def in_job_process() -> None:
    """Called first in a background job: a forked job process must not use its parent's pooled connections."""
    db.dispose()


def _job_manager(celery_manager):
    """Dash's Celery manager, stopping a job only where it runs.

    Dash stops a job by revoking it with ``terminate=True`` — also right after a
    poller collected its result. That signals the worker *process* that ran the
    job, which may already be running the next analyst's job: that job dies and
    its analyst is told it "stopped before finishing". Celery's documentation
    says never to terminate programmatically for this reason. Here a finished
    job is left alone, a queued one is revoked (it will not start), and only a
    job its worker reports as running is terminated.
    """
    from celery import states

    class JobManager(celery_manager):
        def terminate_job(self, job):
            if job is None:
                return
            state = self.handle.AsyncResult(job).state
            if state in states.READY_STATES:
                return
            self.handle.control.revoke(job, terminate=state in RUNNING_STATES)

    return JobManager


# A job its worker is executing (Dash's background jobs report PROGRESS as they go).
RUNNING_STATES = frozenset({"STARTED", "PROGRESS", "RETRY"})
