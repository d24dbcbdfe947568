"""Observability for operators: the metrics HTTP API (browser beacons in, reports and Prometheus out) and
the reports read by the Performance page. The store they read is ``dashboard.metrics`` (a lower layer)."""
