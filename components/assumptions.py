"""What a forecast rests on, said beside it: the firm's capital market assumptions it used, or the
historical estimate (or the GBM's inputs) it used instead, how that compares with the firm's figures
for the same holdings, and why history is not a forecast."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.formatting import percent
from components.ids import CMA
from components.tables import scrolling


def _figures(pair) -> str:
    expected, volatility = pair
    return f"{percent(expected)} a year (volatility {percent(volatility)})"


def basis_note(basis, note_id: str):
    """The sentence(s) under a simulation's headline figures (``dashboard.analytics.simulation.Basis``)."""
    named = basis.assumptions
    link = dcc.Link("The firm's assumptions", href=dash.get_relative_path("/assumptions"), className="ms-1")
    if basis.kind == "firm":
        text = [
            f"Firm assumptions: {named['label']}. Expected return of these holdings {_figures(basis.firm)}.",
        ]
        if basis.unlisted:
            text.append(
                f" Not in the set, so on its default class: {', '.join(basis.unlisted[:8])}"
                f"{' and more' if len(basis.unlisted) > 8 else ''}."
            )
        return html.P([*text, link], className="small text-muted", id=note_id)
    source = "The GBM's inputs" if basis.kind == "gbm" else f"Historical estimate, {basis.history}"
    parts = [
        html.Strong("History is not a forecast. " if basis.kind != "gbm" else "Your inputs, not a forecast. ")
    ]
    parts.append(f"{source}: {_figures(basis.model)}")
    if basis.firm is not None:
        parts.append(f"; firm assumptions ({named['label']}) for the same holdings: {_figures(basis.firm)}.")
    else:
        parts.append("; no firm assumptions are in force to compare with.")
    for warning in basis.warnings:
        parts.append(" " + warning)
    color = "warning" if basis.warnings else "info"
    return dbc.Alert([*parts, link], color=color, className="small py-2", id=note_id)


# -- the Assumptions page ------------------------------------------------------------------------------


def sets_table(sets, in_force_id: int | None) -> dbc.Table:
    """Every version, newest effective date first; the one in force marked."""
    header = html.Thead(
        html.Tr([html.Th(h) for h in ("Set", "Name", "Effective", "Added", "By", "Source", "Edited from")])
    )
    rows = [
        html.Tr(
            [
                html.Td(
                    [str(s.id), dbc.Badge("in force", color="success", className="ms-1")]
                    if s.id == in_force_id
                    else str(s.id)
                ),
                html.Td(s.name),
                html.Td(f"{s.effective:%Y-%m-%d}"),
                html.Td(f"{s.created_at:%Y-%m-%d %H:%M} UTC"),
                html.Td(s.created_by),
                html.Td(s.source),
                html.Td("" if s.based_on is None else f"set {s.based_on}"),
            ]
        )
        for s in sets
    ]
    return scrolling(
        dbc.Table([header, html.Tbody(rows)], size="sm", striped=True, id=CMA.SETS), "Assumption sets"
    )


