"""Celery entry point for background callbacks: ``celery --app dashboard.worker:celery_app worker``.

Building the app registers every background callback with the Celery manager,
so the worker runs exactly the functions the web workers enqueue.
"""

from dashboard.factory import create_app

app = create_app()
if not app.server.extensions["meridian.settings"].redis_url:
    raise SystemExit("meridian: the Celery worker needs REDIS_URL (without it, jobs run in-process)")
celery_app = app.server.extensions["meridian.background"].handle
