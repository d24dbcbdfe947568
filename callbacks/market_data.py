"""Market data: an administrator's price upload, imported like the operator's command."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from callbacks.analysis import error_alert
from components.ids import MARKET
from components.market_data import as_of_lines, history_table
from dashboard.errors import AccessDenied
from dashboard.forms.statement import MAX_BYTES, decode_upload
from dashboard.services.access import current_user
from dashboard.services.prices import import_history, import_prices, parse_price_file, prices_as_of


def page_view() -> dict:
    """What the page opens with: the as-of date, the imports, whether this user may upload."""
    return {
        "as_of": prices_as_of(),
        "history": import_history(),
        "admin": current_user().is_admin,
        "max_bytes": MAX_BYTES,
    }


@dash.callback(
    Output(MARKET.RESULT, "children"),
    Output(MARKET.HISTORY, "children"),
    Output(MARKET.AS_OF, "children"),
    Output(MARKET.UPLOAD, "contents"),
    Input(MARKET.UPLOAD, "contents"),
    State(MARKET.UPLOAD, "filename"),
    State(MARKET.REPLACE, "value"),
    prevent_initial_call=True,
)
def upload_prices(contents, filename, replace):
    """Validate the whole file, then import it in one transaction; the upload is cleared so the same
    file can be sent again."""
    if contents is None:
        raise PreventUpdate
    try:
        user = current_user()
        if not user.is_admin:
            raise AccessDenied("Only administrators import prices.")
        rows = parse_price_file(decode_upload(contents, filename))
        report = import_prices(rows, str(filename), f"admin:{user.email}", replace=replace is True)
    except Exception as error:  # noqa: BLE001 - shown beside the upload
        return error_alert(error), dash.no_update, dash.no_update, None
    color = "success" if report.added or report.replaced else "info"
    done = dbc.Alert(report.message, color=color, className="mb-0")
    return done, history_table(import_history()), as_of_lines(prices_as_of()), None
