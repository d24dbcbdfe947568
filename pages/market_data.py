"""Market data: how current the prices are, every import so far, and (admins) the price upload.

Not in the navigation bar: every page's "Prices as of ..." line links here.
"""

import dash
from dash import html

from components.ids import MARKET
from components.market_data import as_of_panel, history_table, upload_section
from dashboard.forms.statement import MAX_BYTES
from dashboard.services.access import current_user
from dashboard.services.prices import import_history, prices_as_of

dash.register_page(__name__, path="/market-data", title="Market data · Meridian", name="Market data")


def layout(**_kwargs):
    admin = current_user().is_admin
    return html.Div(
        [
            html.H1("Market data", className="h3"),
            as_of_panel(prices_as_of()),
            upload_section(MAX_BYTES)
            if admin
            else html.P(
                "Administrators import newer prices here (or operators with python -m dashboard prices import).",
                className="small text-muted",
            ),
            html.H2("Imports", className="h5 mt-3"),
            html.Div(history_table(import_history()), id=MARKET.HISTORY),
        ]
    )
