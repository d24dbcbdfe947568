"""Entry point: ``gunicorn app:server`` (see gunicorn.conf.py)."""

from dashboard.factory import create_app

app = create_app()
server = app.server
