"""What a file meant for a spreadsheet may hold: text that would run as a formula is written as text."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A CSV cell: None as empty, text a spreadsheet would run as a formula quoted as text."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value
