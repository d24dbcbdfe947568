"""Form controls drawn from ``dashboard.forms.Field`` specs, with their validation message beside them.

Every field of a page has the id ``{"type": "<page>-field", "index": <name>}``
and its message ``{"type": "<page>-feedback", "index": <name>}``, so one
callback can read every value and mark every bad field (``ALL`` patterns).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Output, State, dcc, html

from dashboard.forms import CHOICE, DATE, INTEGER, MULTI, NUMBER, Field


def return_model_fields() -> list[Field]:
    """The model choice every household simulation offers: its holdings (parametric) or GBM."""
    return [
        Field(
            "model",
            "Return model",
            CHOICE,
            "parametric",
            choices=(("parametric", "Household holdings (parametric)"), ("gbm", "Geometric Brownian motion")),
        ),
        Field("mu", "Expected return, GBM", NUMBER, 6.0, -50, 50, percent=True),
        Field("sigma", "Volatility, GBM", NUMBER, 12.0, 0, 150, percent=True),
        Field("start", "Statistics from", DATE, "2008-04-11", required=False),
    ]


def field_id(page: str, name: str) -> dict:
    return {"type": f"{page}-field", "index": name}


def feedback_id(page: str, name: str) -> dict:
    return {"type": f"{page}-feedback", "index": name}


def form_field(page: str, field: Field, value=None, width: int | None = None) -> dbc.Col:
    """Label, control, message slot and help text for one field."""
    control_id = field_id(page, field.name)
    label = f"{field.label} (%)" if field.percent else field.label
    if field.kind in (NUMBER, INTEGER):
        # No min/max on the element: the browser would hand back an empty value for an out-of-range
        # number, and the server's message ("must be between ...") is the one the analyst should see.
        control = dbc.Input(
            id=control_id,
            type="number",
            value=value,
            step=1 if field.kind == INTEGER else field.step,
            debounce=True,
            inputMode="decimal",
        )
    elif field.kind == CHOICE:
        control = dbc.Select(
            id=control_id, value=value, options=[{"label": lbl, "value": v} for v, lbl in field.choices]
        )
    elif field.kind == MULTI:
        control = dcc.Dropdown(
            id=control_id,
            value=value or [],
            multi=True,
            className="meridian-dropdown",
            options=[{"label": lbl, "value": v} for v, lbl in field.choices],
        )
    elif field.kind == DATE:
        # Text, not type="date": a controlled date input is reset by React while a date is half
        # typed, so typing one would never work. The server reads YYYY-MM-DD and says so if not.
        control = dbc.Input(
            id=control_id,
            type="text",
            value=value,
            debounce=True,
            placeholder="YYYY-MM-DD",
            maxLength=10,
            pattern=r"\d{4}-\d{2}-\d{2}",
        )
    else:
        control = dbc.Input(id=control_id, type="text", value=value, debounce=True, maxLength=2000)
    parts = [
        dbc.Label(label, html_for=_html_id(page, field.name), className="small mb-1"),
        html.Div(control, id=_html_id(page, field.name) + "-wrap"),
        html.Div(id=feedback_id(page, field.name), className="invalid-feedback d-block small"),
    ]
    if field.help:
        parts.append(dbc.FormText(field.help, className="small"))
    return dbc.Col(parts, md=width or 6, className="mb-2")


def _html_id(page: str, name: str) -> str:
    return f"{page}-{name.replace('_', '-')}"


def field_states(page: str) -> list[State]:
    return [State(field_id(page, ALL), "value"), State(field_id(page, ALL), "id")]


def field_outputs(page: str) -> list[Output]:
    return [Output(field_id(page, ALL), "className"), Output(feedback_id(page, ALL), "children")]


def raw_values(values: list, ids: list) -> dict:
    return {i["index"]: v for i, v in zip(ids, values, strict=False) if isinstance(i, dict) and "index" in i}


def marks(ids: list, errors: dict[str, str], fields: dict[str, Field]) -> tuple[list, list]:
    """(className per field, message per field) in layout order."""
    classes, messages = [], []
    for i in ids:
        name = i.get("index") if isinstance(i, dict) else None
        field = fields.get(name)
        base = "meridian-dropdown" if field is not None and field.kind == MULTI else ""
        bad = name in errors
        classes.append(f"{base} is-invalid".strip() if bad else base)
        messages.append(errors.get(name, ""))
    return classes, messages
