"""The background-callback manager, chosen in one place.

Celery on Redis when ``REDIS_URL`` is set (jobs run in ``worker`` processes,
possibly on other hosts); otherwise diskcache in the instance folder, which
runs jobs in subprocesses of the web worker (the embedded default).
"""

from __future__ import annotations

from dashboard.settings import Settings

# Results of finished jobs are kept this long for the browser to collect.
RESULT_EXPIRY_SECONDS = 60 * 60


def create_manager(settings: Settings):
    if settings.redis_url:
        from celery import Celery
        from dash import CeleryManager

        celery_app = Celery("meridian", broker=settings.redis_url, backend=settings.redis_url)
        celery_app.conf.update(
            result_expires=RESULT_EXPIRY_SECONDS,
            broker_connection_retry_on_startup=True,
            task_acks_late=True,
            worker_prefetch_multiplier=1,
        )
        return CeleryManager(celery_app, expire=RESULT_EXPIRY_SECONDS)

    import diskcache
    from dash import DiskcacheManager

    folder = settings.instance_path / "background-jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(folder)), expire=RESULT_EXPIRY_SECONDS)
