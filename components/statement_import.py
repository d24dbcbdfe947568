"""The Overview's statement import: the upload (account, kind, file) and what came of it (the rows
imported, or every problem with its row and column). Formats: docs/import-format.md."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids


def import_section(max_bytes: int) -> dbc.Card:
    """Upload a statement CSV (transactions or holdings, at most ``max_bytes``) into one of the household's accounts."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Import a statement", className="h5"),
                html.P(
                    [
                        "A CSV of transactions or holdings (format: docs/import-format.md). Every row is checked; ",
                        "if any is wrong nothing is imported and each problem is listed.",
                    ],
                    className="small text-muted",
                ),
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label(
                                    "Account",
                                    html_for=ids.OVERVIEW_IMPORT_ACCOUNT,
                                    className="visually-hidden",
                                ),
                                dbc.Select(id=ids.OVERVIEW_IMPORT_ACCOUNT, options=[]),
                            ],
                            md=4,
                        ),
                        dbc.Col(
                            dbc.RadioItems(
                                id=ids.OVERVIEW_IMPORT_KIND,
                                className="statement-kind",
                                value="transactions",
                                inline=True,
                                options=[
                                    {"label": "Transactions", "value": "transactions"},
                                    {"label": "Holdings (lots)", "value": "holdings"},
                                ],
                            ),
                            md=4,
                        ),
                        dbc.Col(
                            # data-upload-*: the browser says at once why a file is refused
                            # (assets/meridian.js, guardUpload), which the upload control does not
                            html.Label(
                                dcc.Upload(
                                    dbc.Button(
                                        "Choose a CSV file", color="secondary", outline=True, size="sm"
                                    ),
                                    id=ids.OVERVIEW_IMPORT_UPLOAD,
                                    accept=".csv,text/csv",
                                    max_size=max_bytes,
                                    multiple=False,
                                ),
                                **{
                                    "data-upload-max-bytes": str(max_bytes),
                                    "data-upload-result": ids.OVERVIEW_IMPORT_RESULT,
                                },
                            ),
                            md=4,
                        ),
                    ],
                    className="g-2 align-items-center",
                ),
                dcc.Loading(html.Div(id=ids.OVERVIEW_IMPORT_RESULT, className="mt-2"), type="default"),
            ]
        ),
        className="mt-3",
    )


def import_result(result) -> dbc.Alert | html.Div:
    if result.ok:
        noun = {"transactions": "transaction", "holdings": "lot"}.get(result.kind, "row")
        plural = "" if result.imported == 1 else "s"
        return dbc.Alert(
            f"Imported {result.imported:,} {noun}{plural} into {result.account}.",
            color="success",
            id=ids.OVERVIEW_IMPORT_OK,
        )
    rows = [html.Tr([html.Td(e.row), html.Td(e.column), html.Td(e.message)]) for e in result.errors]
    more = result.total_errors - len(result.errors)
    return html.Div(
        [
            dbc.Alert(
                f"Nothing was imported: {result.total_errors:,} problem{'s' if result.total_errors != 1 else ''} "
                "in the file. Fix them and upload it again.",
                color="warning",
            ),
            dbc.Table(
                [
                    html.Thead(html.Tr([html.Th("Row"), html.Th("Column"), html.Th("Problem")])),
                    html.Tbody(rows),
                ],
                size="sm",
                id=ids.OVERVIEW_IMPORT_ERRORS,
            ),
            html.P(f"… and {more:,} more." if more > 0 else "", className="small text-muted"),
        ]
    )
