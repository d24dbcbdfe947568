"""Form controls drawn from ``dashboard.forms`` field specs, with their validation message beside them.

Every field of a form has the id ``ids.field(<form key>, <name>)`` and its
message ``ids.feedback(<form key>, <name>)``, so one callback can read every
value and mark every bad field (``ALL`` patterns).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Output, State, html

from components import ids
from dashboard.forms.fields import CHOICE, DATE, INTEGER, MULTI, NUMBER, SELECT, Field, Form


def form_field(
    form: str,
    field: Field,
    value=None,
    width: int | None = None,
    error: str = "",
    shown_with: tuple[str, ...] = (),
    hidden: bool = False,
) -> dbc.Col:
    """Label, control, message slot and help text for one field of the form keyed ``form`` (``error``:
    the field starts marked with that message; ``shown_with``: the switch values it applies to,
    ``hidden``: it does not apply to the switch's value now)."""
    control_id = ids.field(form, field.name)
    options = [{"label": lbl, "value": v} for v, lbl in field.options()]
    if error and field.kind in (CHOICE, MULTI):
        # a link's value that is not a choice stays (a control would drop a value it has no option
        # for, and the run would go ahead without it): shown as not available, refused by the run
        given = value if isinstance(value, list) else [value]
        allowed = field.allowed()
        options += [
            {"label": f"{v} (not available)", "value": v, "disabled": True} for v in given if v not in allowed
        ]
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
        control = dbc.Select(id=control_id, value=value, options=options)
    elif field.kind == SELECT:
        # the options come from the page's own callback; the value a link gave is kept until they do
        # (dbc.Select draws a hidden placeholder option of value "": it shows the empty choice's name)
        kept = [{"label": f"#{value}", "value": value}] if value else []
        control = dbc.Select(
            id=control_id,
            value=value or "",
            placeholder=field.empty,
            options=[{"label": field.empty, "value": ""}, *kept],
        )
    elif field.kind == MULTI:
        # checkboxes in a group named by its legend: each labelled, operable with Tab and Space
        # (a multi-value dropdown names itself by its current value and hides its focus target)
        control = dbc.Checklist(
            id=control_id,
            value=value or [],
            options=options,
            className=MULTI_CLASS,
            inline=len(options) <= 8,
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
    elif field.multiline:
        control = dbc.Textarea(id=control_id, value=value, debounce=True, maxLength=2000, rows=3)
    else:
        control = dbc.Input(id=control_id, type="text", value=value, debounce=True, maxLength=2000)
    message = html.Div(
        error,
        id=ids.feedback(form, field.name),
        className="invalid-feedback d-block small",
        role="status",  # a message appearing beside its field is read out
    )
    if field.kind == MULTI:
        parts = [
            html.Fieldset([html.Legend(label, className="small mb-1 form-label"), control], className="mb-0")
        ]
    else:
        parts = [
            dbc.Label(label, html_for=ids.dom_id(control_id), className="small mb-1"),
            html.Div(control, id=_html_id(form, field.name) + "-wrap"),
        ]
    parts.append(message)
    if field.help:
        parts.append(dbc.FormText(field.help, className="small"))
    if error:
        base = MULTI_CLASS if field.kind == MULTI else ""
        control.className = f"{base} is-invalid".strip()
    return dbc.Col(
        parts,
        md=width or 6,
        className=box_class(hidden),
        id=ids.field_box(form, field.name, " ".join(shown_with)),
    )


MULTI_CLASS = "form-checklist"


def box_class(hidden: bool) -> str:
    """A field box's classes (``assets/meridian.js`` ``fieldsFor`` writes the same)."""
    return "mb-2 d-none" if hidden else "mb-2"


def form_fields(
    form: Form, values: dict | tuple[dict, dict], wide: frozenset[str] = frozenset()
) -> list[dbc.Col]:
    """Every field of ``form`` with its value (or ``(values, errors)`` from a link: bad ones marked);
    ``wide`` fields take the whole row; fields that do not apply to the switch's value are hidden."""
    values, errors = values if isinstance(values, tuple) else (values, {})
    switched = values.get(form.switch) if form.switch else None
    return [
        form_field(
            form.key,
            f,
            values.get(f.name),
            12 if f.name in wide else 6,
            errors.get(f.name, ""),
            form.shown_with(f.name),
            bool(form.shown_with(f.name)) and switched not in form.shown_with(f.name),
        )
        for f in form.fields
    ]


def field_boxes(form: str) -> dict:
    """Every field box of the form keyed ``form`` (``ALL``), for the callback that shows and hides them."""
    return ids.field_box(form, ALL, ALL)


def _html_id(form: str, name: str) -> str:
    return f"{form}-{name.replace('_', '-')}"


def field_states(form: str) -> list[State]:
    return [State(ids.field(form, ALL), "value"), State(ids.field(form, ALL), "id")]


def field_outputs(form: str) -> list[Output]:
    return [Output(ids.field(form, ALL), "className"), Output(ids.feedback(form, ALL), "children")]


def marks(field_ids: list, errors: dict[str, str], fields: dict[str, Field]) -> tuple[list, list]:
    """(className per field, message per field) in layout order."""
    classes, messages = [], []
    for i in field_ids:
        name = i.get("index") if isinstance(i, dict) else None
        field = fields.get(name)
        base = MULTI_CLASS if field is not None and field.kind == MULTI else ""
        bad = name in errors
        classes.append(f"{base} is-invalid".strip() if bad else base)
        messages.append(errors.get(name, ""))
    return classes, messages
