"""Threads: the "save to thread" panel every analysis page carries, and the Threads page's pieces.

The save panel's ids are pattern-matching ids keyed by the page's prefix
(``{"type": "thread-save", "page": prefix}``), so one set of MATCH callbacks
serves every page. Stored text (titles, notes) is shown as component
children, which React escapes: it can never run as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.formatting import money, percent
from components.ids import THREADS
from components.tables import as_data, scrolling
from dashboard.forms.fields import CHOICE, INTEGER, MULTI, NUMBER, Field, plain_number


@dataclass(frozen=True)
class PageInfo:
    """How the Threads page names, links and reads a saved run's page (from the page specs):
    its headline figures ``(summary key, label, format)`` in the page's order ("*": every key, labelled
    by itself), and its form's fields by name, so parameters and coded figures (an objective, a model)
    read as the form's labels and choices do."""

    path: str
    name: str
    figures: tuple[tuple[str, str, str], ...] = ()
    fields: dict[str, Field] = field(default_factory=dict)


PageNames = dict[str, PageInfo]
UNKNOWN = PageInfo("/", "")

# How each format writes a figure: as on the page itself.
FORMATS = {
    "percent": percent,
    "money": money,
    "ratio": lambda v: f"{v:,.2f}",
    "ratio1": lambda v: f"{v:,.1f}",  # as the page shows it (e.g. effective holdings)
    "ratio3": lambda v: f"{v:,.3f}",
    "count": lambda v: f"{v:,}",
    "text": str,
    "weights": lambda v: ", ".join(f"{k} {percent(w)}" for k, w in v.items()),
}


def headline(run, info: PageInfo, limit: int | None = None) -> list[tuple[str, str]]:
    """(label, formatted value) of a run's figures, headline figures first, in the page's order (the first
    ``limit`` of them: the rest are not formatted)."""
    out, seen = [], set()
    for key, label, kind in info.figures:
        keys = [k for k in run.summary if k not in seen] if key == "*" else [key]
        for k in keys:
            if len(out) == limit:
                return out
            value = run.summary.get(k)
            if k in seen or value is None:
                continue
            seen.add(k)
            try:
                text = _choice_label(info, k, value) if kind == "text" else FORMATS[kind](value)
            except (TypeError, ValueError, AttributeError):
                text = describe(value)
            out.append((label or k, text))
    for k, v in run.summary.items():
        if len(out) == limit:
            break
        if k not in seen:
            out.append((k.replace("_", " ").capitalize(), describe(v)))
    return out


def _choice_label(info: PageInfo, key: str, value) -> str:
    """A coded value (``max_sharpe``) as the form's choice names it ("Max Sharpe ratio")."""
    found = info.fields.get(key)
    if found is not None and found.kind == CHOICE and isinstance(value, str):
        return str(dict(found.options()).get(value, value))
    return str(value)


def parameter(info: PageInfo, key: str, value: str) -> tuple[str, str]:
    """A saved run's setting as its form shows it: the field's label, a choice's name, numbers with
    separators, percent fields in percent."""
    found = info.fields.get(key)
    if found is None:
        return key.replace("_", " ").capitalize(), value
    if found.kind == CHOICE:
        return found.label, _choice_label(info, key, value)
    if found.kind in (NUMBER, INTEGER):
        try:
            text = plain_number(float(value.replace(",", "")))
        except ValueError:
            text = value
        return found.label, f"{text} %" if found.percent else text
    if found.kind == MULTI:
        return found.label, ", ".join(v for v in value.split(",") if v)
    return found.label, value


