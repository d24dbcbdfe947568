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


def checked_form(fields: list[Field], values: list, ids: list, household_id) -> tuple[dict, object]:
    """(clean values, household) for callbacks that act on the form as it stands; raises on anything wrong."""
    household = authorize_household(household_id)
    clean, errors = validate(fields, raw_values(values, ids))
    if errors:
        raise FormErrors(errors)
    return clean, household


def household_or_none(raw):
    """The chosen household if the current user may see it; None when nothing is chosen yet."""
    if raw is None:
        return None
    return authorize_household(raw)


def error_alert(error: Exception) -> dbc.Alert:
    """The page's alert for a failure: the engine's or validation's own words, else a logged, generic line."""
    message, color = describe(error)
    return dbc.Alert(message, color=color, className="page-alert")


def notice(text: str, notice_id: str | None = None) -> html.P:
    if notice_id is None:
        return html.P(text, className="text-muted page-notice")
    return html.P(text, className="text-muted page-notice", id=notice_id)


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


def register_analysis(prefix: str, fields: list[Field], compute, render, csv_table, noun: str, summarise):
    """The run and download callbacks of a simple analysis page (form -> one result -> panel, CSV),
    and how its runs are summarised when saved to a thread.

    ``compute(clean, household, refresh) -> result`` goes through the cached
    facade; ``render(result) -> children``; ``csv_table(result) -> (header,
    rows)``; ``summarise(result, clean) -> (seed, summary)``. Ids follow
    ``components.page.analysis_layout`` plus ``<prefix>-results``.
    """
    import dash
    from dash import Output, ctx, no_update

    from callbacks.threads import register_summary
    from components.forms import field_outputs
    from components.threads import ids as thread_ids
    from dashboard.forms import to_query

    register_summary(
        prefix, fields, lambda clean, household: summarise(compute(clean, household, False), clean)
    )

    @dash.callback(
        *field_outputs(prefix),
        Output(f"{prefix}-results", "children"),
        Output(f"{prefix}-alert", "children"),
        Output(f"{prefix}-url", "search"),
        Output(thread_ids("scenario", prefix), "data"),
        *run_triggers(prefix),
    )
    def run(_run, _recompute, household_id, values, field_ids):
        clean, errors, raw, classes, messages = read_form(fields, values, field_ids)
        try:
            household = household_or_none(household_id)
            if household is None:
                return (
                    classes,
                    messages,
                    notice(f"Choose a household to see its {noun}."),
                    None,
                    no_update,
                    None,
                )
            if errors:
                raise FormErrors(errors)
            result = compute(clean, household, ctx.triggered_id == f"{prefix}-recompute")
            search = to_query(fields, raw, household.id)
            return classes, messages, render(result), None, search, search
        except Exception as error:  # noqa: BLE001 - shown on the page
            return classes, messages, no_update, error_alert(error), no_update, None

    download = register_download(
        prefix, fields, prefix, lambda clean, household: csv_table(compute(clean, household, False))
    )

    return run, download


def run_triggers(prefix: str, form_page: str | None = None) -> list:
    """A run callback's inputs: its run and recompute buttons, the household, then every field of the form."""
    from dash import Input

    from components import ids
    from components.forms import field_states

    return [
        Input(f"{prefix}-run", "n_clicks"),
        Input(f"{prefix}-recompute", "n_clicks"),
        Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
        *field_states(form_page or prefix),
    ]


def register_download(prefix: str, fields: list[Field], form_page: str, make_csv):
    """The "Download CSV" callback of a page: ``make_csv(clean, household) -> (header, rows)`` from the form as it is."""
    import dash
    from dash import Input, Output, State

    from components import ids
    from components.forms import field_states

    @dash.callback(
        Output(f"{prefix}-download", "data"),
        Input(f"{prefix}-download-button", "n_clicks"),
        State(ids.SHELL_HOUSEHOLD_SELECT, "value"),
        *field_states(form_page),
        prevent_initial_call=True,
    )
    def download(_clicks, household_id, values, field_ids):
        clean, household = checked_form(fields, values, field_ids, household_id)
        header, rows = make_csv(clean, household)
        seed = f"-seed{clean['seed']}" if clean.get("seed") is not None else ""
        return csv_download(header, rows, f"{prefix}-{household.id}{seed}.csv")

    return download
