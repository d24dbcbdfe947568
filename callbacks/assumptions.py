"""Assumptions: the sets and the chosen one's figures; the CSV download; administrators' import and edit,
each a new version (validated whole first: nothing is added when anything is wrong)."""

from __future__ import annotations

import dataclasses

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.analysis import error_alert
from components.assumptions import editor, set_view, sets_table
from components.ids import CMA
from dashboard.data.securities import SECURITIES
from dashboard.errors import AccessDenied, InvalidInput
from dashboard.forms import assumptions as csv_format
from dashboard.forms.statement import decode_upload
from dashboard.services import assumptions as firm
from dashboard.services.access import current_user
from dashboard.services.prices import tickers_held

MAX_NOTE = 500


def _chosen(value) -> firm.AssumptionsRef | None:
    """The set the page shows: the one chosen, else the one in force, else the newest."""
    if value not in (None, ""):
        text = str(value)
        if not (text.isascii() and text.isdigit() and len(text) <= 10):
            raise InvalidInput("Choose one of the sets listed.")
        return firm.get_ref(int(text))
    sets = firm.list_sets()
    return firm.in_force() or (sets[0] if sets else None)


def _security_rows(cma) -> list[tuple]:
    """(ticker, name, class label, beta, own volatility, expected return, volatility, listed) for every
    security the set lists or the database holds."""
    held = tickers_held()
    tickers = list(dict.fromkeys([s.ticker for s in cma.securities] + held))
    mu, cov = cma.statistics(tickers)
    labels = {c.key: c.label for c in cma.classes}
    rows = []
    for i, t in enumerate(tickers):
        exposure, listed = cma.exposure(t)
        name = SECURITIES.get(t, ("", ""))[0]
        rows.append(
            (
                t,
                name,
                labels[exposure.asset_class],
                exposure.beta,
                exposure.idiosyncratic_volatility,
                float(mu[i]),
                float(cov[i, i]) ** 0.5,
                listed,
            )
        )
    return rows


@dash.callback(
    Output(CMA.CHOICE, "options"),
    Output(CMA.CHOICE, "value"),
    Output(CMA.CONTENT, "children"),
    Output(CMA.EDITOR, "children"),
    Output(CMA.WHO, "children"),
    Output(CMA.UPLOAD, "disabled"),
    Output(CMA.UPLOAD_BUTTON, "disabled"),
    Output(CMA.NOTE, "disabled"),
    Output(CMA.TOOLS, "className"),
    Input(CMA.CHOICE, "value"),
    Input(CMA.VERSION, "data"),
)
def show_set(chosen, _version):
    """Every set, the chosen one's figures, and (administrators) the editor on it."""
    admin = current_user().is_admin
    who = "" if admin else "Only administrators change the firm's assumptions."
    locked = (not admin,) * 3
    try:
        sets = firm.list_sets()
        current = firm.in_force()
        if ctx.triggered_id == CMA.VERSION and sets:
            ref = max(sets, key=lambda s: s.id)  # a set was just added: show it
        else:
            ref = _chosen(chosen)
    except Exception as error:  # noqa: BLE001 - shown on the page
        return no_update, no_update, error_alert(error), None, who, *locked, ""
    options = [
        {
            "label": s.label + (" · in force" if current is not None and s.id == current.id else ""),
            "value": str(s.id),
        }
        for s in sets
    ]
    if ref is None:
        empty = dbc.Alert(firm.NO_ASSUMPTIONS, color="warning")
        return options, None, empty, None, who, *locked, ""
    cma = firm.load(ref.id)
    rows = _security_rows(cma)
    view = [
        set_view(ref, cma, cma.classes, rows),
        html.H3("Versions", className="h6 mt-3"),
        sets_table(sets, None if current is None else current.id),
    ]
    edit = None
    if admin:
        edit = editor(cma, [(t, *_exposure(cma, t)) for t, *_ in rows])
    # the tools appear with the set's figures (drawn hidden: nothing below the figures moves when they come)
    return options, str(ref.id), view, edit, who, *locked, ""


def _exposure(cma, ticker: str) -> tuple:
    exposure, listed = cma.exposure(ticker)
    return exposure.asset_class, exposure.beta, exposure.idiosyncratic_volatility, listed


@dash.callback(
    Output(CMA.DOWNLOAD, "data"),
    Output(CMA.RESULT, "children", allow_duplicate=True),
    Input(CMA.DOWNLOAD_BUTTON, "n_clicks"),
    State(CMA.CHOICE, "value"),
    prevent_initial_call=True,
)
def download_set(_clicks, chosen):
    """The set on screen as the CSV the import reads (edit it and import it again: a new version)."""
    try:
        ref = _chosen(chosen)
        if ref is None:
            raise InvalidInput(firm.NO_ASSUMPTIONS)
        text = csv_format.to_csv(firm.load(ref.id))
    except Exception as error:  # noqa: BLE001 - shown on the page
        return no_update, error_alert(error)
    return dcc.send_string(text, f"assumptions-set-{ref.id}-{ref.effective:%Y%m%d}.csv"), None


