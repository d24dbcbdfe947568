"""Observability: the metrics store and its sketches, automatic instrumentation, Prometheus, the metrics API."""
