"""JSON API: performance metrics (stats, report, one operation, health, reset, web-vitals ingest) and
the Prometheus exposition. Every error is a JSON message with a 4xx status; nothing is stored on error."""

from __future__ import annotations

import hmac
import json
import math
import re

import dash
import flask
import flask_login

from dashboard import csp
from dashboard.background import workers_report
from dashboard.extensions import cache, db, metrics
from dashboard.metrics.prometheus import exposition
from dashboard.metrics.store import WINDOWS, MetricsError
from dashboard.observability.report import build_report, finite, now, uptime
from dashboard.services import audit

MAX_BEACON_BYTES = 16 * 1024
# Summaries served by the stats and health endpoints may be this old (seconds; per worker): dashboards
# and load balancers poll them, and other workers' timings reach the backend every few seconds anyway.
RECENT_SECONDS = 1.0
MAX_VITALS = 50
MAX_RENDERS = 100
# name -> (good up to, poor above), web.dev thresholds; times in ms, CLS unitless
VITAL_THRESHOLDS = {
    "LCP": (2500.0, 4000.0),
    "INP": (200.0, 500.0),
    "CLS": (0.1, 0.25),
    "FCP": (1800.0, 3000.0),
    "TTFB": (800.0, 1800.0),
}
VITAL_MAXIMUM = {"CLS": 100.0}  # anything else: at most 10 minutes
COMPONENT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def rating(name: str, value: float) -> str:
    good, poor = VITAL_THRESHOLDS[name]
    return "good" if value <= good else "poor" if value > poor else "needs-improvement"


def create_blueprint(settings, app, measured: dict[str, frozenset[str]] | None = None) -> flask.Blueprint:
    """The API; ``measured``: page slug -> the components whose render timings browsers may report."""
    measured = measured or {}
    prefix = settings.url_prefix.rstrip("/")
    bp = flask.Blueprint("meridian_api", __name__)
    base = f"{prefix}/api/v1/performance-metrics"

    @bp.errorhandler(BadRequest)
    def bad_request(error: BadRequest):
        return flask.jsonify(error=str(error)), error.status

    @bp.get(f"{base}/stats")
    def stats():
        window = flask.request.args.get("window", "all")
        if window not in WINDOWS:
            raise BadRequest(f"window must be one of {', '.join(WINDOWS)}")
        return flask.jsonify(
            window=window,
            operations=metrics.stats(window, max_age=RECENT_SECONDS),
            counters=metrics.counters(),
            generated_at=now(),
        )

    @bp.get(f"{base}/operation/<path:name>")
    def operation(name: str):
        if name not in metrics.backend.all_names():
            raise BadRequest(f"no operation named {name[:120]!r}", 404)
        windows = {w: metrics.stats(w, [name]).get(name) for w in WINDOWS}
        series_window = flask.request.args.get("series", "1h")
        if series_window not in WINDOWS or WINDOWS[series_window] is None:
            raise BadRequest("series must be a window of minutes or hours, e.g. 1h or 24h")
        return flask.jsonify(
            name=name,
            threshold_ms=finite(metrics.threshold_ms(name)),
            windows=windows,
            series={"window": series_window, "points": metrics.series(name, series_window)},
        )

    @bp.get(f"{base}/report")
    def report():
        window = flask.request.args.get("window", "all")
        if window not in WINDOWS:
            raise BadRequest(f"window must be one of {', '.join(WINDOWS)}")
        return flask.jsonify(build_report(window))

    @bp.get(f"{base}/health")
    def health():
        """Up or down for anyone (a load balancer); the backends' details only for a signed-in user."""
        database = "ok" if db.ping() else "down"
        if not flask_login.current_user.is_authenticated:
            return flask.jsonify(
                status="up" if database == "ok" else "down"
            ), 200 if database == "ok" else 503
        redis = "not configured" if not settings.redis_url else cache.health()
        operations = metrics.stats("all", max_age=RECENT_SECONDS)
        workers = workers_report(flask.current_app.extensions["meridian.background"])
        body = {
            "status": "ok"
            if database == "ok" and redis in ("ok", "not configured") and workers["status"] == "ok"
            else "degraded",
            "uptime_seconds": round(uptime(), 3),
            "slow_operations_count": sum(op["slow"] for op in operations.values()),
            "redis": redis,
            "database": database,
            "cache": cache.backend_name,
            "metrics_backend": metrics.backend.name,
            # background jobs: Celery workers alive (heartbeats), their slots and the queue's length
            "workers": workers,
            "timestamp": now(),
        }
        return flask.jsonify(body), 200 if database == "ok" else 503

    @bp.post(f"{base}/reset")
    def reset():
        token = settings.metrics_token
        if not token:
            raise BadRequest(
                "metrics reset is disabled: set METRICS_TOKEN (admins only once login lands)", 403
            )
        given = flask.request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise BadRequest("a valid token is required to reset the metrics", 403)
        # recorded first: the record's own query would be the first figure of the fresh store
        audit.log("metrics-reset", email="api token", detail="POST /api/v1/performance-metrics/reset")
        metrics.reset()
        return flask.jsonify(reset=True, timestamp=now())

    @bp.post(f"{base}/web-vitals")
    def web_vitals():
        records, counts = parse_beacon(flask.request, app, measured)
        for name, _value, browser in records:
            if not metrics.accept(name, browser=browser):
                raise BadRequest("too many distinct metric names; this one was not stored", 422)
        for name in counts:
            if not metrics.accept(name, browser=True):
                raise BadRequest("too many distinct metric names; this one was not stored", 422)
        for name, value, browser in records:
            metrics.record(name, value, browser=browser)
        for name in counts:
            metrics.count(name)
        metrics.forget_recent()
        return flask.jsonify(stored=len(records)), 202

    reports = csp.RateLimit()

    @bp.post(f"{prefix}/{csp.REPORT_PATH}")
    def csp_report():
        """A browser's Content-Security-Policy violation report: validated, rate-limited per address,
        counted by directive (nothing of its text is kept: it may quote the page)."""
        if not reports.allow(flask.request.remote_addr or "unknown"):
            raise BadRequest(
                "too many reports from this address; they are counted again within a minute", 429
            )
        length = flask.request.content_length
        if length is not None and length > csp.MAX_REPORT_BYTES:
            raise BadRequest(f"a report is at most {csp.MAX_REPORT_BYTES} bytes", 413)
        raw = flask.request.get_data(cache=False, as_text=False)[: csp.MAX_REPORT_BYTES + 1]
        try:
            directive = csp.parse_report(raw, flask.request.content_type)
        except csp.ReportError as error:
            raise BadRequest(str(error), error.status) from None
        metrics.count(csp.METRIC_PREFIX + directive)
        return flask.Response(status=204)

    @bp.get(f"{prefix}/metrics")
    def prometheus():

        body, content_type = exposition()
        return flask.Response(body, content_type=content_type)

    return bp


