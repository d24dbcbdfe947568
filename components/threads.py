"""Threads: the "save to thread" panel every analysis page carries, and the Threads page's pieces.

The save panel's ids are pattern-matching ids keyed by the page's prefix
(``{"type": "thread-save", "page": prefix}``), so one set of MATCH callbacks
serves every page. Stored text (titles, notes) is shown as component
children, which React escapes: it can never run as markup.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.ids import THREADS

# How the Threads page names and links a saved run's page: page key -> (path, name),
# handed in by the callbacks from the page specs.
PageNames = dict[str, tuple[str, str]]


def save_panel(prefix: str) -> dbc.Card:
    """Save the current run (as the address bar shows it) with a note into one of the household's threads."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Save to thread", className="h6"),
                dcc.Store(id=ids.thread_save("scenario", prefix)),
                dcc.Dropdown(
                    id=ids.thread_save("select", prefix),
                    placeholder="Choose a thread, or name a new one below",
                    className="mb-2",
                ),
                dbc.Input(
                    id=ids.thread_save("title", prefix),
                    placeholder="New thread title",
                    maxLength=200,
                    className="mb-2",
                ),
                dbc.Textarea(
                    id=ids.thread_save("note", prefix),
                    placeholder="Note (optional)",
                    maxLength=2000,
                    className="mb-2",
                ),
                dbc.Button("Save run", id=ids.thread_save("save", prefix), color="secondary", size="sm"),
                html.Div(id=ids.thread_save("feedback", prefix), className="small mt-2"),
            ]
        ),
        className="mt-3",
    )


def run_link(run, pages: PageNames) -> str:
    path, _ = pages.get(run.page, ("/", run.page))
    return dash.get_relative_path(path) + (run.params if run.params.startswith("?") else "?" + run.params)


def describe(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {describe(v)}" for k, v in value.items())
    return str(value)


def threads_view(threads, pages: PageNames) -> html.Div:
    if not threads:
        return html.P(
            "No threads yet: create one, or save a run from any analysis page.", className="text-muted"
        )
    cards = []
    for thread in threads:
        rows = [
            html.Tr(
                [
                    html.Td(dbc.Checkbox(id=THREADS.pick(run.id), value=False)),
                    html.Td(pages.get(run.page, ("", run.page))[1]),
                    html.Td(f"{run.created_at:%Y-%m-%d %H:%M}"),
                    html.Td("—" if run.seed is None else run.seed),
                    html.Td(
                        "; ".join(f"{k}: {describe(v)}" for k, v in list(run.summary.items())[:4]),
                        className="small",
                    ),
                    html.Td(run.note, className="small"),
                    html.Td(
                        [
                            dcc.Link(
                                "Open",
                                href=run_link(run, pages),
                                className="me-2",
                                id=THREADS.open(run.id),
                            ),
                            dbc.Button(
                                "Delete",
                                id=THREADS.delete_run(run.id),
                                size="sm",
                                color="link",
                                className="text-danger p-0",
                            ),
                        ]
                    ),
                ]
            )
            for run in thread.items
        ]
        body = (
            dbc.Table(
                [
                    html.Thead(
                        html.Tr([html.Th(h) for h in ("", "Page", "Saved", "Seed", "Summary", "Note", "")])
                    ),
                    html.Tbody(rows),
                ],
                size="sm",
                hover=True,
                responsive=True,
            )
            if rows
            else html.P("No runs saved yet.", className="small text-muted")
        )
        cards.append(
            dbc.Card(
                [
                    dbc.CardHeader(
                        [
                            html.Span(thread.title, className="fw-semibold"),
                            html.Span(
                                f" · {thread.created_by} · updated {thread.updated_at:%Y-%m-%d}",
                                className="small text-muted",
                            ),
                            dcc.ConfirmDialogProvider(
                                dbc.Button(
                                    "Delete thread",
                                    size="sm",
                                    color="link",
                                    className="float-end text-danger p-0",
                                ),
                                id=THREADS.delete_thread(thread.id),
                                message="Delete this thread and every run in it?",
                            ),
                        ]
                    ),
                    dbc.CardBody(body),
                ],
                className="mb-3",
                id=THREADS.card(thread.id),
            )
        )
    return html.Div(cards)


def comparison(runs, pages: PageNames) -> dbc.Table:
    """Two (or more) runs side by side: their parameters and every summary figure."""
    keys = list(dict.fromkeys(k for run in runs for k in run.summary))
    params = [
        {k: v[0] for k, v in parse_qs(run.params.lstrip("?")).items() if k != "household"} for run in runs
    ]
    param_keys = list(dict.fromkeys(k for p in params for k in p))
    header = html.Thead(
        html.Tr([html.Th("")] + [html.Th(f"{pages.get(r.page, ('', r.page))[1]} #{r.id}") for r in runs])
    )
    body = [
        html.Tr(
            [html.Td(k, className="fw-semibold")] + [html.Td(describe(r.summary.get(k, "—"))) for r in runs]
        )
        for k in keys
    ]
    body += [
        html.Tr(
            [html.Td(k, className="text-muted")]
            + [html.Td(p.get(k, "—"), className="text-muted") for p in params]
        )
        for k in param_keys
    ]
    return dbc.Table([header, html.Tbody(body)], size="sm", id=THREADS.COMPARISON, responsive=True)


def saved(threads_href: str) -> dbc.Alert:
    """Beside the save button: the run was saved, with a link to the threads."""
    return dbc.Alert(
        ["Saved. ", dcc.Link("Open the threads", href=threads_href)], color="success", className="py-1 mb-0"
    )
