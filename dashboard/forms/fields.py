"""Form fields described once: the layout draws them, the callbacks validate them, the URL carries them.

A page declares its fields (:class:`Field`); :func:`validate` turns raw values
(from the browser, a URL or a tampered request) into clean values plus one
message per bad field, shown next to that field. Percent fields are entered
and shown in percent and handed to the engine as fractions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from dashboard.errors import InvalidInput

NUMBER, INTEGER, CHOICE, DATE, TEXT, MULTI = "number", "integer", "choice", "date", "text", "multi"
# a choice whose options the page fills in (e.g. the household's saved runs): text here, checked by the page
SELECT = "select"
MAX_TEXT = 2000
MAX_MULTI = 40


# Choices read when used, from a source the app registers at start (e.g. the securities in the database,
# which the forms may not read themselves), registered by name.


_SOURCES: dict[str, Callable] = {}
SECURITY_CHOICES = "securities"  # () -> ((ticker, "TICKER · Name"), ...): every security in the catalogue
SECTOR_OF = "sector_of"  # (ticker) -> its sector


def provide(name: str, source: Callable) -> None:
    """Register a source: the choices of fields with ``source=name``, or a lookup the forms use."""
    _SOURCES[name] = source


def source(name: str, default: Callable) -> Callable:
    """The registered source ``name``, or ``default`` until the app registers one."""
    return _SOURCES.get(name, default)


class FormErrors(InvalidInput):
    """Some fields are invalid; the form shows each message next to its field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("Fix the highlighted fields." if len(errors) != 1 else next(iter(errors.values())))
        self.errors = errors


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = NUMBER
    default: object = None
    low: float | None = None
    high: float | None = None
    required: bool = True
    choices: tuple[tuple[object, str], ...] = ()  # (value, label)
    percent: bool = False  # shown in percent, handed over as a fraction
    step: float | str = "any"
    help: str = ""
    empty: str = "None"  # what the empty choice of a SELECT field is called
    multiline: bool = False  # a TEXT field of several lines
    source: str = ""  # choices from the registered source of that name (``choices``: until one is)

    def options(self) -> tuple[tuple[object, str], ...]:
        """(value, label) of every choice now."""
        return source(self.source, lambda: self.choices)() if self.source else self.choices

    def allowed(self) -> list:
        return [value for value, _ in self.options()]


def _parse_number(raw) -> float | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str) and len(raw) <= 40:
        value = float(raw.replace(",", "").replace("_", "").strip())
    else:
        raise ValueError
    if not math.isfinite(value):
        raise ValueError
    return value


def validate(fields: Sequence[Field], raw: Mapping[str, object]) -> tuple[dict, dict[str, str]]:
    """Clean values (percent fields as fractions) and ``{field name: message}`` for bad ones."""
    clean: dict = {}
    errors: dict[str, str] = {}
    for field in fields:
        value = raw.get(field.name, field.default)
        try:
            clean[field.name] = _clean(field, value)
        except ValueError as error:
            errors[field.name] = str(error) or f"Enter a valid {field.label.lower()}."
    return clean, errors


def plain_number(value: float) -> str:
    """A bound as the page writes numbers: 1,000,000 and 2,147,483,647, never 1e+06."""
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.10g}"


def _clean(field: Field, value):
    if field.kind in (NUMBER, INTEGER):
        what = "a whole number" if field.kind == INTEGER else "a number"
        try:
            number = _parse_number(value)
        except (ValueError, TypeError):
            raise ValueError(f"{field.label} must be {what}.") from None
        if number is None:
            if field.required:
                # the browser sends nothing for text typed into a number box, or for 5.5 in a whole-number one
                raise ValueError(f"Enter {what} for {field.label.lower()}.")
            return None
        if field.kind == INTEGER and number != int(number):
            raise ValueError(f"{field.label} must be a whole number.")
        if field.low is not None and number < field.low or field.high is not None and number > field.high:
            unit = " %" if field.percent else ""
            raise ValueError(
                f"{field.label} must be between {plain_number(field.low)}{unit} and "
                f"{plain_number(field.high)}{unit}."
            )
        if field.kind == INTEGER:
            return int(number)
        return number / 100.0 if field.percent else number
    if field.kind == CHOICE:
        if value not in field.allowed():
            raise ValueError(f"Choose one of the options for {field.label.lower()}.")
        return value
    if field.kind == MULTI:
        values = (
            value
            if isinstance(value, list | tuple)
            else ([] if value in (None, "") else str(value).split(","))
        )
        allowed = set(field.allowed())
        unknown = [str(v) for v in values if not isinstance(v, str) or v not in allowed]
        if unknown:
            raise ValueError(f"Not a choice for {field.label.lower()}: {', '.join(unknown[:10])}.")
        if len(values) > MAX_MULTI:
            raise ValueError(f"{field.label}: choose at most {MAX_MULTI} ({len(values)} chosen).")
        if field.required and not values:
            raise ValueError(f"Choose at least one of the {field.label.lower()}.")
        return list(dict.fromkeys(values))
    if field.kind == DATE:
        if value in (None, ""):
            if field.required:
                raise ValueError(f"{field.label} is required.")
            return None
        try:
            day = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            raise ValueError(f"{field.label} must be a date (YYYY-MM-DD).") from None
        return day.isoformat()
    if value is None:
        value = ""
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValueError(f"{field.label} must be text of at most {MAX_TEXT} characters.")
    if field.required and not value.strip():
        raise ValueError(f"{field.label} is required.")
    return value


