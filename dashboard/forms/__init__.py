"""Forms: the one validation boundary.

``fields`` describes form fields and validates raw values (from the browser, a
URL or a tampered request); each page's module declares its form and builds
the typed request the analytics facade takes. Below this line nobody checks
a form value again (the engine keeps its own guards, as a public library should).
"""
