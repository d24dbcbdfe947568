"""Audit: the trail for administrators, filtered, a page at a time (keyset paging), and its CSV link.

The filter applied is kept with the page on screen: "Older" pages on through what is shown, and the
CSV link exports it, whatever the fields say since.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
from dash import Input, Output, State, ctx, no_update

from callbacks.analysis import error_alert
from components.audit import events_table, summary
from components.ids import AUDIT
from dashboard.errors import AccessDenied, InvalidInput
from dashboard.services import audit
from dashboard.services.access import current_user

FIELDS = ("user", "household", "action", "since", "until")


def _admin() -> None:
    if not current_user().is_admin:
        raise AccessDenied("The audit trail is for administrators.")


def export_href(raw: dict) -> str:
    query = urlencode({k: v for k, v in raw.items() if v not in (None, "")})
    return dash.get_relative_path("/audit.csv") + (f"?{query}" if query else "")


@dash.callback(
    Output(AUDIT.RESULTS, "children"),
    Output(AUDIT.SUMMARY, "children"),
    Output(AUDIT.CURSOR, "data"),
    Output(AUDIT.OLDER, "disabled"),
    Output(AUDIT.EXPORT, "href"),
    Output(AUDIT.ALERT, "children"),
    Input(AUDIT.SHOW, "n_clicks"),
    Input(AUDIT.OLDER, "n_clicks"),
    Input(AUDIT.NEWEST, "n_clicks"),
    State(AUDIT.USER, "value"),
    State(AUDIT.HOUSEHOLD, "value"),
    State(AUDIT.ACTION, "value"),
    State(AUDIT.SINCE, "value"),
    State(AUDIT.UNTIL, "value"),
    State(AUDIT.CURSOR, "data"),
)
def show_trail(_show, _older, _newest, user, household, action, since, until, cursor):
    """The newest matching records (Show, Newest) or the next older page of the filter on screen."""
    try:
        _admin()
        if ctx.triggered_id == AUDIT.OLDER:
            if not isinstance(cursor, dict) or not isinstance(cursor.get("filter"), dict):
                raise InvalidInput("Show the records first.")
            raw = {k: cursor["filter"].get(k) for k in FIELDS}
            before = cursor.get("older")
            if isinstance(before, bool) or not isinstance(before, int):
                raise InvalidInput("There are no older records.")
        else:
            raw = dict(zip(FIELDS, (user, household, action, since, until), strict=True))
            before = None
        chosen = audit.parse_filter(**raw)
        found = audit.page(chosen, before, count=before is None)
    except Exception as error:  # noqa: BLE001 - shown on the page, nothing else changes
        return no_update, no_update, no_update, no_update, no_update, error_alert(error)
    # counted on the first page; an older page says the count the first one found
    total = found.total if before is None else cursor.get("total")
    kept = {"filter": raw, "older": found.older, "total": total}
    return (
        events_table(found.rows, audit.AUDIT_ACTIONS),
        summary(total, len(found.rows), before is None),
        kept,
        found.older is None,
        export_href(raw),
        None,
    )
