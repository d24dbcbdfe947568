"""Shown for any path no page claims."""

import dash
import dash_bootstrap_components as dbc
from dash import html

dash.register_page(__name__, path="/404", title="Page not found · Meridian", name="Not found")


def layout(**_kwargs):
    return html.Div(
        [
            html.H1("Page not found", className="h3"),
            html.P("There is no page at this address."),
            dbc.Button("Go to the overview", href=dash.get_relative_path("/"), color="primary"),
        ],
        className="not-found",
    )
