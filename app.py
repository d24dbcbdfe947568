"""Entry point: ``gunicorn app:server`` (see gunicorn.conf.py)."""

from callbacks import UI
from dashboard.factory import create_app

app = create_app(ui=UI)
server = app.server