def set_view(ref, cma, class_rows, security_rows) -> html.Div:
    """One set: its scalars and method, the classes, their correlations and the securities with the
    expected return and volatility the set gives each (``security_rows``: (ticker, name, class label,
    beta, idiosyncratic, expected, volatility, listed))."""
    labels = {c.key: c.label for c in cma.classes}
    facts = [
        ("Effective", f"{ref.effective:%d %b %Y}"),
        ("Inflation", percent(cma.inflation, 2)),
        ("Cash rate", percent(cma.cash_rate, 2)),
        ("Securities not listed", f"{labels[cma.default_class]} with beta 1"),
    ]
    classes = scrolling(
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th("Asset class"),
                            html.Th("Expected return (a year)", className="text-end"),
                            html.Th("Volatility", className="text-end"),
                            html.Th("A security's own volatility", className="text-end"),
                        ]
                    )
                ),
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(f"{c.label} ({c.key})"),
                                html.Td(percent(c.expected_return, 2), className="text-end"),
                                html.Td(percent(c.volatility, 2), className="text-end"),
                                html.Td(percent(c.idiosyncratic_volatility, 2), className="text-end"),
                            ]
                        )
                        for c in class_rows
                    ]
                ),
            ],
            size="sm",
            id=CMA.CLASSES,
        ),
        "Asset classes",
    )
    parts = [
        html.H2(ref.label, className="h5 mt-3"),
        dbc.Row(
            [dbc.Col([html.Div(k, className="small text-muted"), html.Div(v)], xs=6, md=3) for k, v in facts]
        ),
        html.P(cma.method, className="small text-muted mt-2") if cma.method else None,
        html.H3("Asset classes", className="h6 mt-2"),
        classes,
    ]
    if len(cma.classes) > 1:
        keys = [c.key for c in cma.classes]
        parts += [
            html.H3("Correlations", className="h6"),
            scrolling(
                dbc.Table(
                    [
                        html.Thead(html.Tr([html.Th(""), *[html.Th(k, className="text-end") for k in keys]])),
                        html.Tbody(
                            [
                                html.Tr(
                                    [html.Th(k), *[html.Td(f"{v:.2f}", className="text-end") for v in row]]
                                )
                                for k, row in zip(keys, cma.correlations, strict=True)
                            ]
                        ),
                    ],
                    size="sm",
                ),
                "Asset classes",
            ),
        ]
    parts += [
        html.H3("Securities", className="h6"),
        html.P(
            "Expected return = cash rate + beta x (the class's expected return - cash rate); volatility from "
            "the class's and the security's own. Securities marked 'default' are not listed in the set.",
            className="small text-muted",
        ),
        scrolling(
            dbc.Table(
                [
                    html.Thead(
                        html.Tr(
                            [
                                html.Th("Ticker"),
                                html.Th("Name"),
                                html.Th("Class"),
                                html.Th("Beta", className="text-end"),
                                html.Th("Own volatility", className="text-end"),
                                html.Th("Expected return", className="text-end"),
                                html.Th("Volatility", className="text-end"),
                            ]
                        )
                    ),
                    html.Tbody(
                        [
                            html.Tr(
                                [
                                    html.Td(t),
                                    html.Td(name),
                                    html.Td(label if listed else f"{label} (default)"),
                                    html.Td(f"{beta:.2f}", className="text-end"),
                                    html.Td(percent(idio), className="text-end"),
                                    html.Td(percent(expected), className="text-end"),
                                    html.Td(percent(vol), className="text-end"),
                                ]
                            )
                            for t, name, label, beta, idio, expected, vol, listed in security_rows
                        ]
                    ),
                ],
                size="sm",
                striped=True,
                id=CMA.SECURITIES,
            ),
            "Securities",
        ),
    ]
    return html.Div(parts)


def admin_tools(max_bytes: int) -> dbc.Card:
    """Import a set from CSV, or edit the chosen one: both add a new version. Drawn disabled; the page's
    callback enables them for administrators (for anyone else they stay disabled and say why, and the
    server refuses them too)."""
    admin = False
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Change the assumptions", className="h5"),
                html.P(
                    "Sets are never changed: an import or an edit adds a new version, in force from its "
                    "effective date. Runs keep the set they used, so they reproduce later. The CSV format is "
                    "the download's (docs/assumptions.md); the whole file is checked, and if anything is "
                    "wrong nothing is added and each problem is listed.",
                    className="small text-muted",
                ),
                html.P(id=CMA.WHO, className="small text-warning mb-2"),
                dbc.Label("Why this change (kept with the set)", html_for=CMA.NOTE, className="small mb-1"),
                dbc.Input(id=CMA.NOTE, type="text", maxLength=500, disabled=not admin, className="mb-2"),
                html.Label(
                    dcc.Upload(
                        dbc.Button(
                            "Import a CSV file",
                            id=CMA.UPLOAD_BUTTON,
                            color="secondary",
                            outline=True,
                            size="sm",
                            disabled=not admin,
                        ),
                        id=CMA.UPLOAD,
                        disabled=not admin,
                        accept=".csv,text/csv",
                        max_size=max_bytes,
                        multiple=False,
                    )
                ),
                html.Div(id=CMA.RESULT, className="mt-2", **{"aria-live": "polite"}),
                html.Div(id=CMA.EDITOR, className="mt-3"),
            ]
        ),
        className="mb-3",
    )


def _labelled(label: str, control) -> html.Label:
    """A control inside its label (the label read out, not shown: the table's headings say it on screen);
    these controls take no aria attributes and their pattern ids no ``for``."""
    return html.Label([html.Span(label, className="visually-hidden"), control], className="w-100 mb-0")


def _number_input(record: str, key: str, column: str, value, label: str, step="any") -> html.Label:
    return _labelled(
        label,
        dbc.Input(
            id=CMA.edit(record, key, column), type="number", value=value, step=step, size="sm", debounce=True
        ),
    )


