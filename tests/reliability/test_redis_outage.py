"""Redis killed, then hung, under a locust run against gunicorn: nothing fails, nothing stalls.

gunicorn (2 workers) serves locust's HotUser (analysts re-reading results already computed: the path
that used to recompute on every request while Redis was away) with Redis on its own port. A normal run
gives the reference p99; then, in one run, Redis is killed for 12 s and restarted (empty), and later
hung (SIGSTOP) for 12 s and resumed. The faulted run must have no failed request, none over 1 s, and a
p99 within twice the normal one; afterwards the cache is used again (Redis holds entries anew).
"""

from __future__ import annotations

import csv
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from benchmarks.serve import gunicorn, seeded_instance
from dashboard.settings import PROJECT_ROOT
from tests.conftest import unavailable
from tests.faults import PrivateRedis
from tests.load import run

pytestmark = [pytest.mark.slow, pytest.mark.redis]

USERS = 8
NORMAL_S = 20
FAULTED_S = 50
# seconds into the faulted run: (when, what)
FAULTS = ((6, "kill"), (18, "start"), (28, "pause"), (40, "resume"))
MAX_MS = 1000


def _locust(base: str, out: Path, name: str, seconds: int) -> dict:
    args = run.parse(["--users", str(USERS), "--spawn-rate", str(USERS), "--duration", f"{seconds}s"])
    args.out = out / name
    args.profile = "HotUser"
    with open(out / f"{name}.log", "wb") as log:
        code = subprocess.run(
            run.locust_command(base, args), cwd=PROJECT_ROOT, env=run.locust_env(), stdout=log, stderr=log
        ).returncode
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
    }


def test_out001_redis_killed_then_hung_under_load_nothing_fails_or_stalls(tmp_path, redis_url):
    if not run.LOCUST.exists():
        unavailable(f"locust is not installed ({run.LOCUST}): run `make setup`")
    (tmp_path / "redis").mkdir()
    server = PrivateRedis(tmp_path / "redis").start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = seeded_instance(Path(tmp), households=6, transactions_per_account=30)
            with gunicorn(settings, workers=2, REDIS_URL=server.url) as base:
                warm = _locust(base, tmp_path, "warm", 10)  # computes every hot result once
                assert warm["failures"] == 0, warm
                normal = _locust(base, tmp_path, "normal", NORMAL_S)

                def faults():
                    started = time.monotonic()
                    for at, action in FAULTS:
                        time.sleep(max(0.0, at - (time.monotonic() - started)))
                        getattr(server, action)()

                injector = threading.Thread(target=faults)
                injector.start()
                faulted = _locust(base, tmp_path, "faulted", FAULTED_S)
                injector.join()
                log = (settings.instance_path / "gunicorn.log").read_text()
            import redis

            after = redis.Redis.from_url(server.url).dbsize()
    finally:
        server.stop()
    report = f"normal {normal}, faulted {faulted}"
    assert normal["failures"] == 0 and faulted["failures"] == 0 and faulted["code"] == 0, report
    assert faulted["requests"] > 0.5 * normal["requests"] * FAULTED_S / NORMAL_S, report  # no stall
    assert faulted["max"] <= MAX_MS, report
    assert faulted["p99"] <= 2 * max(normal["p99"], 10.0), report
    # both outages were seen, and both ended, in each worker that noticed them
    assert log.count("cache unavailable") >= 2 and log.count("cache available again") >= 2, log[-3000:]
    assert after > 0, "Redis holds entries again after the outage: the cache is used again"
