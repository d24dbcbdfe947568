"""What every analysis page's callbacks share: validating the form, the household, error alerts, CSV."""

from __future__ import annotations

import csv
import io

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.forms import marks, raw_values
from dashboard.access import authorize_household
from dashboard.errors import describe
from dashboard.forms import Field, FormErrors, validate

__all__ = ["FormErrors", "read_form", "household_or_none", "error_alert", "notice", "csv_download"]


def read_form(fields: list[Field], values: list, ids: list) -> tuple[dict, dict, dict, list, list]:
    """(clean values, errors by field, raw values, field classes, field messages); raises nothing."""
    raw = raw_values(values, ids)
    clean, errors = validate(fields, raw)
    classes, messages = marks(ids, errors, {f.name: f for f in fields})
    return clean, errors, raw, classes, messages


def household_or_none(raw):
    """The chosen household if the current user may see it; None when nothing is chosen yet."""
    if raw is None:
        return None
    return authorize_household(raw)


def error_alert(error: Exception) -> dbc.Alert:
    """The page's alert for a failure: the engine's or validation's own words, else a logged, generic line."""
    message, color = describe(error)
    return dbc.Alert(message, color=color, className="page-alert")


def notice(text: str) -> html.P:
    return html.P(text, className="text-muted page-notice")


def csv_download(header: list[str], rows: list[list], filename: str) -> dict:
    """A ``dcc.Download`` payload with the rows as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return dcc.send_string(buffer.getvalue(), filename)


def _cell(value):
    """A CSV cell; text that a spreadsheet would run as a formula is quoted as text."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