def editor(cma, securities) -> list:
    """The chosen set's figures as inputs (percent where the CSV has percent); saving adds a new version
    edited from it. ``securities``: (ticker, class, beta, idiosyncratic, listed) for every security
    held, the set's and the others (which the save then lists with what they are given here)."""
    pct = lambda v: round(v * 100, 6)  # noqa: E731 - a display conversion
    classes = [(c.key, c.label) for c in cma.classes]
    scalar = [
        ("name", "Name", "text", cma.name),
        ("effective", "Effective from (YYYY-MM-DD)", "text", cma.effective),
        ("inflation", "Inflation (%)", "number", pct(cma.inflation)),
        ("cash_rate", "Cash rate (%)", "number", pct(cma.cash_rate)),
    ]
    head = dbc.Row(
        [
            dbc.Col(
                [
                    html.Label(
                        [
                            html.Span(label, className="small d-block mb-1"),
                            dbc.Input(
                                id=CMA.edit("set", key, "value"),
                                type=kind,
                                value=value,
                                size="sm",
                                debounce=True,
                                step="any" if kind == "number" else None,
                            ),
                        ],
                        className="w-100",
                    ),
                ],
                md=3,
                xs=6,
            )
            for key, label, kind, value in scalar
        ],
        className="g-2",
    )
    default = dbc.Row(
        dbc.Col(
            [
                html.Label(
                    [
                        html.Span("Class of securities not listed", className="small d-block mb-1"),
                        dbc.Select(
                            id=CMA.edit("set", "default_class", "value"),
                            value=cma.default_class,
                            options=[{"label": lbl, "value": k} for k, lbl in classes],
                            size="sm",
                        ),
                    ],
                    className="w-100",
                ),
            ],
            md=6,
        ),
        className="g-2 mt-1",
    )
    class_table = scrolling(
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th("Class"),
                            html.Th("Expected return (%)"),
                            html.Th("Volatility (%)"),
                            html.Th("Own volatility (%)"),
                        ]
                    )
                ),
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(
                                    _labelled(
                                        f"{c.key} label",
                                        dbc.Input(
                                            id=CMA.edit("class", c.key, "label"),
                                            type="text",
                                            value=c.label,
                                            size="sm",
                                            debounce=True,
                                            maxLength=60,
                                        ),
                                    )
                                ),
                                html.Td(
                                    _number_input(
                                        "class",
                                        c.key,
                                        "expected_return",
                                        pct(c.expected_return),
                                        f"{c.label} expected return",
                                    )
                                ),
                                html.Td(
                                    _number_input(
                                        "class",
                                        c.key,
                                        "volatility",
                                        pct(c.volatility),
                                        f"{c.label} volatility",
                                    )
                                ),
                                html.Td(
                                    _number_input(
                                        "class",
                                        c.key,
                                        "idiosyncratic_volatility",
                                        pct(c.idiosyncratic_volatility),
                                        f"{c.label} own volatility of a security",
                                    )
                                ),
                            ]
                        )
                        for c in cma.classes
                    ]
                ),
            ],
            size="sm",
        ),
        "Asset classes (edit)",
    )
    correlations = [
        html.Tr(
            [
                html.Td(f"{a} / {b}"),
                html.Td(
                    _number_input("correlation", a, b, cma.correlations[i][j], f"correlation of {a} and {b}")
                ),
            ]
        )
        for i, (a, _) in enumerate(classes)
        for j, (b, _) in enumerate(classes)
        if i < j
    ]
    security_table = scrolling(
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [html.Th("Ticker"), html.Th("Class"), html.Th("Beta"), html.Th("Own volatility (%)")]
                    )
                ),
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(t if listed else f"{t} (not listed: defaults)"),
                                html.Td(
                                    _labelled(
                                        f"{t} class",
                                        dbc.Select(
                                            id=CMA.edit("security", t, "class"),
                                            value=asset_class,
                                            options=[{"label": lbl, "value": k} for k, lbl in classes],
                                            size="sm",
                                        ),
                                    )
                                ),
                                html.Td(_number_input("security", t, "beta", beta, f"{t} beta")),
                                html.Td(
                                    _number_input(
                                        "security",
                                        t,
                                        "idiosyncratic_volatility",
                                        pct(idio),
                                        f"{t} own volatility",
                                    )
                                ),
                            ]
                        )
                        for t, asset_class, beta, idio, listed in securities
                    ]
                ),
            ],
            size="sm",
        ),
        "Securities (edit)",
    )
    return [
        html.H3("Edit as a new version", className="h6"),
        head,
        default,
        html.H4("Asset classes", className="h6 mt-2"),
        class_table,
        *(
            [html.H4("Correlations", className="h6"), dbc.Table(html.Tbody(correlations), size="sm")]
            if correlations
            else []
        ),
        html.H4("Securities", className="h6"),
        security_table,
        dbc.Button("Save as a new version", id=CMA.SAVE, color="primary", size="sm"),
    ]
