"""``make load``: the production configuration under locust, then a summary; everything it starts, it stops.

gunicorn (``gunicorn.conf.py``, 2 workers) and a Celery worker (background simulations) on the real
Redis, over a freshly seeded SQLite database; locust runs headless (``.venv-load``) for a set time and
user count, writes CSV and HTML reports to ``bench-results/load/``, and its exit code reflects the
thresholds. The summary prints req/s and p50/p95/p99 per task, failures, and the cache hit rate the
app measured (``/api/v1/performance-metrics/report``) with the scenario mix that produced it.

    python -m loadtest.run [--users 50] [--spawn-rate 10] [--duration 60s] [--profile StressTestUser|AnalystUser|both]
                             [--p95-ms 250] [--max-failure-ratio 0]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from dashboard.settings import PROJECT_ROOT, Settings
from harness.dash_client import signed_opener
from harness.serve import gunicorn, seeded_instance, stop
from harness.tables import table

LOCUST = PROJECT_ROOT / ".venv-load" / "bin" / "locust"
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/10")
OUT = PROJECT_ROOT / "bench-results" / "load"
MIX = (
    "households and scenarios Zipf-like (s=1.2: index 0, the page's defaults, most often); "
    "task weights: page loads 6, risk/optimisation/Monte Carlo runs 4 each, grid blocks 4, "
    "diversification/retirement/tax 3 each, frontier clicks 3, household switches 3, Overview 3, "
    "goals 2, CSV 2, background Monte Carlo 1, goal create-edit-delete 1, thread save-open 1, metrics API 1"
)


PROFILES = ("StressTestUser", "AnalystUser")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--duration", default="60s")
    parser.add_argument(
        "--profile",
        choices=(*PROFILES, "both"),
        default="StressTestUser",
        help="the locust user class, or both (their users in proportion to their weights)",
    )
    parser.add_argument("--p95-ms", type=float, default=0.0, help="fail above this overall p95 (0: off)")
    parser.add_argument("--max-failure-ratio", type=float, default=0.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--no-redis", action="store_true", help="the embedded default: local cache, no Celery"
    )
    parser.add_argument("--redis-url", default=REDIS_URL, help="a Redis database this run may empty")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="count each request's CPU time in the server and print where it went (loadtest/cpu.py)",
    )
    return parser.parse_args(argv)


@contextlib.contextmanager
def celery_worker(settings, env: dict):
    """The Procfile's worker, for background simulations on the Redis broker."""
    log_path = settings.instance_path / "celery.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                str(PROJECT_ROOT / ".venv" / "bin" / "celery"),
                "--app",
                "meridian.worker:celery_app",
                "worker",
                "--concurrency=1",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=PROJECT_ROOT,
            env={
                **os.environ,
                "DATABASE_URL": settings.database_url,
                "INSTANCE_PATH": str(settings.instance_path),
                "SECRET_KEY": "benchmark-secret-key-0123456789",
                "LOG_LEVEL": "WARNING",
                **env,
            },
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            stop(process)


def wait_for_heartbeat(process, redis_url: str, log_path: Path, timeout: float = 90.0) -> None:
    """Until the worker says it is alive (the web side queues large runs only then): a worker that
    imports the app on a busy machine takes seconds, and a run asked for before would be refused."""
    import redis

    from dashboard.background import live_workers_of

    client = redis.Redis.from_url(redis_url, socket_timeout=2)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited: {log_path.read_text()[-2000:]}")
        if live_workers_of(client):
            return
        time.sleep(0.25)
    raise RuntimeError(f"no Celery worker heartbeat in {timeout:.0f} s: {log_path.read_text()[-2000:]}")


def locust_command(base: str, args: argparse.Namespace) -> list[str]:
    """locust headless against ``base`` with ``args``' users, duration, thresholds and reports."""
    args.out.mkdir(parents=True, exist_ok=True)
    return [
        str(LOCUST),
        "-f",
        str(PROJECT_ROOT / "loadtest" / "locustfile.py"),
        "--headless",
        "--only-summary",
        "--host",
        base,
        "-u",
        str(args.users),
        "-r",
        str(args.spawn_rate),
        "-t",
        args.duration,
        "--csv",
        str(args.out / "load"),
        "--html",
        str(args.out / "load.html"),
        "--p95-ms",
        str(args.p95_ms),
        "--max-failure-ratio",
        str(args.max_failure_ratio),
        "--stop-timeout",  # a short grace at the end: req/s is counted over the run, not a long wind-down
        "5",
        *(PROFILES if args.profile == "both" else (args.profile,)),
    ]


def locust_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}


