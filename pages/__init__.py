"""One module per route: ``dash.register_page`` and ``def layout(**kwargs)``; assembly only.

A layout is a function of its address (the query) and of the catalogue of securities its forms offer:
each worker keeps the response to an address and answers the same request with it (dashboard/answers.py,
``KeptLayouts``). A layout that opens with live data (the user's, the moment's) reads it through
``dash.get_app().view(path)``, which the UI hands over (``Ui.views``): such a layout is drawn every time.
"""
