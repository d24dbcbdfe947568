"""The metrics store (timings, counters, sketches), its Prometheus mirror and the Flask/SQLAlchemy hooks
that feed it. A low layer: the cache, the analytics and the app record into it; the HTTP API and the
reports that read it live above, in ``dashboard.observability``."""