@contextlib.contextmanager
def production(args: argparse.Namespace, heavy_transactions: int = 0) -> Iterator[tuple[str, Settings]]:
    """The production configuration over a freshly seeded database (gunicorn; with Redis, a Celery
    worker too); yields its URL and settings, and stops everything on the way out."""
    env: dict[str, str] = {}
    if not args.no_redis:
        import redis

        redis.Redis.from_url(args.redis_url, socket_timeout=2).flushdb()
        env["REDIS_URL"] = args.redis_url
    app, server_env = "app:server", dict(env)
    if args.cpu:  # the same app, each request's CPU time counted (loadtest/cpu.py)
        shutil.rmtree(args.out / "cpu", ignore_errors=True)
        (args.out / "cpu").mkdir(parents=True)
        app, server_env["MERIDIAN_CPU_OUT"] = "loadtest.cpu:counted_app()", str(args.out / "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        settings = seeded_instance(Path(tmp), heavy_transactions=heavy_transactions)
        with (
            gunicorn(settings, workers=args.workers, app=app, **server_env) as base,
            contextlib.ExitStack() as stack,
        ):
            if env:
                worker = stack.enter_context(celery_worker(settings, env))
                wait_for_heartbeat(worker, args.redis_url, settings.instance_path / "celery.log")
            yield base, settings


def app_report(base: str) -> dict:
    """The app's own performance report (cache hit rates per operation) over the whole run."""
    with signed_opener(base).open(base + "/api/v1/performance-metrics/report?window=all", timeout=30) as r:
        return json.loads(r.read())


def summary(args: argparse.Namespace, report: dict) -> dict:
    rows, totals = [], {}
    with open(args.out / "load_stats.csv") as handle:
        for row in csv.DictReader(handle):
            entry = [
                row["Name"],
                int(row["Request Count"]),
                int(row["Failure Count"]),
                float(row["Requests/s"]),
                float(row["50%"]),
                float(row["95%"]),
                float(row["99%"]),
            ]
            if row["Name"] == "Aggregated":
                totals = dict(
                    zip(("name", "requests", "failures", "rate", "p50", "p95", "p99"), entry, strict=True)
                )
            else:
                rows.append(entry)
    rows.sort(key=lambda r: -r[1])
    cache = report.get("cache", {})
    hit_rate = cache.get("hit_rate")
    per_op = ", ".join(
        f"{op} {v['hit_rate']:.0%}"
        for op, v in sorted(cache.get("operations", {}).items())
        if v.get("hit_rate") is not None
    )
    title = (
        f"Load: {args.users} x {args.profile}, {args.duration}, gunicorn {args.workers} workers"
        f"{'' if args.no_redis else ' + Celery on Redis'}\n"
        f"  total {totals.get('requests', 0):,} requests, {totals.get('rate', 0):,.1f} req/s, "
        f"p50 {totals.get('p50', 0):.0f} ms, p95 {totals.get('p95', 0):.0f} ms, p99 {totals.get('p99', 0):.0f} ms, "
        f"{totals.get('failures', 0):,} failures\n"
        f"  cache hit rate {hit_rate:.1%} ({per_op})\n  scenario mix: {MIX}"
        if hit_rate is not None
        else f"Load: {args.users} x {args.profile} (no cache activity reported)"
    )
    table(title, ["task", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms"], rows)
    sign_ins = sign_in_summary(args.out / "load_sign_ins.json")
    if sign_ins:
        print(f"\n  {sign_ins}")
    print(f"\n  reports: {args.out / 'load.html'}, {args.out}/load_*.csv")
    return totals


def sign_in_summary(path: Path) -> str:
    """The users' sign-in conversations (each try a request in the table above): how many got in, how long
    it took from the first try, and how many tries."""
    if not path.exists():
        return ""
    rows = json.loads(path.read_text())
    if not rows:
        return ""
    seconds = sorted(r["seconds"] for r in rows)
    tries = sorted(r["tries"] for r in rows)

    def at(values: list, q: float):
        return values[min(len(values) - 1, int(q * len(values)))]

    return (
        f"sign-ins: {sum(r['signed_in'] for r in rows)} of {len(rows)} users signed in; until signed in "
        f"p50 {at(seconds, 0.5):.1f} s, p95 {at(seconds, 0.95):.1f} s, max {seconds[-1]:.1f} s; "
        f"tries p50 {at(tries, 0.5)}, max {tries[-1]} (a try asked to wait is answered at once)"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not LOCUST.exists():
        print(f"locust is not installed ({LOCUST}): run `make setup`", file=sys.stderr)
        return 2
    with production(args) as (base, _settings):
        code = subprocess.run(locust_command(base, args), cwd=PROJECT_ROOT, env=locust_env()).returncode
        report = app_report(base)
    totals = summary(args, report)
    if args.cpu:  # the workers wrote their last counts as they stopped
        from loadtest.cpu import read

        rows = read(args.out / "cpu")
        spent = sum(r[1] * r[2] for r in rows)
        requests = sum(r[1] for r in rows)
        table(
            f"Server CPU by request (each request thread's own CPU time; {requests:,} requests, "
            f"{spent / max(requests, 1):.2f} ms a request on average)",
            ["request", "requests", "CPU ms each", "share"],
            rows,
        )
    (args.out / "summary.json").write_text(
        json.dumps({"totals": totals, "cache": report.get("cache")}, indent=2)
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