def _note(note) -> str:
    if note is None:
        return ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise InvalidInput(f"The note must be text of at most {MAX_NOTE} characters.")
    return note.strip()


def _admin() -> str:
    user = current_user()
    if not user.is_admin:
        raise AccessDenied("Only administrators change the firm's assumptions.")
    return user.email


def _added(ref: firm.AssumptionsRef, version) -> tuple:
    message = dbc.Alert(
        f"Added {ref.label}. Runs that used earlier sets keep them; new runs use the set in force.",
        color="success",
        className="mb-0",
    )
    return message, (version if isinstance(version, int) else 0) + 1


@dash.callback(
    Output(CMA.RESULT, "children"),
    Output(CMA.VERSION, "data"),
    Output(CMA.UPLOAD, "contents"),
    Input(CMA.UPLOAD, "contents"),
    State(CMA.UPLOAD, "filename"),
    State(CMA.NOTE, "value"),
    State(CMA.VERSION, "data"),
    prevent_initial_call=True,
)
def import_set(contents, filename, note, version):
    """A CSV file, validated whole, added as a new set; the upload is cleared so the same file can be
    chosen again (and say so again)."""
    if contents is None:
        raise PreventUpdate
    try:
        email = _admin()
        parsed = csv_format.parse(decode_upload(contents, filename))
        note = _note(note)
        if note:
            parsed = _with_note(parsed, note)
        ref = firm.create(parsed, str(filename)[:200], f"admin:{email}")
    except Exception as error:  # noqa: BLE001 - shown beside the upload
        return error_alert(error), no_update, None
    return *_added(ref, version), None


def _with_note(parsed, note: str):
    return dataclasses.replace(parsed, method=f"{parsed.method} {note}".strip())


@dash.callback(
    Output(CMA.RESULT, "children", allow_duplicate=True),
    Output(CMA.VERSION, "data", allow_duplicate=True),
    Input(CMA.SAVE, "n_clicks"),
    State(CMA.edits(ALL), "value"),
    State(CMA.edits(ALL), "id"),
    State(CMA.CHOICE, "value"),
    State(CMA.NOTE, "value"),
    State(CMA.VERSION, "data"),
    prevent_initial_call=True,
)
def save_edit(clicks, values, edit_ids, chosen, note, version):
    """The editor's figures as a new version edited from the set on screen (validated whole)."""
    if not clicks:
        raise PreventUpdate
    try:
        email = _admin()
        base = _chosen(chosen)
        if base is None:
            raise InvalidInput(firm.NO_ASSUMPTIONS)
        parsed = csv_format.from_records(_records(values, edit_ids), "the editor")
        method = f"Edited from set {base.id} on the Assumptions page."
        note = _note(note)
        parsed = _with_note(parsed, f"{method} {note}".strip())
        ref = firm.create(parsed, "the Assumptions page", f"admin:{email}", based_on=base.id)
    except Exception as error:  # noqa: BLE001 - shown beside the editor
        return error_alert(error), no_update
    return _added(ref, version)


def _records(values: list, edit_ids: list) -> list[tuple[str, dict]]:
    """The editor's inputs as the CSV's records: (where, row) for ``csv_format.from_records``."""
    grouped: dict[tuple[str, str], dict] = {}
    for value, edit_id in zip(values or [], edit_ids or [], strict=False):
        index = edit_id.get("index") if isinstance(edit_id, dict) else None
        parts = index.split("|") if isinstance(index, str) else []
        if len(parts) != 3:
            raise InvalidInput("The editor's request was malformed.")
        record, key, column = parts
        if isinstance(value, bool) or not (value is None or isinstance(value, str | int | float)):
            raise InvalidInput("The editor's request was malformed.")
        text = "" if value is None else str(value)
        if record == "set":
            grouped[(record, key)] = {"record": "set", "key": key, "value": text}
        elif record == "correlation":
            grouped[(record, f"{key}|{column}")] = {
                "record": "correlation",
                "key": key,
                "with": column,
                "correlation": text,
            }
        else:
            grouped.setdefault((record, key), {"record": record, "key": key})[column] = text
    where = {
        "set": "The set's {key}",
        "class": "Class {key}",
        "correlation": "The correlation {key}",
        "security": "Security {key}",
    }
    return [
        (where.get(record, "{key}").format(key=key.replace("|", " / ")), row)
        for (record, key), row in grouped.items()
    ]
