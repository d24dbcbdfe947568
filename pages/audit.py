"""Audit trail, for administrators: who signed in, opened or changed which household's data, downloaded
what, and when; filtered by user, household, action and dates, a page at a time, exported as CSV.
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.audit import filters
from components.ids import AUDIT
from dashboard.forms.audit import ACTIONS

dash.register_page(__name__, path="/audit", title="Audit trail · Meridian", name="Audit trail", order=12)


def layout(**_kwargs):
    return html.Div(
        [
            dcc.Store(id=AUDIT.CURSOR),
            html.H1("Audit trail", className="h3"),
            html.P(
                "Every sign-in (and refused one), sign-out, household opened, change to a household's data, "
                "download, user change and metrics reset, newest first. Records are never changed.",
                className="text-muted",
            ),
            filters(ACTIONS),
            html.Div(
                [
                    dbc.Button("Show", id=AUDIT.SHOW, color="primary", size="sm", className="me-2"),
                    dbc.Button(
                        "Newest",
                        id=AUDIT.NEWEST,
                        color="secondary",
                        outline=True,
                        size="sm",
                        className="me-2",
                    ),
                    dbc.Button(
                        "Older",
                        id=AUDIT.OLDER,
                        color="secondary",
                        outline=True,
                        size="sm",
                        className="me-2",
                        disabled=True,
                    ),
                    html.A(
                        "Download CSV", id=AUDIT.EXPORT, href="", className="btn btn-outline-secondary btn-sm"
                    ),
                ],
                className="mb-2",
            ),
            html.Div(id=AUDIT.ALERT, role="status"),
            html.P(id=AUDIT.SUMMARY, className="small text-muted", role="status"),
            html.Div(id=AUDIT.RESULTS),
        ]
    )
