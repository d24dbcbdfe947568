"""Tax: fields and panels from a ``TaxReport`` (lots, estimated tax, harvesting candidates)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.cards import stat_card
from components.formatting import money
from components.ids import TAX


def lots_table(report) -> dbc.Table:
    header = ["Lot", "Account", "Asset", "Bought", "Quantity", "Cost", "Value", "Gain", "Term"]
    body = [
        html.Tr(
            [
                html.Td(g.lot.id),
                html.Td(g.lot.account),
                html.Td(g.lot.ticker),
                html.Td(g.lot.acquired_on.isoformat()),
                html.Td(f"{g.lot.quantity:,.2f}", className="text-end"),
                html.Td(money(g.cost_basis), className="text-end"),
                html.Td(money(g.market_value), className="text-end"),
                html.Td(
                    money(g.gain), className="text-end " + ("text-success" if g.gain >= 0 else "text-danger")
                ),
                html.Td("Long" if g.term == "long" else "Short"),
            ]
        )
        for g in report.lots
    ]
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)],
        size="sm",
        hover=True,
        responsive=True,
        id=TAX.LOTS,
    )


def candidates_table(report) -> dbc.Table | html.P:
    if not report.candidates:
        return html.P("No lots with a loss worth harvesting.", className="text-muted", id=TAX.CANDIDATES)
    header = ["Lot", "Asset", "Term", "Loss", "Tax saved", "Wash sale"]
    body = []
    for c in report.candidates:
        g = c.lot_gain
        wash = (
            dbc.Badge("wash sale", color="danger", className="me-1")
            if c.wash_sale
            else dbc.Badge("clear", color="success")
        )
        conflicts = "; ".join(f"bought {p.quantity:g} on {p.date:%Y-%m-%d}" for p in c.conflicting_purchases)
        body.append(
            html.Tr(
                [
                    html.Td(g.lot.id),
                    html.Td(g.lot.ticker),
                    html.Td(g.term.capitalize()),
                    html.Td(money(g.gain), className="text-end text-danger"),
                    html.Td(money(c.tax_savings) if not c.wash_sale else "disallowed", className="text-end"),
                    html.Td([wash, html.Span(conflicts, className="small text-muted")]),
                ]
            )
        )
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)],
        size="sm",
        hover=True,
        id=TAX.CANDIDATES,
    )


def results_panel(report, described: str) -> html.Div:
    return html.Div(
        [
            html.P(
                f"{described} in taxable accounts; valued on {report.as_of:%Y-%m-%d}; a lot is long-term after its "
                "first anniversary; purchases in any account (IRAs included) count for wash sales.",
                className="small text-muted",
            ),
            dbc.Row(
                [
                    stat_card("Short-term gains", money(report.short_term_gain), TAX.SHORT, width=True),
                    stat_card("Long-term gains", money(report.long_term_gain), TAX.LONG, width=True),
                    stat_card(
                        "Estimated tax if all sold", money(report.estimated_tax), TAX.ESTIMATE, width=True
                    ),
                    stat_card(
                        "Loss carried forward",
                        money(report.loss_carryforward),
                        TAX.CARRYFORWARD,
                        width=True,
                    ),
                    stat_card("Harvesting saves", money(report.estimated_savings), TAX.SAVINGS, width=True),
                ],
                className="g-2 mb-3",
            ),
            html.H3("Tax-loss harvesting candidates", className="h6"),
            candidates_table(report),
            html.H3("Tax lots", className="h6 mt-3"),
            lots_table(report),
        ]
    )


def csv_rows(report) -> tuple[list[str], list[list]]:
    harvest = {c.lot_gain.lot.id: c for c in report.candidates}
    rows = []
    for g in report.lots:
        c = harvest.get(g.lot.id)
        rows.append(
            [
                g.lot.id,
                g.lot.account,
                g.lot.ticker,
                g.lot.acquired_on.isoformat(),
                g.lot.quantity,
                round(g.cost_basis, 2),
                round(g.market_value, 2),
                round(g.gain, 2),
                g.term,
                "" if c is None else ("wash sale" if c.wash_sale else round(c.tax_savings, 2)),
            ]
        )
    header = [
        "lot",
        "account",
        "ticker",
        "acquired_on",
        "quantity",
        "cost_basis",
        "market_value",
        "gain",
        "term",
        "harvest_tax_saved",
    ]
    return header, rows
