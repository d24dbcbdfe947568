"""Monte Carlo: simulate the chosen household's wealth under a return model and cash flows.

The form is built from the field specs in ``components.monte_carlo``; the URL
query carries every field, so a copied link re-runs the same simulation (same
seed, same numbers). Large runs go to a background job with a progress bar.
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.forms import form_field
from components.monte_carlo import FIELDS, PAGE
from components.page import analysis_layout
from dashboard.forms import from_query

dash.register_page(__name__, path="/monte-carlo", title="Monte Carlo · Meridian", name="Monte Carlo", order=3)


def layout(**query):
    values = from_query(FIELDS, query)
    progress = html.Div(
        [
            dbc.Progress(id="mc-progress", value=0, label="", striped=True, animated=True, className="mb-2"),
            dbc.Button("Cancel", id="mc-cancel", color="danger", size="sm", outline=True),
        ],
        id="mc-progress-area",
        style={"display": "none"},
    )
    return analysis_layout(
        PAGE,
        "Monte Carlo",
        [form_field(PAGE, f, values[f.name]) for f in FIELDS],
        "Run simulation",
        [progress, dcc.Loading(html.Div(id="mc-results"), type="default", delay_show=200)],
        stores=[dcc.Store(id="mc-job"), dcc.Store(id="mc-job-state")],
    )
