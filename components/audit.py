"""The Audit page's pieces: the filters, one page of the trail, the paging and export controls."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.ids import AUDIT
from components.tables import scrolling

HEADERS = ("When (UTC)", "Who", "Action", "Household", "What", "Detail", "Outcome", "From")


def filters(actions: dict[str, str]) -> dbc.Row:
    """Who, which household, what and when; each a labelled field."""

    def field(label: str, control, width: int = 2) -> dbc.Col:
        return dbc.Col([dbc.Label(label, html_for=control.id, className="small mb-1"), control], md=width)

    return dbc.Row(
        [
            field("User (email)", dbc.Input(id=AUDIT.USER, type="email", maxLength=255), 3),
            field(
                "Household number",
                dbc.Input(id=AUDIT.HOUSEHOLD, type="text", inputMode="numeric", maxLength=10),
            ),
            field(
                "Action",
                dbc.Select(
                    id=AUDIT.ACTION,
                    value="",
                    options=[{"label": "Every action", "value": ""}]
                    + [{"label": label, "value": key} for key, label in actions.items()],
                ),
                3,
            ),
            field("From", dbc.Input(id=AUDIT.SINCE, type="text", placeholder="YYYY-MM-DD", maxLength=10)),
            field("To", dbc.Input(id=AUDIT.UNTIL, type="text", placeholder="YYYY-MM-DD", maxLength=10)),
        ],
        className="g-2 mb-2",
    )


def events_table(events, actions: dict[str, str]) -> html.Div:
    """One page of records, newest first."""
    if not events:
        return html.P("No records match.", className="text-muted", id=AUDIT.TABLE)
    body = [
        html.Tr(
            [
                html.Td(e.at.strftime("%Y-%m-%d %H:%M:%S"), className="text-nowrap"),
                html.Td(e.user_email),
                html.Td(actions.get(e.action, e.action)),
                html.Td("" if e.household_id is None else str(e.household_id), className="text-end"),
                html.Td(e.target),
                html.Td(e.detail, className="small"),
                html.Td(e.outcome if e.outcome == "ok" else html.Strong(e.outcome)),
                html.Td(e.address, className="small text-muted"),
            ]
        )
        for e in events
    ]
    table = dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in HEADERS])), html.Tbody(body)],
        size="sm",
        striped=True,
        id=AUDIT.TABLE,
    )
    return scrolling(table, "Audit records")


def summary(total: int | None, shown: int, newest: bool) -> str:
    counted = "" if total is None else f"{total:,} records match. "
    where = "the newest" if newest else "older"
    return f"{counted}Showing {shown:,} {where} records." if shown else counted.strip()
