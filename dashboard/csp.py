"""The Content-Security-Policy every response carries, and what the browsers' violation reports become.

Scripts run only from the app's own origin, plus Dash's inline scripts by their hashes
(``Dash.csp_hashes()``: the renderer's start-up line and any inline clientside callback); no
``unsafe-inline`` and no ``unsafe-eval`` for scripts (the partial plotly.js bundle and every
clientside function need neither). Styles allow inline ``style`` attributes, which React and
plotly.js write. A violation is reported to ``POST /api/v1/csp-report``: validated, rate-limited per
address and counted in the metrics store by directive (the Operations page lists them).
"""

from __future__ import annotations

import json
import threading
import time

REPORT_PATH = "api/v1/csp-report"
MAX_REPORT_BYTES = 8 * 1024
REPORTS_PER_MINUTE = 30  # per client address and process: a page under attack cannot flood the store
# The directives a report may name (anything else is counted as "other"): metric names stay bounded.
DIRECTIVES = (
    "default-src",
    "script-src",
    "script-src-elem",
    "script-src-attr",
    "style-src",
    "style-src-elem",
    "style-src-attr",
    "img-src",
    "font-src",
    "connect-src",
    "object-src",
    "base-uri",
    "form-action",
    "frame-ancestors",
    "frame-src",
    "worker-src",
    "media-src",
    "manifest-src",
)
METRIC_PREFIX = "csp."
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)
HSTS = "max-age=31536000; includeSubDomains"


def policy(script_hashes: list[str], frame_ancestors: list[str], report_uri: str) -> str:
    """The policy as served: ``script_hashes`` from ``Dash.csp_hashes()``."""
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": list(frame_ancestors),
        "report-uri": [report_uri],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class ReportError(ValueError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def parse_report(raw: bytes, content_type: str | None) -> str:
    """The directive a violation report names (one of DIRECTIVES, else "other"); ReportError when the
    body is not a report. Reads the CSP Level 2 ``{"csp-report": {...}}`` form and the Reporting API's
    ``[{"type": "csp-violation", "body": {...}}]``."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind not in ("application/csp-report", "application/json", "application/reports+json"):
        raise ReportError("a CSP report is application/csp-report or application/reports+json", 415)
    if len(raw) > MAX_REPORT_BYTES:
        raise ReportError(f"a report is at most {MAX_REPORT_BYTES} bytes", 413)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ReportError("the report is not JSON") from None
    if isinstance(body, list) and len(body) == 1 and isinstance(body[0], dict):
        if body[0].get("type") != "csp-violation" or not isinstance(body[0].get("body"), dict):
            raise ReportError("not a CSP violation report")
        report, key = body[0]["body"], "effectiveDirective"
    elif isinstance(body, dict) and isinstance(body.get("csp-report"), dict):
        report, key = body["csp-report"], "effective-directive"
    else:
        raise ReportError("not a CSP violation report")
    directive = report.get(key) or report.get("violated-directive") or report.get("violatedDirective")
    if not isinstance(directive, str) or not directive:
        raise ReportError("the report names no directive")
    directive = directive.split()[0].lower()
    return directive if directive in DIRECTIVES else "other"


class RateLimit:
    """At most ``per_minute`` events per key in any minute (a sliding window), in this process."""

    def __init__(self, per_minute: int = REPORTS_PER_MINUTE, keys: int = 10_000):
        self.per_minute, self.keys = per_minute, keys
        self._seen: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._seen) >= self.keys and key not in self._seen:
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - 60}
                if len(self._seen) >= self.keys:
                    return False
            recent = [t for t in self._seen.get(key, ()) if t > now - 60]
            allowed = len(recent) < self.per_minute
            if allowed:
                recent.append(now)
            self._seen[key] = recent
            return allowed
