"""Faults under load against gunicorn: Redis killed, then hung (nothing fails, nothing stalls); a web
worker killed (only its in-flight requests fail); a background job longer than the worker timeout.

Redis:
gunicorn (2 workers) serves locust's HotUser (analysts re-reading results already computed: the path
that used to recompute on every request while Redis was away) with Redis on its own port. A normal run
gives the reference p99; then, in one run, Redis is killed for 8 s and restarted (empty), and later
hung (SIGSTOP) for 8 s and resumed (the breaker trips within the socket timeout, 0.25 s, and probes
every 0.5 s: 8 s is many probes long). The faulted run must have no failed request, none over 1 s once
its users have signed in (the sign-ins, 8 password checks at once in its first second, come before the
first fault), and a p99 under one Redis socket timeout (0.25 s: a request that waited on the hung Redis
took at least that; when the machine makes the normal run's p99 itself over half of it, within twice
that); afterwards the cache is used again (Redis holds entries anew). The p99 bound used to be twice
the normal run's alone: on the shared machine a faulted run's p99 of 95 ms against a normal 38 ms (and
130 against 63) failed CI with no request near a stall, its p50 as much slower (14 against 8 ms).
"""

from __future__ import annotations

import csv
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from dashboard.settings import PROJECT_ROOT
from harness.faults import PrivateRedis
from harness.serve import gunicorn, seeded_instance
from loadtest import run
from tests.conftest import unavailable

pytestmark = [pytest.mark.slow, pytest.mark.redis]

USERS = 8
NORMAL_S = 15
FAULTED_S = 36
# seconds into the faulted run: (when, what)
FAULTS = ((5, "kill"), (13, "start"), (21, "pause"), (29, "resume"))
MAX_MS = 1000
STALL_MS = 250  # REDIS_SOCKET_TIMEOUT's default: one wait on a hung Redis


def _locust(base: str, out: Path, name: str, seconds: int, during=None) -> dict:
    """A HotUser locust run of ``seconds``; ``during(started)`` runs beside it (the faults)."""
    args = run.parse(["--users", str(USERS), "--spawn-rate", str(USERS), "--duration", f"{seconds}s"])
    args.out = out / name
    args.profile = "HotUser"
    with open(out / f"{name}.log", "wb") as log:
        process = subprocess.Popen(
            run.locust_command(base, args), cwd=PROJECT_ROOT, env=run.locust_env(), stdout=log, stderr=log
        )
        if during is not None:
            during(time.monotonic())
        code = process.wait(seconds + 120)
    with open(args.out / "load_stats.csv") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    return {
        "code": code,
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "p50": float(total["50%"]),
        "p99": float(total["99%"]),
        "max": float(total["Max Response Time"]),
        "slowest": max(
            ((float(r["Max Response Time"]), n) for n, r in rows.items() if n != "Aggregated"),
            default=(0, ""),
        ),
        "max_signed_in": max(
            (
                float(r["Max Response Time"])
                for n, r in rows.items()
                if n != "Aggregated" and not n.startswith("sign-in")
            ),
            default=0.0,
        ),
    }


def test_out001_redis_killed_then_hung_under_load_nothing_fails_or_stalls(tmp_path, redis_url):
    if not run.LOCUST.exists():
        unavailable(f"locust is not installed ({run.LOCUST}): run `make setup`")
    (tmp_path / "redis").mkdir()
    server = PrivateRedis(tmp_path / "redis", unavailable).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = seeded_instance(Path(tmp), households=6, transactions_per_account=30)
            with gunicorn(settings, workers=2, REDIS_URL=server.url) as base:
                warm = _locust(base, tmp_path, "warm", 8)  # computes every hot result once
                assert warm["failures"] == 0, warm
                normal = _locust(base, tmp_path, "normal", NORMAL_S)

                def faults(started):
                    for at, action in FAULTS:
                        time.sleep(max(0.0, at - (time.monotonic() - started)))
                        getattr(server, action)()

                faulted = _locust(base, tmp_path, "faulted", FAULTED_S, during=faults)
                log = (settings.instance_path / "gunicorn.log").read_text()
            import redis

            after = redis.Redis.from_url(server.url).dbsize()
    finally:
        server.stop()
    report = f"normal {normal}, faulted {faulted}"
    assert normal["failures"] == 0 and faulted["failures"] == 0 and faulted["code"] == 0, report
    assert faulted["requests"] > 0.5 * normal["requests"] * FAULTED_S / NORMAL_S, report  # no stall
    assert faulted["max_signed_in"] <= MAX_MS, report
    assert faulted["p99"] <= max(2 * normal["p99"], STALL_MS), report
    # both outages were seen, and both ended, in each worker that noticed them
    assert log.count("cache unavailable") >= 2 and log.count("cache available again") >= 2, log[-3000:]
    assert after > 0, "Redis holds entries again after the outage: the cache is used again"


