"""Redis faults under wrk (issue 17's table): a cached Risk run, 8 connections, gunicorn 2 workers x 4
threads, Redis on its own port; once with no fault, once killed for 12 s and restarted (empty), once hung
(SIGSTOP) for 12 s and resumed. Counts every answer that is not 200, every answer carrying an error
alert, and the requests over 1 s and over 2 s.

    python -m benchmarks faults
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.http import _get, _opener, _post, page_layout, run_body
from harness.dash_client import DashSite
from harness.faults import PrivateRedis
from harness.serve import gunicorn, seeded_instance
from harness.tables import table

SECONDS = 30
CONNECTIONS = 8
FAULT_AT, FAULT_FOR = 6, 12
LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = "{cookie}"
wrk.headers["X-CSRFToken"] = "{csrf}"
local f = io.open("{body}", "r")
wrk.body = f:read("*a")
f:close()
local threads = {}
setup = function(thread) table.insert(threads, thread) end
bad = 0
alerts = 0
response = function(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
  if string.find(body, '"color":"danger"', 1, true) then alerts = alerts + 1 end
end
done = function(summary, latency, requests)
  local b, a = 0, 0
  for _, t in ipairs(threads) do b = b + t:get("bad"); a = a + t:get("alerts") end
  local over1, over2 = 0, 0
  for i = 1, #latency do
    local value, count = latency(i)
    if value > 1000000 then over1 = over1 + count end
    if value > 2000000 then over2 = over2 + count end
  end
  io.write(string.format('FAULTS {"requests":%d,"non200":%d,"alerts":%d,"over1s":%d,"over2s":%d,' ..
    '"p50":%.3f,"p99":%.3f,"max":%.3f,"timeouts":%d,"errors":%d}\\n',
    summary.requests, b, a, over1, over2, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.errors.timeout, summary.errors.connect + summary.errors.read + summary.errors.write))
end
"""


def _wrk(base: str, script: Path) -> dict:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{SECONDS}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            base + "/_dash-update-component",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(re.search(r"FAULTS (\{.*\})", out).group(1))


def run() -> list[dict]:
    if shutil.which("wrk") is None or shutil.which("redis-server") is None:
        print("\nwrk or redis-server is not installed: skipping the Redis fault benchmark")
        return []
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "redis").mkdir()
        redis = PrivateRedis(folder / "redis").start()
        try:
            settings = seeded_instance(folder / "app")
            with gunicorn(settings, REDIS_URL=redis.url) as base:
                site = DashSite(_get(base, "/_dash-dependencies"))
                body = run_body(site, page_layout(base, site, "/risk"), "risk", "risk-results.children", 1)
                assert _post(base, body)[0] == 200  # computed once: every request after it is cached
                (folder / "body.json").write_text(json.dumps(body, separators=(",", ":")))
                script = folder / "faults.lua"
                script.write_text(
                    LUA.replace("{body}", str(folder / "body.json"))
                    .replace("{cookie}", _opener(base).cookie_header)
                    .replace("{csrf}", getattr(_opener(base), "csrf_token", ""))
                )
                for name, down, up in (
                    ("no fault", None, None),
                    (f"Redis killed for {FAULT_FOR} s, then restarted", "kill", "start"),
                    (f"Redis hung (SIGSTOP) for {FAULT_FOR} s", "pause", "resume"),
                ):

                    def fault(down=down, up=up):
                        if down is None:
                            return
                        time.sleep(FAULT_AT)
                        getattr(redis, down)()
                        time.sleep(FAULT_FOR)
                        getattr(redis, up)()

                    injector = threading.Thread(target=fault)
                    injector.start()
                    measured = _wrk(base, script)
                    injector.join()
                    results.append((name, measured))
                    time.sleep(2)  # the probe finds Redis back before the next case
        finally:
            redis.stop()
    table(
        f"Redis faults (wrk, {CONNECTIONS} connections, {SECONDS} s each, cached Risk run; gunicorn 2 workers x 4 "
        f"threads; the fault from {FAULT_AT} s for {FAULT_FOR} s)\n  target: 0 failures, nothing over 1 s, p99 <= 1 s",
        [
            "case",
            "requests",
            "non-200",
            "error alerts",
            "socket errors",
            "over 1 s",
            "over 2 s",
            "p50 ms",
            "p99 ms",
            "max ms",
        ],
        [
            [
                n,
                r["requests"],
                r["non200"],
                r["alerts"],
                r["errors"] + r["timeouts"],
                r["over1s"],
                r["over2s"],
                r["p50"],
                r["p99"],
                r["max"],
            ]
            for n, r in results
        ],
    )
    return [{"name": n, **r} for n, r in results]


if __name__ == "__main__":
    run()
