"""The JSON Dash sends, written in one pass.

Dash serialises every callback response, layout and the callback map with plotly's ``to_json_plotly``.
With orjson installed that first tries ``orjson.dumps`` as is; any object orjson does not know - a Dash
component is enough, and nearly every response holds one - makes it throw that away and *clean* the
whole value in Python, element by element (every number of every figure), before dumping again. Under
load that was a fifth of the workers' interpreter time (docs/performance.md, "Serialising responses").

:func:`to_json` writes the same bytes in one orjson pass: orjson walks dicts, lists, strings and numbers
itself and hands every other object to a hook - a component to its ``to_plotly_json()`` (its dict is
walked by orjson in turn), a numeric array to orjson's own numpy writer, anything else to plotly's
cleaning of that one object, dumped with plotly's options. Then the same characters as plotly's are
escaped (``<``, ``>`` and ``/``: a response cannot close a script tag; U+2028/9). Where orjson would
take an object natively but plotly's cleaning turns it into something else (dates and datetimes,
subclasses of str/int/dict/list, dataclasses, numpy scalars and arrays of other kinds), the object goes
to the hook, so the output is plotly's cleaned output (tests/dashboard/test_wire.py compares them).
Whatever the hook cannot write falls back to plotly's own function, errors included.

Dash has no setting for its serialiser: :func:`install` puts this function where Dash's modules look it
up (``dash._callback.to_json`` for responses, ``dash.dash.to_json`` for the layout, the index's config
and the callback map), once per process; tests/dashboard/test_wire.py checks that a served response
came from it.

The other way, every callback's request body (the page's inputs and form, kilobytes) is read by Flask's
JSON provider: :class:`RequestJSON` reads it with orjson, several times faster than Python's reader,
and leaves to Python's reader what orjson would read differently, so every body reads as it did.
"""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd
from dash.development.base_component import Component
from flask.json.provider import DefaultJSONProvider
from plotly.io._json import clean_to_json_compatible
from plotly.io.json import to_json_plotly

# what orjson writes itself: plain dicts, lists, tuples, str, int, float, bool, None; the rest to the hook
_OPTIONS = (
    orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
)
# plotly's own options, for what its cleaning returns
_PLOTLY_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
_MODULES = {"sage_all": None, "np": np, "pd": pd, "image": None}
_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("/", "\\u002f"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)
_NUMERIC = frozenset("biuf")


def _write(obj):
    if isinstance(obj, Component):
        return obj.to_plotly_json()
    if isinstance(obj, dict):  # a subclass (Dash's AttributeDict): plotly's cleaning rebuilds it as a dict
        return dict(obj.items())
    if isinstance(obj, list | tuple) and obj:  # a subclass, or a named tuple: rebuilt as a list
        return list(obj)
    if type(obj) is np.ndarray and obj.dtype.kind in _NUMERIC:
        return orjson.Fragment(orjson.dumps(np.ascontiguousarray(obj), option=_PLOTLY_OPTIONS))
    cleaned = clean_to_json_compatible(obj, numpy_allowed=True, datetime_allowed=True, modules=_MODULES)
    return orjson.Fragment(orjson.dumps(cleaned, option=_PLOTLY_OPTIONS))


def to_json(value) -> str:
    """``value`` as the JSON string plotly's ``to_json_plotly`` writes for it."""
    try:
        text = orjson.dumps(value, default=_write, option=_OPTIONS).decode("utf8")
    except TypeError:
        return to_json_plotly(value)  # its own way, and its own error for what cannot be written
    for unsafe, safe in _ESCAPES:
        if unsafe in text:
            text = text.replace(unsafe, safe)
    return text


def install() -> None:
    """Make Dash write its responses, layouts and callback map with :func:`to_json` (idempotent)."""
    import dash._callback
    import dash.dash

    dash._callback.to_json = to_json
    dash.dash.to_json = to_json


# every digit as "0": nineteen in a row may be an integer beyond 64 bits (orjson: a float; Python: an int)
_DIGITS_AS_ZEROS = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_NUMBER = b"0" * 19


class RequestJSON(DefaultJSONProvider):
    """Flask's JSON provider (its ``dumps`` and responses as they are), reading with orjson. What orjson
    refuses and Python's reader takes (NaN, Infinity, 1e400, a lone surrogate), a number of nineteen
    digits or more (beyond 64 bits orjson reads a float where Python reads an int), and reads Flask asks
    with options go to Python's reader, as before: the same values, the same errors."""

    def loads(self, s, **kwargs):
        if not kwargs:
            text = s.encode() if isinstance(s, str) else s
            if _LONG_NUMBER not in text.translate(_DIGITS_AS_ZEROS):
                try:
                    return orjson.loads(text)
                except orjson.JSONDecodeError:
                    pass
        return super().loads(s, **kwargs)