def save_panel(prefix: str) -> dbc.Card:
    """Save the current run (as the address bar shows it) with a note into one of the household's threads."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("Save to thread", className="h6"),
                dcc.Store(id=ids.thread_save("scenario", prefix)),
                dbc.Label(
                    "Thread", html_for=ids.dom_id(ids.thread_save("select", prefix)), className="small mb-1"
                ),
                dbc.Select(
                    id=ids.thread_save("select", prefix),
                    options=[],
                    placeholder="A new thread (title below)",
                    className="mb-2",
                ),
                dbc.Label(
                    "New thread's title",
                    html_for=ids.dom_id(ids.thread_save("title", prefix)),
                    className="small mb-1",
                ),
                dbc.Input(id=ids.thread_save("title", prefix), maxLength=200, className="mb-2"),
                dbc.Label(
                    "Note (optional)",
                    html_for=ids.dom_id(ids.thread_save("note", prefix)),
                    className="small mb-1",
                ),
                dbc.Textarea(id=ids.thread_save("note", prefix), maxLength=2000, className="mb-2"),
                dbc.Button("Save run", id=ids.thread_save("save", prefix), color="secondary", size="sm"),
                html.Div(id=ids.thread_save("feedback", prefix), className="small mt-2"),
            ]
        ),
        className="mt-3",
    )


def run_link(run, pages: PageNames) -> str:
    path = pages.get(run.page, UNKNOWN).path
    return dash.get_relative_path(path) + (run.params if run.params.startswith("?") else "?" + run.params)


def describe(value) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {describe(v)}" for k, v in value.items())
    return str(value)


def threads_view(threads, pages: PageNames, household_id: int) -> html.Div:
    if not threads:
        return html.P(
            "No threads yet: create one, or save a run from any analysis page.", className="text-muted"
        )
    cards = []
    for thread in threads:
        # a row per saved run, as data (a thread gathers runs without end: a component per cell was most
        # of what drawing the list cost)
        rows = [
            as_data(
                html.Tr,
                [
                    as_data(html.Td, as_data(dbc.Checkbox, id=THREADS.pick(run.id), value=False)),
                    as_data(html.Td, pages.get(run.page, UNKNOWN).name or run.page),
                    as_data(html.Td, f"{run.created_at:%Y-%m-%d %H:%M}"),
                    as_data(html.Td, "—" if run.seed is None else run.seed),
                    as_data(
                        html.Td,
                        "; ".join(
                            f"{label}: {value}"
                            for label, value in headline(run, pages.get(run.page, UNKNOWN), limit=4)
                        ),
                        className="small",
                    ),
                    as_data(html.Td, run.note, className="small"),
                    as_data(
                        html.Td,
                        [
                            as_data(
                                dcc.Link,
                                "Open",
                                href=run_link(run, pages),
                                className="me-2",
                                id=THREADS.open(run.id),
                            ),
                            as_data(
                                dbc.Button,
                                "Delete",
                                id=THREADS.delete_run(run.id),
                                size="sm",
                                color="link",
                                className="text-danger p-0",
                            ),
                        ],
                    ),
                ],
            )
            for run in thread.items
        ]
        body = (
            scrolling(
                dbc.Table(
                    [
                        html.Thead(
                            html.Tr(
                                [html.Th(h) for h in ("", "Page", "Saved", "Seed", "Summary", "Note", "")]
                            )
                        ),
                        html.Tbody(rows),
                    ],
                    size="sm",
                    hover=True,
                ),
                "Saved runs",
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
                            dcc.Link(
                                "Client report from this thread",
                                href=dash.get_relative_path(
                                    f"/report?household={household_id}&thread={thread.id}"
                                ),
                                className="small ms-2",
                                id=THREADS.report(thread.id),
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
    """Two (or more) runs side by side: their figures, labelled and formatted as on their pages, then
    their settings."""
    figures = [dict(headline(run, pages.get(run.page, UNKNOWN))) for run in runs]
    labels = list(dict.fromkeys(label for f in figures for label in f))
    params = [
        dict(
            parameter(pages.get(run.page, UNKNOWN), k, v[0])
            for k, v in parse_qs(run.params.lstrip("?")).items()
            if k != "household"
        )
        for run in runs
    ]
    param_labels = list(dict.fromkeys(k for p in params for k in p))
    header = html.Thead(
        html.Tr(
            [html.Th("")] + [html.Th(f"{pages.get(r.page, UNKNOWN).name or r.page} #{r.id}") for r in runs]
        )
    )
    body = [
        html.Tr([html.Td(label, className="fw-semibold")] + [html.Td(f.get(label, "—")) for f in figures])
        for label in labels
    ]
    body += [
        html.Tr(
            [html.Td(label, className="text-muted")]
            + [html.Td(p.get(label, "—"), className="text-muted") for p in params]
        )
        for label in param_labels
    ]
    return scrolling(dbc.Table([header, html.Tbody(body)], size="sm", id=THREADS.COMPARISON), "Runs compared")


def saved(threads_href: str) -> dbc.Alert:
    """Beside the save button: the run was saved, with a link to the threads."""
    return dbc.Alert(
        ["Saved. ", dcc.Link("Open the threads", href=threads_href)], color="success", className="py-1 mb-0"
    )
