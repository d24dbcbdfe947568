"""The app's entries besides ``app.py`` (the web's, ``gunicorn app:server``): the command line
(``python -m meridian``: migrate, seed, prices, assumptions, users, reports) and the Celery worker
(``celery --app meridian.worker:celery_app worker``). Like ``app.py`` they stand above everything else:
they hand ``create_app`` the UI it serves (``callbacks.UI``), and nothing imports them."""
