"""The performance report: what the Performance page and ``GET /report`` show, from the one metrics store."""

from __future__ import annotations

import datetime as dt
import time

from dashboard.extensions import metrics

RATINGS = ("good", "needs-improvement", "poor")


def build_report(window: str) -> dict:
    """Everything the Performance page shows, from the one store the JSON API reads."""
    operations = metrics.stats(window)
    counters = metrics.counters()
    callbacks = {k: v for k, v in operations.items() if k.startswith("callback.")}
    cache_ops: dict[str, dict] = {}
    for name, n in counters.items():
        if name.startswith("cache."):
            _, op, event = name.split(".", 2)
            cache_ops.setdefault(op, {})[event] = n
    for values in cache_ops.values():
        asked = values.get("hits", 0) + values.get("misses", 0)
        values["hit_rate"] = values.get("hits", 0) / asked if asked else None
    hits = sum(v.get("hits", 0) for v in cache_ops.values())
    asked = hits + sum(v.get("misses", 0) for v in cache_ops.values())
    vitals: dict[str, dict] = {}
    for name, summary in operations.items():
        if name.startswith("web_vitals."):
            _, page, vital = name.split(".", 2)
            # ratings are counted since the last reset (counters have no window)
            ratings = {r: counters.get(f"{name}.{r}", 0) for r in RATINGS}
            rated = sum(ratings.values())
            vitals.setdefault(page, {})[vital] = {
                "p50": summary["p50"],
                "p95": summary["p95"],
                "count": summary["count"],
                "ratings": ratings,
                "shares": {r: (n / rated if rated else None) for r, n in ratings.items()},
            }
    renders = []
    for name, summary in operations.items():
        if name.startswith("render."):
            _, page, component = name.split(".", 2) if name.count(".") >= 2 else ("render", "other", name[7:])
            renders.append({"page": page, "component": component, **summary})
    renders.sort(key=lambda r: -(r["p95"] or 0))
    timed = [(k, v) for k, v in operations.items() if not k.startswith(("web_vitals.", "render."))]
    return {
        "generated_at": now(),
        "window": window,
        "uptime_seconds": round(uptime(), 3),
        "totals": {
            "callbacks": sum(v["count"] for v in callbacks.values()),
            "callback_errors": sum(v["errors"] for v in callbacks.values()),
            "slow_events": sum(v["slow"] for v in operations.values()),
        },
        "operations": dict(timed),
        # Content-Security-Policy violations browsers reported, by directive (since the last reset)
        "csp": {k[len("csp.") :]: n for k, n in sorted(counters.items()) if k.startswith("csp.")},
        "slowest": [
            {"operation": k, **v} for k, v in sorted(timed, key=lambda kv: -(kv[1]["p95"] or 0))[:10]
        ],
        "slow_operations": [
            {"operation": k, "slow": v["slow"], "count": v["count"], "threshold_ms": v["threshold_ms"]}
            for k, v in sorted(operations.items(), key=lambda kv: -kv[1]["slow"])
            if v["slow"]
        ],
        "cache": {"operations": cache_ops, "hit_rate": hits / asked if asked else None},
        "web_vitals": vitals,
        "slowest_components": renders[:20],
    }


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def uptime() -> float:
    return time.time() - metrics.started


def finite(value):
    return None if value == float("inf") else value


def measured_names() -> set[str]:
    """Every operation name the store has."""
    return metrics.backend.all_names()


def latency_series(name: str, window: str) -> list[dict]:
    """``name``'s summary minute by minute (``1h``) or hour by hour (``24h``)."""
    return metrics.series(name, window)


def reset() -> None:
    """Forget every metric, for every worker (callers check that an admin asked)."""
    metrics.reset()