def test_out002_a_web_worker_killed_under_load_loses_only_its_in_flight_requests(tmp_path, redis_url):
    """SIGKILL one of two gunicorn workers mid-run: at most the requests it was serving fail (each
    locust user has one in flight), the other worker carries on, gunicorn boots a replacement."""
    if not run.LOCUST.exists():
        unavailable(f"locust is not installed ({run.LOCUST}): run `make setup`")
    with tempfile.TemporaryDirectory() as tmp:
        settings = seeded_instance(Path(tmp), households=6, transactions_per_account=30)
        with gunicorn(settings, workers=2, REDIS_URL=redis_url) as base:
            master = _master(base)
            victims = []

            def kill_one(started):
                time.sleep(max(0.0, 6 - (time.monotonic() - started)))
                victim = master.children()[0]
                victims.append(victim.pid)
                victim.kill()

            result = _locust(base, tmp_path, "killed", 16, during=kill_one)
            time.sleep(1)
            workers_after = [c.pid for c in master.children()]
    # gunicorn replaced the killed worker
    assert victims and victims[0] not in workers_after and len(workers_after) == 2, (victims, workers_after)
    assert result["failures"] <= USERS, result  # only what the killed worker had in flight
    assert result["requests"] > 20 * max(1, result["failures"]), result  # the other worker carried on


@pytest.mark.browser
@pytest.mark.usefixtures("browser_ready")
def test_out003_a_job_longer_than_the_worker_timeout_runs_in_the_background(dash_duo, tmp_path):
    """gunicorn's worker timeout at 2 s; a 1,000,000-path simulation (several seconds) is asked for in
    the browser: it runs as a background job, its progress shows, its result arrives, no worker dies."""
    from selenium.common.exceptions import TimeoutException

    from tests.conftest import browser_sign_in

    with tempfile.TemporaryDirectory() as tmp:
        settings = seeded_instance(Path(tmp), households=2, transactions_per_account=10)
        with gunicorn(settings, workers=1, GUNICORN_TIMEOUT="2") as base:
            worker = _master(base).children()[0].pid
            browser_sign_in(dash_duo.driver, base)
            dash_duo.driver.get(f"{base}/monte-carlo?household=1&paths=1000000&years=10&model=gbm&seed=5")
            try:
                dash_duo.wait_for_element("#mc-progress-area[style*='block']", timeout=60)
                dash_duo.wait_for_contains_text("#mc-progress-text", "of 1,000,000 paths", timeout=60)
                dash_duo.wait_for_element("#mc-probability", timeout=180)
            except TimeoutException:
                shown = dash_duo.driver.execute_script("return document.body.innerText")[:1500]
                log = (settings.instance_path / "gunicorn.log").read_text()[-3000:]
                raise AssertionError(f"the page shows {shown!r}; gunicorn's log ends {log}") from None
            assert "stopped before finishing" not in dash_duo.find_element("#mc-alert").text
            log = (settings.instance_path / "gunicorn.log").read_text()
            assert [c.pid for c in _master(base).children()] == [worker]  # the same worker throughout
    assert "WORKER TIMEOUT" not in log, log[-2000:]


def _master(base: str):
    """The gunicorn master serving ``base`` (its children are the workers)."""
    import psutil

    port = base.rsplit(":", 1)[1]
    for process in psutil.process_iter(["cmdline"]):
        line = " ".join(process.info["cmdline"] or [])
        if "gunicorn" in line and f"127.0.0.1:{port}" in line:
            return process
    raise AssertionError(f"no gunicorn master for {base}")
