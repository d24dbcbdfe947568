"""Tax: fields and panels from a ``TaxReport`` (lots, estimated tax, harvesting candidates)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.cards import stat_card
from components.formatting import money, shares
from components.ids import TAX
from components.tables import scrolling


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
    return scrolling(
        dbc.Table(
            [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)],
            size="sm",
            hover=True,
            id=TAX.LOTS,
        ),
        "Tax lots",
    )


def _wash_detail(c) -> list:
    if not c.wash_sale:
        return [dbc.Badge("clear", color="success")]
    bought = "; ".join(
        f"{shares(r.shares)} bought {r.purchase.date:%Y-%m-%d}"
        + (f" in {r.purchase.account}" if r.purchase.account else "")
        + f" (+{money(r.basis_added)} basis)"
        for r in c.replacements
    )
    return [
        dbc.Badge(
            "wash sale" if c.replaced_shares >= c.lot_gain.lot.quantity - 1e-9 else "partial wash sale",
            color="danger",
            className="me-1",
        ),
        html.Span(
            f"{shares(c.replaced_shares)} of {shares(c.lot_gain.lot.quantity)} shares replaced: {bought}",
            className="small text-muted",
        ),
    ]


def candidates_table(report) -> dbc.Table | html.P:
    if not report.candidates:
        return html.P("No lots with a loss worth harvesting.", className="text-muted", id=TAX.CANDIDATES)
    header = ["Lot", "Asset", "Term", "Loss", "Disallowed", "Loss counted", "Adds to savings", "Wash sale"]
    body = []
    for c in report.candidates:
        g = c.lot_gain
        body.append(
            html.Tr(
                [
                    html.Td(g.lot.id),
                    html.Td(g.lot.ticker),
                    html.Td(g.term.capitalize()),
                    html.Td(money(g.gain), className="text-end text-danger"),
                    html.Td(money(c.disallowed_loss) if c.wash_sale else "-", className="text-end"),
                    html.Td(money(c.allowed_loss), className="text-end"),
                    html.Td(money(c.tax_savings), className="text-end"),
                    html.Td(_wash_detail(c)),
                ]
            )
        )
    return scrolling(
        dbc.Table(
            [html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)],
            size="sm",
            hover=True,
            id=TAX.CANDIDATES,
        ),
        "Harvest candidates",
    )


def _position_note(report) -> str:
    now, after = report.this_year, report.after_harvest
    parts = [f"This year's estimated tax on realised gains: {money(now.tax)}."]
    if report.candidates:
        parts.append(
            f"Selling every candidate on {report.as_of:%Y-%m-%d} makes it {money(after.tax)}"
            f" (saves {money(report.estimated_savings)})"
        )
        if report.added_carryforward > 0.005:
            parts[-1] += (
                f"; {money(report.added_carryforward)} more loss is carried forward to next year instead"
            )
        parts[-1] += "."
    if after.carryforward > 0.005:
        parts.append(
            f"Carried forward after harvesting: {money(after.carryforward_short)} short-term, "
            f"{money(after.carryforward_long)} long-term."
        )
    return " ".join(parts)


def results_panel(report, described: str) -> html.Div:
    return html.Div(
        [
            html.P(
                f"{described} in taxable accounts; valued on {report.as_of:%Y-%m-%d}. A lot is long-term when "
                "sold on or after the first anniversary of the day after its purchase; purchases of the same "
                "security within 30 days in any account (IRAs included) disallow the loss share for share.",
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
                        "Harvesting saves this year", money(report.estimated_savings), TAX.SAVINGS, width=True
                    ),
                    stat_card(
                        "Carried forward after harvesting",
                        money(report.after_harvest.carryforward),
                        TAX.CARRYFORWARD,
                        width=True,
                    ),
                ],
                className="g-2 mb-3",
            ),
            html.P(_position_note(report), className="small", id=TAX.POSITION),
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
                "" if c is None else round(c.disallowed_loss, 2),
                "" if c is None else round(c.allowed_loss, 2),
                "" if c is None else round(c.tax_savings, 2),
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
        "wash_sale_disallowed",
        "harvest_loss_counted",
        "harvest_adds_to_savings",
    ]
    return header, rows
