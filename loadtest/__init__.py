"""``make load``: locust against the production configuration (``run``), with the user classes that
drive the app as analysts do (``locustfile``, run in locust's own virtualenv ``.venv-load``)."""
