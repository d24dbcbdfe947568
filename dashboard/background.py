"""The background-callback manager, chosen in one place.

Celery on Redis when ``REDIS_URL`` is set (jobs run in ``worker`` processes,
possibly on other hosts); otherwise diskcache in the instance folder, which
runs jobs in subprocesses of the web worker (the embedded default).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time

from dashboard import outage
from dashboard.extensions import db
from dashboard.settings import Settings

log = logging.getLogger("meridian.background")

# Results of finished jobs are kept this long for the browser to collect.
RESULT_EXPIRY_SECONDS = 60 * 60
# Every Celery worker says it is alive this often, in a key that expires if it stops saying so.
HEARTBEAT_KEY = "meridian:celery-worker:"
# Every worker that beat in the last day, by hostname (a sorted set by its last beat): the web side reads
# it and the workers' own keys, two round trips however large the store, where a SCAN for the keys
# walked all of it. Who is alive is still decided by Redis: a worker's key expires.
WORKERS_KEY = "meridian:celery-workers"
WORKERS_KEPT_SECONDS = 24 * 60 * 60
HEARTBEAT_SECONDS = 2.0
HEARTBEAT_TTL = 15  # seconds: a worker silent this long (killed, hung, host gone) is taken for dead (a busy
# machine can delay a heartbeat by seconds: a live worker must never be taken for dead)
QUEUED_KEY = "meridian:job-queued:"
# A queued job that no live worker can take is ended after this long (the analyst is told at once when
# no worker is alive as the job is asked for; this covers the last worker dying while it waits).
QUEUED_GRACE_SECONDS = 8.0
LIVE_MEMO_SECONDS = 1.0  # web workers read who is alive at most this often (browsers poll every 400 ms)
JOB_REDIS_TIMEOUT = 1.0  # seconds a job's Redis call may wait (queueing, polling, the health report)


class NoWorker(RuntimeError):
    """No background worker is alive to take a job."""


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
            # a hung Redis must not hold a web thread for long (job polls, the health report)
            redis_socket_timeout=JOB_REDIS_TIMEOUT,
            redis_socket_connect_timeout=JOB_REDIS_TIMEOUT,
            broker_transport_options={
                "socket_timeout": JOB_REDIS_TIMEOUT,
                "socket_connect_timeout": JOB_REDIS_TIMEOUT,
            },
        )
        return _job_manager(CeleryManager)(celery_app, expire=RESULT_EXPIRY_SECONDS)

    from dash import DiskcacheManager

    from dashboard.forksafe import ForkSafeCache

    folder = settings.instance_path / "background-jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return _late_results(DiskcacheManager)(ForkSafeCache(str(folder)), expire=RESULT_EXPIRY_SECONDS)


def _late_results(manager):
    """Dash's manager, without a race that loses a finished job's result.

    A poll asks for the job's result, then whether the job still runs. A job that
    stores its result and finishes between those two looks is reported as ended
    without a result (the page: "stopped before finishing"), though its result is
    there; on a busy machine about one background run in a few dozen. Here a job
    found finished right after its result was missing still counts as running if
    its result is there now, and the next poll collects it.
    """

    class CollectsLateResults(manager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._awaiting: dict[str, str] = {}  # job -> its result key, between those two looks

        def get_result(self, key, job):
            result = super().get_result(key, job)
            if result is self.UNDEFINED and job is not None:
                self._awaiting[str(job)] = key
            return result

        def job_running(self, job):
            key = self._awaiting.pop(str(job), None)
            if super().job_running(job):
                return True
            return key is not None and self.result_ready(key)

    return CollectsLateResults


def cancelled(clicks, job) -> bool:
    """Whether a job's Cancel button was clicked since the job started (``job`` keeps its clicks then).

    A cancelled job ends without a result, so the page hears of it twice at once: the click, and the job's
    end. Answered from the clicks, both say "cancelled" whichever arrives first (answered from which of
    the two fired, an end arriving first said the job's process had died)."""
    started = job.get("cancels") if isinstance(job, dict) else None
    return isinstance(clicks, int) and clicks > (started if isinstance(started, int) else 0)


def ensure_worker() -> None:
    """Before a job is queued: NoWorker if this app's jobs run on Celery and no worker is alive."""
    import flask

    manager = flask.current_app.extensions["meridian.background"]
    if hasattr(manager, "require_worker"):
        manager.require_worker()


def in_job_process() -> None:
    """Called first in a background job: a forked job process must not use its parent's pooled connections,
    nor wait on a lock another thread of the parent held at the fork (the cache's, the market version's,
    the metrics store's: such a lock is never released in the child)."""
    global _forked_pid
    from dashboard.extensions import cache, metrics

    db.dispose()
    if (
        _forked_pid != os.getpid()
    ):  # once per process (a Celery child runs many jobs; its threads are its own)
        _forked_pid = os.getpid()
        cache.after_fork()
        metrics.after_fork()


_forked_pid = os.getpid()  # the process whose locks are known to be its own


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

    class JobManager(_late_results(celery_manager)):
        _live: tuple[float, dict] = (-1e9, {})
        _delivering = threading.local()  # the job whose result this thread's poll just collected

        def get_result(self, key, job):
            self._delivering.job = str(job)
            result = super().get_result(key, job)
            if result is self.UNDEFINED:
                self._delivering.job = None
            return result

        def terminate_job(self, job):
            # Dash stops a job right after its poll collected the result: the job has stored it, but its
            # state may still say STARTED for a moment, and a signal then hits the worker process's next
            # job (its analyst read "stopped before finishing"). A job whose result was collected is left.
            if job is None or getattr(self._delivering, "job", None) == str(job):
                return
            state = self.handle.AsyncResult(job).state
            if state in states.READY_STATES:
                return
            self.handle.control.revoke(job, terminate=state in RUNNING_STATES)

        # -- liveness: a job nobody can finish ends (the page says so), never an endless spinner ----

        def live_workers(self) -> dict[str, dict]:
            """Workers whose heartbeat is current: hostname -> what it said (pid, concurrency, when)."""
            seen, found = self._live
            if time.monotonic() - seen < LIVE_MEMO_SECONDS:
                return found
            found = live_workers(self.handle)
            self._live = (time.monotonic(), found)
            return found

        def require_worker(self) -> None:
            if not self.live_workers():
                raise NoWorker("no background worker is running")

        def call_job_fn(self, key, job_fn, args, context):
            job = super().call_job_fn(key, job_fn, args, context)
            self.handle.backend.client.set(QUEUED_KEY + str(job), time.time(), ex=RESULT_EXPIRY_SECONDS)
            return job

        def job_running(self, job):
            if not super().job_running(job):
                return False
            # the job's state and what it said (its worker) in one read: read twice, a job finishing in
            # between reads as running with no worker (its result, None, in place of what it said)
            meta = self.handle.backend.get_task_meta(job)
            state = meta.get("status")
            if state in states.READY_STATES:  # finished, its result just stored: the next poll collects it
                return True
            live = self.live_workers()
            if state in RUNNING_STATES:
                said = meta.get("result")
                host = said.get("hostname") if isinstance(said, dict) else None
                if (host and host not in live) or not live:
                    log.warning("background job %s ended: its worker %s stopped", job, host or "")
                    self.handle.control.revoke(job)  # if its message comes back, it is not run again
                    self.handle.backend.mark_as_failure(job, RuntimeError("its worker stopped"))
                    return False
                return True
            # queued (PENDING): ended if no live worker has taken it after the grace period
            queued = self.handle.backend.client.get(QUEUED_KEY + str(job))
            waited = time.time() - float(queued) if queued else 0.0
            if not live and waited > QUEUED_GRACE_SECONDS:
                log.warning("background job %s ended: no worker took it in %.0f s", job, waited)
                self.handle.control.revoke(job)
                self.handle.backend.mark_as_revoked(job, reason="no live worker")
                return False
            return True

    return JobManager


def live_workers(celery_app) -> dict[str, dict]:
    """The Celery workers whose heartbeat has not expired (read from the result backend's Redis)."""
    return live_workers_of(celery_app.backend.client)


def live_workers_of(client) -> dict[str, dict]:
    """Hostname -> what it said, of each worker in the directory whose heartbeat key is still there."""
    names = [n.decode() if isinstance(n, bytes) else n for n in client.zrange(WORKERS_KEY, 0, -1)]
    if not names:
        return {}
    said = client.mget([HEARTBEAT_KEY + name for name in names])
    return {name: json.loads(raw) for name, raw in zip(names, said, strict=True) if raw}


def beat_once(client, hostname: str, said: dict) -> None:
    """One heartbeat of worker ``hostname``: its key (what it says, expiring after ``HEARTBEAT_TTL``) and
    its name in the directory, together; names not heard of for a day leave the directory."""
    now = time.time()
    with client.pipeline(transaction=True) as pipe:
        pipe.set(HEARTBEAT_KEY + hostname, json.dumps(said), ex=HEARTBEAT_TTL)
        pipe.zadd(WORKERS_KEY, {hostname: now})
        pipe.zremrangebyscore(WORKERS_KEY, "-inf", now - WORKERS_KEPT_SECONDS)
        pipe.expire(WORKERS_KEY, WORKERS_KEPT_SECONDS)
        pipe.execute()


def start_heartbeat(celery_app, hostname: str, concurrency: int) -> threading.Event:
    """In a Celery worker's main process: say it is alive every ``HEARTBEAT_SECONDS`` until stopped. While
    Redis is away (the breaker this process shares with its cache and metrics, dashboard/outage.py, says
    so once) no beat is tried: the key expires, the web side stops queueing, and the first beat after
    the probe sees Redis answer writes it again."""
    client = celery_app.backend.client
    breaker = outage.for_redis(str(celery_app.conf.broker_url), JOB_REDIS_TIMEOUT)
    stop = threading.Event()
    started = time.time()

    def beat():
        while not stop.is_set():
            if breaker.available():
                try:
                    said = {"pid": os.getpid(), "concurrency": concurrency, "started": started}
                    beat_once(client, hostname, {**said, "seen": time.time()})
                except Exception as error:  # noqa: BLE001 - Redis away: said once, by the breaker
                    breaker.failed(error, "worker heartbeat")
            stop.wait(HEARTBEAT_SECONDS)
        with contextlib.suppress(Exception):
            client.delete(HEARTBEAT_KEY + hostname)
            client.zrem(WORKERS_KEY, hostname)

    threading.Thread(target=beat, name="meridian-heartbeat", daemon=True).start()
    return stop


def workers_report(manager) -> dict:
    """For the health endpoint: how background jobs run, and (Celery) which workers are alive."""
    if not hasattr(manager, "live_workers"):
        return {"status": "ok", "runner": "in-process (diskcache)"}
    try:
        live = manager.live_workers()
        queued = int(manager.handle.backend.client.llen("celery"))
    except Exception as error:  # noqa: BLE001 - Redis away: say so
        return {"status": "unknown", "runner": "celery", "error": type(error).__name__}
    return {
        "status": "ok" if live else "none",
        "runner": "celery",
        "live": sorted(live),
        "slots": sum(int(w.get("concurrency") or 0) for w in live.values()),
        "queued": queued,
    }


# A job its worker is executing (Dash's background jobs report PROGRESS as they go).
RUNNING_STATES = frozenset({"STARTED", "PROGRESS", "RETRY"})
