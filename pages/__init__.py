"""One module per route: ``dash.register_page`` and ``def layout(**kwargs)``; assembly only."""
