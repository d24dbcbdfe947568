"""What the tests, the benchmarks and the load runs share to drive the app as its users do: ``serve``
(a seeded instance, gunicorn in production mode, a free port), ``dash_client`` (signing in through the
form, Dash requests built from the app's own layout), ``site`` (the app's pages) and ``tables``
(aligned figures). Standard library only at import, so locust's own virtualenv can use it."""
