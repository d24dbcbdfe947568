"""Market data: how current the prices are, every import so far, and (admins) the price upload.

In the navigation bar's "Data" menu; every page's "Prices as of ..." line links here too.
"""

import dash
from dash import html

from components.ids import MARKET
from components.market_data import as_of_panel, history_table, upload_section

PATH = "/market-data"
dash.register_page(__name__, path=PATH, title="Market data · Meridian", name="Market data", order=10)


def layout(**_kwargs):
    view = dash.get_app().view(PATH)  # callbacks/market_data.py page_view, handed over by the UI
    return html.Div(
        [
            html.H1("Market data", className="h3"),
            as_of_panel(view["as_of"]),
            upload_section(view["max_bytes"], view["admin"]),
            html.H2("Imports", className="h5 mt-3"),
            html.Div(history_table(view["history"]), id=MARKET.HISTORY),
        ]
    )
