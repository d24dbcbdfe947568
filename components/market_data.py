"""The Market data page's pieces: the as-of statement, the import history, the admins' upload."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.ids import MARKET
from components.tables import scrolling


def as_of_lines(as_of) -> list:
    """How current the prices are (a ``PricesAsOf``): the date, then what it means."""
    return [html.P(as_of.label, className="h5 mb-1"), html.P(as_of.detail, className="small text-muted")]


def as_of_panel(as_of) -> html.Div:
    return html.Div(as_of_lines(as_of), id=MARKET.AS_OF)


def history_table(records) -> html.Div:
    if not records:
        return html.P("No prices have been imported: the bundled prices are in use.", className="text-muted")
    header = html.Thead(
        html.Tr(
            [html.Th(h) for h in ("Imported", "File", "By", "Prices", "Replaced", "New securities", "Dates")]
        )
    )
    rows = [
        html.Tr(
            [
                html.Td(f"{r.when:%Y-%m-%d %H:%M} UTC"),
                html.Td(r.source),
                html.Td(r.imported_by),
                html.Td(f"{r.added:,}"),
                html.Td(f"{r.replaced:,}"),
                html.Td(r.new_securities.replace(",", ", ") or "-"),
                html.Td(f"{r.first_date} to {r.last_date}"),
            ]
        )
        for r in records
    ]
    return scrolling(dbc.Table([header, html.Tbody(rows)], size="sm", striped=True), "Price imports")


def upload_section(max_bytes: int, admin: bool) -> dbc.Card:
    """A price file, validated whole, imported in one transaction (docs/operations.md); administrators
    only (for anyone else the control is disabled and says why; the server refuses them too)."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Import prices", className="h5"),
                html.P(
                    [
                        "A CSV with a date column first: date,ticker,close, or date followed by one column per "
                        "ticker (like the bundled files). Every line is checked; if any is wrong nothing is "
                        "imported and each problem is listed. Importing the same file again changes nothing.",
                    ],
                    className="small text-muted",
                ),
                html.P(
                    "Administrators import prices. To have newer prices or another security added, ask one: "
                    "once imported, a new ticker can be chosen on Optimisation and Backtest and held through "
                    "a statement import on the Overview, and every page values holdings at the latest prices.",
                    className="small mb-2",
                    id=MARKET.ANALYST_NOTE,
                )
                if not admin
                else None,
                dbc.Checkbox(
                    id=MARKET.REPLACE,
                    disabled=not admin,
                    label="Correct prices already held that differ (otherwise the file is refused)",
                    value=False,
                    className="mb-2",
                ),
                html.Div(
                    html.Label(
                        dcc.Upload(
                            dbc.Button(
                                "Choose a CSV file",
                                color="secondary",
                                outline=True,
                                size="sm",
                                disabled=not admin,
                            ),
                            id=MARKET.UPLOAD,
                            disabled=not admin,
                            accept=".csv,text/csv",
                            max_size=max_bytes,
                            multiple=False,
                        )
                    ),
                    **{"data-upload-max-bytes": str(max_bytes), "data-upload-result": MARKET.RESULT},
                ),
                html.Div(id=MARKET.RESULT, className="mt-2"),
            ]
        ),
        className="mb-3",
    )
