"""The Overview's transactions grid: AG Grid's infinite row model, paged, sorted and filtered by the
server (``callbacks/overview.py``); its library is loaded on demand, its space reserved meanwhile."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import html

from components import ids

TRANSACTION_COLUMNS = [
    {"field": "date", "headerName": "Date", "filter": "agDateColumnFilter", "sort": "desc", "width": 120},
    {"field": "account", "headerName": "Account", "filter": "agTextColumnFilter", "width": 170},
    {"field": "type", "headerName": "Type", "filter": "agTextColumnFilter", "width": 110},
    {
        "field": "description",
        "headerName": "Description",
        "filter": "agTextColumnFilter",
        "flex": 1,
        "minWidth": 180,
    },
    {"field": "category", "headerName": "Category", "filter": "agTextColumnFilter", "width": 130},
    {"field": "ticker", "headerName": "Ticker", "filter": "agTextColumnFilter", "width": 95},
    {
        "field": "quantity",
        "headerName": "Qty",
        "filter": "agNumberColumnFilter",
        "type": "rightAligned",
        "width": 90,
    },
    {
        "field": "amount",
        "headerName": "Amount",
        "filter": "agNumberColumnFilter",
        "type": "rightAligned",
        "width": 130,
        "valueFormatter": {"function": "d3.format('$,.2f')(params.value)"},
    },
]


GRID_HEIGHT = "560px"
# The package whose script the index leaves out; the Overview loads it before drawing its grid.
GRID_LIBRARY = "dash_ag_grid"


def transactions_placeholder() -> html.Div:
    """The grid's space, reserved while its library loads (nothing below moves when it arrives)."""
    return html.Div(
        html.Div("Loading transactions…", className="text-muted small p-3"),
        className="grid-placeholder border rounded",
        style={"height": GRID_HEIGHT},
    )


def transactions_grid(key: str):
    """A server-side (infinite row model) grid: the server pages, sorts and filters."""
    grid = dag.AgGrid(
        id=ids.OVERVIEW_TRANSACTIONS,
        rowModelType="infinite",
        columnDefs=TRANSACTION_COLUMNS,
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "filterParams": {"maxNumConditions": 2, "buttons": ["reset"]},
        },
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": 50,
            "cacheBlockSize": 50,
            "maxBlocksInCache": 6,
            "rowBuffer": 0,
            "infiniteInitialRowCount": 50,
            "animateRows": False,
        },
        style={"height": GRID_HEIGHT},
    )
    # a new key per household and account: React mounts a fresh grid, which asks for its first block
    return html.Div(grid, key=key)
