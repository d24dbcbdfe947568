"""Meridian's server side, by job (see docs/architecture.md):

- ``factory``: ``create_app(settings=None, ui=callbacks.UI)``, called by the entries (``app.py``,
  ``meridian/``); ``settings``, ``extensions``, ``background``, ``hardening`` and ``errors`` beside it;
- ``cache/``: keys, stores, each worker's layer, what it does during an outage, the extension;
- ``data/``: the database (engine, sessions, models, migrations), market data, demo data;
- ``services/``: households, goals, threads, transactions, imports, access: the only code
  that opens database sessions;
- ``forms/``: what each page's form accepts, validated once into typed requests;
- ``analytics/``: the cached engine facade, one module per concern;
- ``metrics/``: the metrics store, its sketches, Prometheus mirror and the hooks that feed it (low);
- ``observability/``: the metrics HTTP API and the reports operators read (high).
"""