def display_value(field: Field, clean_value):
    """A clean value as the form shows it (fractions back to percent)."""
    if clean_value is None:
        return None
    if field.percent and field.kind == NUMBER:
        return round(clean_value * 100, 10)
    return clean_value


# -- the URL -------------------------------------------------------------------------------------


def from_query(fields: Sequence[Field], query: Mapping[str, object]) -> tuple[dict, dict[str, str]]:
    """(form values, {field: message}) from a page's query parameters (a link).

    A value the link gives that cannot be used is kept as it came, not replaced by a default, and
    named in the messages: the field shows it marked, and the page's run refuses it like any other
    bad value, so nothing runs on settings the analyst did not ask for.
    """
    values: dict = {}
    errors: dict[str, str] = {}
    for field in fields:
        raw = query.get(field.name)
        if raw is None:
            values[field.name] = field.default
            continue
        if field.kind == MULTI and isinstance(raw, str):
            raw = [v for v in raw.split(",") if v]
        try:
            values[field.name] = display_value(field, _clean(field, raw))
        except ValueError as error:
            values[field.name] = raw if isinstance(raw, str | list) else str(raw)
            errors[field.name] = f"From the link: {error}"
    return values, errors


def to_query(fields: Sequence[Field], values: Mapping[str, object], household: int | None) -> str:
    """``?household=..&field=..`` for the form's current (display) values; empty values left out."""
    params: dict[str, str] = {}
    if household is not None:
        params["household"] = str(household)
    for field in fields:
        value = values.get(field.name)
        if value is None or value == "" or value == []:
            continue
        params[field.name] = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return "?" + urlencode(params)


def parse_search(search: str | None) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}


def raw_values(values: list, ids: list) -> dict:
    """``{field name: raw value}`` from the values and pattern ids of a form's fields (as a callback gets them)."""
    return {i["index"]: v for i, v in zip(ids, values, strict=False) if isinstance(i, dict) and "index" in i}


@dataclass(frozen=True)
class Reading:
    """A form as submitted: clean values, one message per bad field, and the raw values (for the URL)."""

    clean: dict
    errors: dict[str, str]
    raw: dict

    def check(self) -> dict:
        """The clean values, or FormErrors naming every bad field."""
        if self.errors:
            raise FormErrors(self.errors)
        return self.clean


@dataclass(frozen=True)
class Form:
    """A page's form: its fields under one id namespace.

    Every field's control has the id ``{"type": "<key>-field", "index": <name>}``
    (see ``components.forms``), so one callback reads every value with ``ALL``.
    """

    key: str
    fields: tuple[Field, ...]
    # fields that apply only with some values of the ``switch`` field (e.g. the GBM's inputs only with
    # the GBM model): {field name: (switch values)}; the page shows them only then
    applies: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    switch: str | None = None
    by_name: dict[str, Field] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    def shown_with(self, name: str) -> tuple[str, ...]:
        """The switch values with which field ``name`` is shown (empty: always)."""
        return tuple(self.applies.get(name, ()))

    def _validate(self, raw: Mapping[str, object]) -> tuple[dict, dict[str, str]]:
        """``validate``, except that a field which does not apply to the switch's value is not read:
        it takes its default (hidden on the page, it cannot be what stops a run)."""
        clean, errors = validate(self.fields, raw)
        if self.switch is not None and self.switch not in errors:
            for name, values in self.applies.items():
                if name in self.by_name and clean[self.switch] not in values:
                    errors.pop(name, None)
                    clean[name] = _clean(self.by_name[name], self.by_name[name].default)
        return clean, errors

    def read_raw(self, raw: Mapping[str, object]) -> tuple[dict, dict[str, str]]:
        """(clean values, errors by field) of raw values; raises nothing."""
        return self._validate(raw)

    def read(self, values: list, ids: list) -> Reading:
        """Validate the values a callback received; raises nothing."""
        raw = raw_values(values, ids)
        clean, errors = self._validate(raw)
        return Reading(clean, errors, raw)

    def clean(self, raw: Mapping[str, object]) -> dict:
        """Clean values of raw ones (a URL, a saved scenario, a job); FormErrors when any is bad."""
        clean, errors = self._validate(raw)
        return Reading(clean, errors, dict(raw)).check()

    def defaults(self) -> dict:
        """Clean values of the defaults."""
        return self.clean({})

    def from_query(self, query: Mapping[str, object]) -> tuple[dict, dict[str, str]]:
        return from_query(self.fields, query)

    def to_query(self, raw: Mapping[str, object], household: int | None) -> str:
        return to_query(self.fields, raw, household)

    def canonical_query(self, clean: Mapping[str, object], household: int) -> str:
        """The validated request as a query (what a saved run keeps): the form's fields only, each as
        the form shows its clean value; parameters the browser added are not in it."""
        return to_query(
            self.fields, {f.name: display_value(f, clean.get(f.name)) for f in self.fields}, household
        )
