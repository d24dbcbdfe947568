"""Background simulations on a real Celery worker against the real Redis, driven from Chromium.

No worker: the analyst is told at once, and the health endpoint says so. A worker: progress, cancel
and the result. A worker killed mid-job: an explicit error within the heartbeat's bound, never an
endless spinner. The web side's state is in Redis: another web worker collects the job's result.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from dashboard.background import HEARTBEAT_TTL, QUEUED_GRACE_SECONDS
from dashboard.settings import PROJECT_ROOT
from tests.conftest import ADMIN, signed_client
from tests.integration.test_pages import click, my_household, open_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.usefixtures("browser_ready"),
]

LONG_RUN = "paths=1000000&years=10&model=gbm"  # 12 million path-months: a background job of several seconds


class Worker:
    """``celery --app meridian.worker:celery_app worker`` on the test's database and Redis."""

    def __init__(self, settings, log_path):
        self.settings = settings
        self.log_path = log_path
        self.process = None

    def start(self) -> Worker:
        env = {
            **os.environ,
            "REDIS_URL": self.settings.redis_url,
            "DATABASE_URL": self.settings.database_url,
            "INSTANCE_PATH": str(self.settings.instance_path),
            "SECRET_KEY": self.settings.secret_key,
            "LOG_LEVEL": "WARNING",
        }
        log = open(self.log_path, "ab")  # noqa: SIM115 - a file, not a pipe: a full pipe blocks the worker
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "--app", "meridian.worker:celery_app", "worker"]
            + ["--concurrency=1", "--loglevel=WARNING", "--without-mingle", "--without-gossip"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed with its pool
        )
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)


def _health(app) -> dict:
    return signed_client(app).get("/api/v1/performance-metrics/health").get_json()


def _wait_for(condition, limit: float, what: str):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {limit:.0f} s")


@pytest.fixture
def celery_app(make_app, seeded_settings, redis_url):
    app = make_app(seeded_settings.replace(redis_url=redis_url))
    with app.server.app_context():
        yield app


@pytest.fixture
def worker(celery_app, tmp_path):
    settings = celery_app.server.extensions["meridian.settings"]
    started = Worker(settings, tmp_path / "worker.log")
    yield started
    started.kill()


def test_cw001_no_worker_the_analyst_is_told_at_once_and_health_says_so(dash_duo, celery_app):
    health = _health(celery_app)
    assert health["workers"] == {"status": "none", "runner": "celery", "live": [], "slots": 0, "queued": 0}
    assert health["status"] == "degraded"
    household = my_household()
    open_page(dash_duo, celery_app, f"/monte-carlo?household={household.id}&{LONG_RUN}&seed=11")
    dash_duo.wait_for_contains_text("#mc-alert", "No background worker is running", timeout=20)
    assert (
        "Run fewer paths, or ask the operator to start the worker" in dash_duo.find_element("#mc-alert").text
    )
    assert dash_duo.get_logs() == []


def test_cw002_progress_cancel_result_and_a_killed_worker(dash_duo, celery_app, worker):
    worker.start()
    health = _wait_for(
        lambda: (h := _health(celery_app))["workers"]["status"] == "ok" and h, 60, "the worker's heartbeat"
    )
    assert (
        health["status"] == "ok" and health["workers"]["slots"] == 1 and len(health["workers"]["live"]) == 1
    )

    household = my_household()
    # progress, then cancel
    open_page(dash_duo, celery_app, f"/monte-carlo?household={household.id}&{LONG_RUN}&seed=12")
    dash_duo.wait_for_element("#mc-progress-area[style*='block']", timeout=60)
    dash_duo.wait_for_contains_text("#mc-progress-text", "of 1,000,000 paths", timeout=60)
    click(dash_duo, "#mc-cancel")
    dash_duo.wait_for_contains_text("#mc-results", "cancelled", timeout=30)

    # a whole run: the result arrives from the worker
    open_page(
        dash_duo, celery_app, f"/monte-carlo?household={household.id}&paths=200000&years=5&model=gbm&seed=13"
    )
    dash_duo.wait_for_element("#mc-progress-area[style*='block']", timeout=60)
    dash_duo.wait_for_element(
        "#mc-results .stat-card, #mc-results table, #mc-results .js-plotly-plot", timeout=120
    )
    assert "stopped before finishing" not in dash_duo.find_element("#mc-alert").text
    # the job's engine time reaches the one metrics store, as the web's do (issue 31.3: the Operations
    # page showed no background run)
    client = signed_client(celery_app, ADMIN)

    def simulated():
        stats = client.get("/api/v1/performance-metrics/stats?window=all").get_json()["operations"]
        return stats.get("facade.simulate", {}).get("count", 0) >= 1 and stats["facade.simulate"]

    timed = _wait_for(simulated, 15, "the worker's engine time in the metrics store")
    assert timed["max"] > 0

    # the worker killed mid-job: an explicit error within the heartbeat's bound
    open_page(dash_duo, celery_app, f"/monte-carlo?household={household.id}&{LONG_RUN}&seed=14")
    dash_duo.wait_for_contains_text("#mc-progress-text", "of 1,000,000 paths", timeout=60)
    worker.kill()
    killed = time.monotonic()
    dash_duo.wait_for_contains_text("#mc-alert", "stopped before finishing", timeout=HEARTBEAT_TTL + 20)
    assert time.monotonic() - killed < HEARTBEAT_TTL + 15
    assert "No result" in dash_duo.find_element("#mc-results").text
    assert _health(celery_app)["workers"]["status"] == "none"
    assert dash_duo.get_logs() == []