def page_slug(path: str, app) -> str:
    """The registered page a browser path belongs to (``other`` if none): names stay bounded."""
    stripped = app.strip_relative_path(path) if path else ""
    for page in dash.page_registry.values():
        if app.strip_relative_path(page["relative_path"]) == stripped and page.get("order") is not None:
            return page["module"].split(".")[-1].replace("_", "-")
    return "other"


def _reject_constant(name):
    raise ValueError(f"{name} is not a number")


def parse_beacon(request, app, measured=None) -> tuple[list[tuple[str, float, bool]], list[str]]:
    """Validate a web-vitals beacon completely before anything is stored.

    Names are bounded by construction: vitals by page (registered pages, else
    ``other``); render timings by page and component, where only the
    components ``measured`` declares for that page count and anything else
    folds into ``render.other.other``.
    """
    measured = measured or {}
    length = request.content_length
    if length is not None and length > MAX_BEACON_BYTES:
        raise BadRequest(f"beacon larger than {MAX_BEACON_BYTES} bytes", 413)
    raw = request.get_data(cache=False, as_text=False)[: MAX_BEACON_BYTES + 1]
    if len(raw) > MAX_BEACON_BYTES:
        raise BadRequest(f"beacon larger than {MAX_BEACON_BYTES} bytes", 413)
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as error:
        raise BadRequest(f"body must be JSON without NaN or Infinity: {str(error)[:100]}") from None
    except RecursionError:
        raise BadRequest("body is nested too deeply") from None
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = set(body) - {"page", "vitals", "renders"}
    if unknown:
        raise BadRequest(f"unknown fields: {', '.join(sorted(map(str, unknown)))[:100]}")
    page = body.get("page")
    if not isinstance(page, str) or len(page) > 300:
        raise BadRequest("page must be a path string")
    slug = page_slug(page, app)
    vitals, renders = body.get("vitals", []), body.get("renders", [])
    if not isinstance(vitals, list) or len(vitals) > MAX_VITALS:
        raise BadRequest(f"vitals must be a list of at most {MAX_VITALS} items")
    if not isinstance(renders, list) or len(renders) > MAX_RENDERS:
        raise BadRequest(f"renders must be a list of at most {MAX_RENDERS} items")
    records: list[tuple[str, float, bool]] = []
    counts: list[str] = []
    for item in vitals:
        if not isinstance(item, dict) or set(item) - {"name", "value", "rating", "id", "navigation"}:
            raise BadRequest("each vital is an object with name and value")
        name, value = item.get("name"), _number(item.get("value"), "vital value")
        if name not in VITAL_THRESHOLDS:
            raise BadRequest(
                f"unknown vital {str(name)[:20]!r}; expected one of {', '.join(VITAL_THRESHOLDS)}"
            )
        if not 0 <= value <= VITAL_MAXIMUM.get(name, 600_000.0):
            raise BadRequest(f"{name} value out of range")
        records.append((f"web_vitals.{slug}.{name}", value, False))
        counts.append(f"web_vitals.{slug}.{name}.{rating(name, value)}")
    for item in renders:
        if not isinstance(item, dict) or set(item) - {"component", "duration_ms"}:
            raise BadRequest("each render is an object with component and duration_ms")
        component = item.get("component")
        if not isinstance(component, str) or not COMPONENT_PATTERN.match(component):
            raise BadRequest("component must be one of our ids (lowercase letters, digits, dashes)")
        duration = _number(item.get("duration_ms"), "duration_ms")
        if not 0 <= duration <= 600_000:
            raise BadRequest("duration_ms out of range")
        known = component in measured.get(slug, ())
        records.append((f"render.{slug}.{component}" if known else "render.other.other", duration, True))
    return records, counts


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadRequest(f"{what} must be a finite number")
    return float(value)


__all__ = ["create_blueprint", "MetricsError", "build_report", "parse_beacon", "rating"]
