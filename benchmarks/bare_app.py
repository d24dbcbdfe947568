"""A bare Dash app with one trivial callback: the anchor the callback benchmarks are measured against
(served by the same gunicorn configuration as Meridian, ``gunicorn benchmarks.bare_app:server``)."""

import dash
from dash import Input, Output, dcc, html

app = dash.Dash(__name__)
app.layout = html.Div([dcc.Input(id="bare-in", value="x"), html.Div(id="bare-out")])


@app.callback(Output("bare-out", "children"), Input("bare-in", "value"))
def echo(value):
    return value


server = app.server