def test_cw003_a_queued_job_whose_worker_left_ends_and_another_web_worker_collects_results(
    celery_app, make_app, worker
):
    """The job's state lives in Redis, not in the web worker that queued it: a second app (another web
    worker, or the first one restarted) sees the same job; a job queued after the last worker left is
    ended after the grace period instead of waiting for ever."""
    manager = celery_app.server.extensions["meridian.background"]
    settings = celery_app.server.extensions["meridian.settings"]
    worker.start()
    _wait_for(lambda: manager.live_workers(), 60, "the worker's heartbeat")
    other = make_app(settings).server.extensions["meridian.background"]  # a restarted web worker
    assert set(other.live_workers()) == set(manager.live_workers())

    from celery import states

    probe = manager.handle.send_task(
        "celery.accumulate", args=(1, 2)
    )  # answered by the worker, kept in Redis
    assert probe.get(timeout=30) == [1, 2]
    assert other.handle.AsyncResult(probe.id).state == states.SUCCESS

    worker.kill()
    _wait_for(lambda: not other.live_workers(), HEARTBEAT_TTL + 10, "the heartbeat expiring")
    queued = manager.handle.send_task("celery.accumulate", args=(3,))
    manager.handle.backend.client.set(f"meridian:job-queued:{queued.id}", time.time())
    assert other.job_running(queued.id)  # just queued: it may still be taken
    time.sleep(QUEUED_GRACE_SECONDS + 0.5)
    assert not other.job_running(queued.id)  # nobody alive to take it: ended
    assert other.handle.AsyncResult(queued.id).state == states.REVOKED


def test_cw004_web_workers_restarted_mid_job_do_not_lose_it(dash_duo, tmp_path, redis_url):
    """gunicorn (2 workers) and a Celery worker on Redis; while a large simulation runs, every web worker
    is SIGKILLed (gunicorn starts new ones) twice: the browser keeps polling, and the result arrives."""
    from harness.serve import gunicorn, seeded_instance
    from tests.conftest import browser_sign_in
    from tests.reliability.test_faults_under_load import _master

    settings = seeded_instance(tmp_path / "app", households=2, transactions_per_account=10)
    worker = Worker(
        settings.replace(redis_url=redis_url, secret_key="benchmark-secret-key-0123456789"),
        tmp_path / "w.log",
    )
    try:
        with gunicorn(settings, workers=2, REDIS_URL=redis_url) as base:
            worker.start()
            health = f"{base}/api/v1/performance-metrics/health"
            from tests.conftest import signed_session

            session = signed_session(base)
            _wait_for(lambda: session.get(health, timeout=5).json()["workers"]["live"], 60, "the worker")
            browser_sign_in(dash_duo.driver, base)
            dash_duo.driver.get(f"{base}/monte-carlo?household=1&paths=1000000&years=15&model=gbm&seed=21")
            dash_duo.wait_for_contains_text("#mc-progress-text", "of 1,000,000 paths", timeout=60)
            master = _master(base)
            for _ in range(2):
                before = {c.pid for c in master.children()}
                for child in master.children():
                    child.kill()
                _wait_for(
                    lambda before=before: len(set(c.pid for c in master.children()) - before) == 2,
                    30,
                    "gunicorn's new workers",
                )
                time.sleep(1.0)
            dash_duo.wait_for_element("#mc-probability", timeout=180)
            assert "stopped before finishing" not in dash_duo.find_element("#mc-alert").text
    finally:
        worker.kill()
