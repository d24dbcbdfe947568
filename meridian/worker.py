"""Celery entry point for background callbacks: ``celery --app meridian.worker:celery_app worker``.

Building the app registers every background callback with the Celery manager,
so the worker runs exactly the functions the web workers enqueue. Once ready,
the worker's main process writes a heartbeat to Redis every few seconds; the
web side sends jobs only while some worker is alive, and ends a job whose
worker stopped (``dashboard.background``).
"""

from celery.signals import worker_process_init, worker_ready, worker_shutdown

from callbacks import UI
from dashboard.background import start_heartbeat
from dashboard.factory import create_app

app = create_app(ui=UI)
if not app.server.extensions["meridian.settings"].redis_url:
    raise SystemExit("meridian: the Celery worker needs REDIS_URL (without it, jobs run in-process)")
celery_app = app.server.extensions["meridian.background"].handle
_heartbeat = {}


@worker_process_init.connect
def _forked(**_kwargs):
    """A pool process starts: it must not share its parent's pooled database connections."""
    app.server.extensions["meridian.db"].engine.dispose(close=False)


@worker_ready.connect
def _alive(sender, **_kwargs):
    concurrency = getattr(sender.controller, "concurrency", None) or celery_app.conf.worker_concurrency or 1
    _heartbeat["stop"] = start_heartbeat(celery_app, sender.hostname, int(concurrency))


@worker_shutdown.connect
def _leaving(**_kwargs):
    if "stop" in _heartbeat:
        _heartbeat["stop"].set()
