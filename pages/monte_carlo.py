"""Monte Carlo: simulate the chosen household's wealth under a return model and cash flows.

The form is built from the field specs in ``dashboard.forms.monte_carlo``; the
URL query carries every field, so a copied link re-runs the same simulation
(same seed, same numbers). Large runs go to a background job with a progress bar.
"""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.forms import form_fields
from components.ids import MC
from components.page import analysis_layout
from dashboard.forms.monte_carlo import FORM

dash.register_page(__name__, path="/monte-carlo", title="Monte Carlo · Meridian", name="Monte Carlo", order=3)


def layout(**query):
    # under the run button, where the analyst is looking when a large run starts; the count is text
    # beside the bar (inside a narrow bar it would be clipped)
    progress = html.Div(
        [
            html.Progress(
                id=MC.PROGRESS,
                value=0,
                max=100,
                className="w-100 mb-1",
                **{"aria-label": "Simulation progress"},
            ),
            html.Div(
                [
                    html.Span(id=MC.PROGRESS_TEXT, className="small text-muted me-2", role="status"),
                    dbc.Button("Cancel", id=MC.CANCEL, color="danger", size="sm", outline=True),
                ],
                className="d-flex align-items-center flex-wrap",
            ),
        ],
        id=MC.PROGRESS_AREA,
        className="mt-3",
        style={"display": "none"},
    )
    return analysis_layout(
        MC.frame,
        "Monte Carlo",
        form_fields(FORM, FORM.from_query(query)),
        "Run simulation",
        [dcc.Loading(html.Div(id=MC.frame.results), type="default", delay_show=200)],
        stores=[dcc.Store(id=MC.JOB), dcc.Store(id=MC.JOB_STATE)],
        beside_actions=[progress],
        projects=True,
    )
