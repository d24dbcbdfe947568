"""Client report: compose a household review from saved runs (or fresh runs of the pages' defaults),
preview it here as the printable page, make its PDF in the background, save it with a thread.

Printing this page (the Print button, or the browser's) prints the report only: the composer and the
app's chrome are not printed (assets/report.css).
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.forms import form_fields
from components.ids import REPORT
from dashboard.forms.report import FORM

dash.register_page(__name__, path="/report", title="Client report · Meridian", name="Client report")


def layout(**query):
    composer = dbc.Card(
        dbc.CardBody(
            [
                dbc.Row(
                    form_fields(FORM, FORM.from_query(query), wide=frozenset({"title", "sections", "note"})),
                    className="g-2",
                ),
                html.Div(
                    [
                        dbc.Button("Preview", id=REPORT.PREVIEW, color="primary", className="me-2"),
                        dbc.Button(
                            "Print", id=REPORT.PRINT, color="secondary", outline=True, className="me-2"
                        ),
                        dbc.Button(
                            "Download PDF", id=REPORT.PDF, color="secondary", outline=True, disabled=True
                        ),
                    ],
                    className="mt-2",
                ),
                html.Div(id=REPORT.PDF_NOTE, className="mt-2"),
                html.Div(
                    html.Div(
                        [
                            html.Span(
                                id=REPORT.PROGRESS_TEXT, className="small text-muted me-2", role="status"
                            ),
                            dbc.Button("Cancel", id=REPORT.CANCEL, color="danger", size="sm", outline=True),
                        ],
                        className="d-flex align-items-center flex-wrap",
                    ),
                    id=REPORT.PROGRESS_AREA,
                    className="mt-2",
                    style={"display": "none"},
                ),
                html.Div(id=REPORT.PDF_RESULT, className="mt-2", **{"aria-live": "polite"}),
            ]
        )
    )
    saving = dbc.Card(
        dbc.CardBody(
            [
                html.H2("Save with a thread", className="h6"),
                html.P(
                    "The report is kept with the thread; its fresh runs are saved into the thread too, so it "
                    "gives the same numbers when produced again.",
                    className="small text-muted",
                ),
                dbc.Label("Thread", html_for=REPORT.THREAD, className="small mb-1"),
                dbc.Select(id=REPORT.THREAD, options=[], className="mb-2"),
                dbc.Label("Or a new thread's title", html_for=REPORT.THREAD_TITLE, className="small mb-1"),
                dbc.Input(id=REPORT.THREAD_TITLE, maxLength=200, className="mb-2"),
                dbc.Button("Save report", id=REPORT.SAVE, color="secondary", size="sm"),
                html.Div(id=REPORT.SAVE_RESULT, className="small mt-2", **{"aria-live": "polite"}),
            ]
        ),
        className="mt-3",
    )
    return html.Div(
        [
            dcc.Location(id=REPORT.URL, refresh=False),
            dcc.Store(id=REPORT.SHOWN),
            dcc.Store(id=REPORT.JOB),
            dcc.Store(id=REPORT.JOB_STATE),
            html.H1("Client report", className="h3 d-print-none"),
            dbc.Row(
                [
                    dbc.Col([composer, saving], lg=4, className="d-print-none report-composer"),
                    dbc.Col(
                        [
                            html.Div(id=REPORT.ALERT, className="d-print-none", **{"aria-live": "polite"}),
                            dcc.Loading(
                                html.Div(id=REPORT.DOCUMENT, className="report-page"),
                                type="default",
                                delay_show=200,
                            ),
                        ],
                        lg=8,
                        className="report-column",
                    ),
                ],
                className="g-3",
            ),
        ]
    )
