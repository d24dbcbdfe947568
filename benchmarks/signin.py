"""Sign-in bursts: what other requests wait while many people sign in at once.

gunicorn (2 workers x 4 threads, the real Redis) over a seeded database. Signed-in clients ask for the
cached Risk run ``RUN_RATE`` times a second (an open loop, latency counted from when each request was
due), for ``SECONDS`` alone, then for ``SECONDS`` while sign-ins arrive at ``RATE`` a second (each a new
browser, the sign-in form then its POST, the demo users in turn, each in its own thread so a slow one does not
hold the next back). Printed: the runs' p50/p95 alone and during the burst, and the sign-ins' p50/p95
with how each ended (signed in, asked to try again in a moment, or anything else). A password check is
scrypt (N=2^15, r=8: ~70 ms of one core here), so 20 a second would take most of two cores if nothing
bounded them (``PasswordChecks`` in dashboard/services/users.py).
"""

from __future__ import annotations

import http.cookiejar
import json
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from benchmarks.common import median_ms, p95_ms
from benchmarks.http import UPDATE, _get, page_layout, run_body
from dashboard.data import demo
from harness.dash_client import DashSite, sign_in_through_form, signed_opener
from harness.serve import gunicorn, seeded_instance
from harness.tables import table

REDIS_URL = "redis://127.0.0.1:6379/12"
SECONDS = 15
RATE = 20  # sign-ins a second
RUN_RATE = 200  # cached runs a second (an open loop: what a busy hour of analysts asks, not all it takes)
CLIENTS = 8


def _run_loop(
    base: str, opener, body: bytes, begin: float, until: float, samples: list[float], errors: list[int]
) -> None:
    """Cached runs at ``RUN_RATE / CLIENTS`` a second on a schedule; each latency counted from when the
    request was due (so a late answer delays nothing unseen)."""
    interval, due = CLIENTS / RUN_RATE, begin
    while due < until:
        time.sleep(max(0.0, due - time.monotonic()))
        request = urllib.request.Request(
            base + UPDATE, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with opener.open(request, timeout=60) as response:
                response.read()
            samples.append(time.monotonic() - due)
        except (urllib.error.URLError, OSError):
            errors.append(1)
        due += interval


def _sign_in(base: str, email: str, samples: list[float], outcomes: dict[str, int]) -> None:
    """One person's single try (asked to wait, they are counted so, not retried)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(form: dict):
        try:
            with opener.open(
                base + "/login", data=urllib.parse.urlencode(form).encode(), timeout=60
            ) as answer:
                outcome = "signed in" if "/login" not in answer.geturl() else "refused"
        except urllib.error.HTTPError as error:
            outcome = "asked to wait" if error.code == 429 else f"HTTP {error.code}"
        return "", outcome

    started = time.perf_counter()
    try:
        outcome = sign_in_through_form(
            lambda: opener.open(base + "/login", timeout=60).read().decode(), post, email, demo.DEMO_PASSWORD
        )
    except (urllib.error.URLError, OSError) as error:
        outcome = type(error).__name__
    samples.append(time.perf_counter() - started)
    outcomes[outcome] = outcomes.get(outcome, 0) + 1


def _phase(base: str, openers: list, body: bytes, burst: bool) -> dict:
    begin = time.monotonic()
    until = begin + SECONDS
    runs: list[float] = []
    errors: list[int] = []
    loops = [
        threading.Thread(target=_run_loop, args=(base, o, body, begin + i / RUN_RATE, until, runs, errors))
        for i, o in enumerate(openers)
    ]
    for loop in loops:
        loop.start()
    signins: list[float] = []
    outcomes: dict[str, int] = {}
    started: list[threading.Thread] = []
    if burst:
        emails = [demo.ADMIN[0]] + [email for email, _ in demo.ANALYSTS]
        begin = time.monotonic()
        n = 0
        while time.monotonic() < until:
            thread = threading.Thread(
                target=_sign_in, args=(base, emails[n % len(emails)], signins, outcomes)
            )
            thread.start()
            started.append(thread)
            n += 1
            time.sleep(max(0.0, begin + n / RATE - time.monotonic()))
    for thread in loops + started:
        thread.join()
    return {"runs": runs, "errors": len(errors), "signins": signins, "outcomes": outcomes}


def run() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = seeded_instance(Path(tmp) / "app")
        with gunicorn(settings, REDIS_URL=REDIS_URL) as base:
            site = DashSite(_get(base, "/_dash-dependencies"))
            body = run_body(site, page_layout(base, site, "/risk"), "risk", "risk-results.children", 1)
            data = json.dumps(body).encode()
            openers = [signed_opener(base) for _ in range(CLIENTS)]
            _phase(base, openers, data, burst=False)  # warm: the run computed and kept, every worker's caches
            alone = _phase(base, openers, data, burst=False)
            during = _phase(base, openers, data, burst=True)
    rows = []
    for name, phase in (("alone", alone), (f"during {RATE} sign-ins/s", during)):
        runs = phase["runs"]
        rows.append([f"cached /risk run, {name}", len(runs), median_ms(runs), p95_ms(runs), phase["errors"]])
    signins = during["signins"]
    rows.append([f"sign-in (form + POST), {RATE}/s", len(signins), median_ms(signins), p95_ms(signins), ""])
    table(
        f"Sign-in bursts (cached runs at {RUN_RATE}/s, {SECONDS} s alone then {SECONDS} s "
        f"during the burst; gunicorn 2 workers x 4 threads, Redis)\n  sign-ins: "
        + ", ".join(f"{k} {v}" for k, v in sorted(during["outcomes"].items())),
        ["request", "count", "p50 ms", "p95 ms", "errors"],
        rows,
    )
    return [
        {"name": "run alone", "p50": median_ms(alone["runs"]), "p95": p95_ms(alone["runs"])},
        {"name": "run during burst", "p50": median_ms(during["runs"]), "p95": p95_ms(during["runs"])},
        {"name": "sign-in", "p50": median_ms(signins), "p95": p95_ms(signins), **during["outcomes"]},
    ]


if __name__ == "__main__":
    run()
