"""Overview panels built from a ``HouseholdSnapshot`` (the page's transactions grid and statement import
have their own modules: ``components/transactions.py``, ``components/statement_import.py``).

Figures are plain dicts (cheap to build in a hot callback); tables are plain
Bootstrap tables because these lists are short. Text from the database is
passed as component children, which React escapes, never as raw HTML.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.cards import stat_card
from components.formatting import money, percent
from components.graphs import MONEY_TICKS, graph
from components.tables import scrolling

ACCOUNT_TYPE_LABELS = {
    "taxable": "Taxable",
    "ira": "Traditional IRA",
    "roth_ira": "Roth IRA",
    "401k": "401(k)",
    "checking": "Checking",
    "savings": "Savings",
}


def summary_cards(snapshot) -> dbc.Row:
    as_of = snapshot.as_of.isoformat() if snapshot.as_of else "no prices"
    return dbc.Row(
        [
            stat_card("Net worth", money(snapshot.net_worth), card_id=ids.OVERVIEW_NET_WORTH),
            stat_card("Invested", money(snapshot.invested), card_id=ids.OVERVIEW_INVESTED),
            stat_card("Cash", money(snapshot.cash), card_id=ids.OVERVIEW_CASH),
            stat_card("Valued as of", as_of, card_id=ids.OVERVIEW_VALUED_AS_OF),
        ],
        className="g-3 mb-3",
    )


def allocation_figure(allocation: dict[str, float], title: str) -> dict:
    labels = list(allocation)
    values = [round(v, 2) for v in allocation.values()]
    return {
        "data": [
            {
                "type": "pie",
                "labels": labels,
                "values": values,
                "hole": 0.55,
                "sort": False,
                "textinfo": "label+percent",
                "textposition": "inside",
                "insidetextorientation": "horizontal",
                "hovertemplate": "%{label}: $%{value:,.0f} (%{percent})<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": title, "font": {"size": 15}},
            "showlegend": False,
            "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
            "height": 320,
        },
    }


def cash_flow_figure(cash_flow) -> dict:
    months = [m.month.strftime("%b %Y") for m in cash_flow]
    return {
        "data": [
            {
                "type": "bar",
                "name": "Income",
                "x": months,
                "y": [round(m.income, 2) for m in cash_flow],
                "marker": {"color": "#73a839"},
            },
            {
                "type": "bar",
                "name": "Spending",
                "x": months,
                "y": [round(-m.expense, 2) for m in cash_flow],
                "marker": {"color": "#c71c22"},
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Net",
                "x": months,
                "y": [round(m.net, 2) for m in cash_flow],
                "line": {"color": "#033c73"},
            },
        ],
        "layout": {
            "title": {"text": "Monthly cash flow (budget)", "font": {"size": 15}},
            "barmode": "relative",
            "yaxis": dict(MONEY_TICKS),
            "height": 320,
            "margin": {"l": 60, "r": 30, "t": 40, "b": 40},  # the last month's label needs room on the right
            "legend": {"orientation": "h", "y": -0.2},
        },
    }


def accounts_table(snapshot) -> dbc.Table:
    header = html.Thead(
        html.Tr(
            [
                html.Th(h)
                for h in ("Account", "Type", "Institution", "Invested", "Cash", "Value", "Aggregator link")
            ]
        )
    )
    rows = []
    for account in snapshot.accounts:
        if account.linked_institution:
            synced = account.last_synced_at.strftime("%Y-%m-%d %H:%M") if account.last_synced_at else "never"
            status = "linked" if account.link_status == "active" else account.link_status.replace("_", " ")
            link = html.Span(
                [
                    dbc.Badge(status, color="success" if status == "linked" else "warning", className="me-1"),
                    f"last sync {synced}",
                ]
            )
        else:
            link = html.Span("—", className="text-muted")
        rows.append(
            html.Tr(
                [
                    html.Td(account.name),
                    html.Td(ACCOUNT_TYPE_LABELS.get(account.account_type, account.account_type)),
                    html.Td(account.institution),
                    html.Td(money(account.invested), className="text-end"),
                    html.Td(money(account.cash), className="text-end"),
                    html.Td(money(account.value), className="text-end fw-semibold"),
                    html.Td(link),
                ]
            )
        )
    total = html.Tr(
        [
            html.Td("Total", colSpan=5, className="fw-semibold"),
            html.Td(money(snapshot.net_worth), className="text-end fw-bold"),
            html.Td(),
        ]
    )
    return scrolling(
        dbc.Table(
            [header, html.Tbody(rows + [total])],
            id=ids.OVERVIEW_ACCOUNTS,
            hover=True,
            size="sm",
            className="align-middle",
        ),
        "Accounts",
    )


def goals_table(goals, probabilities: dict | None = None) -> dbc.Table:
    """Goals with funding and, once computed, the probability of success (the Goals page's defaults)."""
    header = html.Thead(
        html.Tr([html.Th(h) for h in ("Goal", "Priority", "Target", "By", "Saved", "Funded", "Probability")])
    )
    rows = [
        html.Tr(
            [
                html.Td(g.name),
                html.Td(g.priority.capitalize()),
                html.Td(money(g.target_amount), className="text-end"),
                html.Td(g.target_date.strftime("%b %Y")),
                html.Td(money(g.current_amount), className="text-end"),
                html.Td(percent(g.current_amount / g.target_amount, 0), className="text-end"),
                html.Td(
                    percent(probabilities[g.id], 0) if probabilities and g.id in probabilities else "…",
                    className="text-end fw-semibold",
                ),
            ]
        )
        for g in goals
    ]
    return scrolling(
        dbc.Table([header, html.Tbody(rows)], id=ids.OVERVIEW_GOALS, hover=True, size="sm"), "Goal status"
    )


def threads_list(threads) -> html.Div:
    if not threads:
        return html.P("No analysis threads yet.", className="text-muted small")
    items = [
        dbc.ListGroupItem(
            [
                html.Div(t.title, className="fw-semibold"),
                html.Small(
                    f"{t.runs} saved run{'s' if t.runs != 1 else ''} · {t.created_by} · "
                    f"updated {t.updated_at:%Y-%m-%d}",
                    className="text-muted",
                ),
            ]
        )
        for t in threads
    ]
    return dbc.ListGroup(items, id=ids.OVERVIEW_THREADS, flush=True)


def account_options(snapshot) -> list[dict]:
    return [{"label": "All accounts", "value": "all"}] + [
        {"label": a.name, "value": str(a.id)} for a in snapshot.accounts
    ]


def _block(height: str, className: str = "") -> html.Div:
    return html.Div(className=f"skeleton {className}".strip(), style={"height": height})


def household_skeleton() -> html.Div:
    """The household panel's shape while it loads: the same heights, so nothing below moves when it arrives."""
    return html.Div(
        [
            _block("2.1rem", "mb-2 w-25"),
            _block("1.5rem", "mb-3 w-50"),
            dbc.Row([dbc.Col(_block("92px"), md=3) for _ in range(4)], className="g-3 mb-3"),
            dbc.Row([dbc.Col(_block("320px"), lg=6) for _ in range(2)], className="g-3"),
            _block("1.9rem", "mt-3 mb-2 w-25"),
            _block("300px"),
        ],
        **{"aria-busy": "true", "aria-label": "Loading the household"},
    )


def household_panel(snapshot, threads) -> html.Div:
    """The household's panel; ``threads``: what its threads column lists (``threads_list``, or a slot the
    list is placed in later)."""
    if not snapshot.accounts:
        return dbc.Alert(f"{snapshot.name} has no accounts yet.", color="info")
    return html.Div(
        [
            html.Div(
                [
                    html.H2(snapshot.name, className="h4 mb-0 me-3", id=ids.OVERVIEW_HOUSEHOLD_NAME),
                    dcc.Link(
                        "Client report",
                        href=dash.get_relative_path(f"/report?household={snapshot.id}"),
                        className="btn btn-outline-primary btn-sm",
                        id=ids.OVERVIEW_REPORT,
                    ),
                ],
                className="d-flex align-items-center flex-wrap mb-1",
            ),
            html.P(f"Risk profile: {snapshot.risk_profile}", className="text-muted"),
            summary_cards(snapshot),
            dbc.Row(
                [
                    dbc.Col(
                        graph(
                            ids.OVERVIEW_ALLOCATION,
                            allocation_figure(snapshot.allocation_by("ticker"), "Allocation by security"),
                            toolbar=False,
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        graph(
                            ids.OVERVIEW_SECTORS,
                            allocation_figure(snapshot.allocation_by("sector"), "Allocation by sector"),
                            toolbar=False,
                        ),
                        lg=6,
                    ),
                ],
                className="g-3",
            ),
            html.H3("Accounts", className="h5 mt-3"),
            accounts_table(snapshot),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            html.H3("Analysis threads", className="h5"),
                            threads,
                        ],
                        lg=6,
                    ),
                    dbc.Col(
                        graph(
                            ids.OVERVIEW_CASH_FLOW,
                            cash_flow_figure(snapshot.cash_flow),
                            toolbar=False,
                        ),
                        lg=6,
                    ),
                ],
                className="g-3 mt-1",
            ),
        ]
    )


def households_table(rows: list[dict], selected: int | None) -> dbc.Table | dbc.Alert:
    if not rows:
        return dbc.Alert("No households are assigned to you yet.", color="info")
    header = html.Thead(html.Tr([html.Th(h) for h in ("Household", "Risk profile", "Accounts", "Net worth")]))
    body = [
        html.Tr(
            [
                html.Td(dcc.Link(row["name"], href=dash.get_relative_path(f"/?household={row['id']}"))),
                html.Td(row["risk_profile"]),
                html.Td(row["accounts"], className="text-end"),
                html.Td(money(row["net_worth"]), className="text-end"),
            ],
            className="table-active" if row["id"] == selected else None,
        )
        for row in rows
    ]
    return scrolling(
        dbc.Table([header, html.Tbody(body)], hover=True, size="sm", id=ids.OVERVIEW_HOUSEHOLDS_TABLE),
        "Households",
    )
