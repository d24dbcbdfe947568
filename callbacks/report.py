"""The client report: a composition of saved runs (or fresh runs of the pages' defaults) rendered as the
printable page and, in the background, as a PDF from the same component tree; saved with a thread.

Every section reruns its run through its own page's spec (``AnalysisPage``), so the report shows what
that page shows for the same run: the same computation, cache entries, formatters and figure builders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.analysis import AnalysisPage, chosen_id, error_alert, notice
from callbacks.backtest import PAGE as BACKTEST
from callbacks.goals import PAGE as GOALS
from callbacks.monte_carlo import PAGE as MONTE_CARLO
from callbacks.optimisation import PAGE as OPTIMISATION
from callbacks.optimisation import weight_rows
from callbacks.retirement import PAGE as RETIREMENT
from callbacks.risk import PAGE as RISK
from callbacks.tax import PAGE as TAX
from components import ids
from components.forms import field_outputs, field_states, marks
from components.ids import REPORT
from components.report import document, figures_of, pdf_ready, run_label
from dashboard import printing
from dashboard.analytics.simulation import goal_saving
from dashboard.background import cancelled
from dashboard.errors import InvalidInput
from dashboard.forms import report as form
from dashboard.forms.fields import FormErrors, parse_search
from dashboard.services import assumptions as firm
from dashboard.services import reports as store
from dashboard.services.access import (
    HouseholdRef,
    acting_for,
    authorize_household,
    current_user,
    household_or_none,
    job_grant,
)
from dashboard.services.households import snapshot
from dashboard.services.prices import prices_as_of
from dashboard.services.threads import RunSummary, create_thread, household_threads, save_run

# the page each run choice reruns, by the key its runs are saved under
PAGES: dict[str, AnalysisPage] = {
    page.key: page for page in (BACKTEST, RISK, OPTIMISATION, GOALS, MONTE_CARLO, RETIREMENT, TAX)
}
assert set(PAGES) == set(form.RUN_PAGES), "every report section's page is wired"


@dataclass(frozen=True)
class Shown:
    """One run as a report section shows it: its page, where it came from, its settings and result."""

    page: str
    source: str
    scenario: str  # the page's query of the run (a link to it)
    clean: dict
    out: Any
    run_id: int | None = None


@dataclass(frozen=True)
class Report:
    """Everything a report shows, computed: the components draw it (``components/report.py``)."""

    composition: form.Composition
    household: HouseholdRef
    analyst: str
    snapshot: Any  # HouseholdSnapshot
    prices_as_of: Any  # PricesAsOf
    assumptions: Any  # the firm's set in force (AssumptionsRef) or None
    shown: dict[str, Shown]
    firm_name: str
    logo: str | None  # the firm's logo as a data: URL
    savings: dict = field(default_factory=dict)  # goal id -> SavingSolution at the Goals run's probability
    weight_rows: list = field(default_factory=list)  # the proposal's (ticker, sector, weight, current)
    generated: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def saved_runs(household_id: int, page: str, thread: int | None = None) -> list[tuple[RunSummary, str]]:
    """The household's saved runs of ``page`` (in ``thread`` only, if given), newest first, with their
    thread's title."""
    found = [
        (run, t.title)
        for t in household_threads(household_id)
        if thread is None or t.id == thread
        for run in t.items
        if run.page == page
    ]
    return sorted(found, key=lambda pair: (pair[0].created_at, pair[0].id), reverse=True)


def _thread(clean: dict, household: HouseholdRef) -> int | None:
    """The thread the form's "Runs from" names (one of the household's), or None for every thread."""
    chosen = clean.get("thread") or ""
    if not chosen:
        return None
    if not (chosen.isascii() and chosen.isdigit() and len(chosen) <= 10) or int(chosen) not in {
        t.id for t in household_threads(household.id)
    }:
        raise FormErrors({"thread": "Choose one of the household's threads."})
    return int(chosen)


def prepare(clean: dict, household: HouseholdRef) -> form.Composition:
    """The composition of a clean form: empty run choices resolved to the latest saved run (in the chosen
    thread, or in any), else a fresh run."""
    thread = _thread(clean, household)

    def latest(page: str) -> int | None:
        runs = saved_runs(household.id, page, thread)
        return runs[0][0].id if runs else None

    return form.compose(clean, dt.date.today(), latest)


def _shown(page_key: str, run_id: int | None, household: HouseholdRef, compute_large: bool) -> Shown:
    page = PAGES[page_key]
    if run_id is None:
        clean = page.pinned_clean(page.form.defaults())
        scenario = page.form.canonical_query(clean, household.id)
        source = "a fresh run with the page's defaults"
        run = None
    else:
        run = next((r for r, _ in saved_runs(household.id, page_key) if r.id == run_id), None)
        if run is None:
            raise FormErrors(
                {f"run_{page_key}": f"Run #{run_id} is not a {page.name} run in this household's threads."}
            )
        scenario = run.params
        query = parse_search(scenario)
        if str(query.pop("household", "")) != str(household.id):
            raise InvalidInput(f"Run #{run_id} is another household's.")
        try:
            clean = page.pinned_clean(page.form.clean(query))
        except FormErrors as error:
            raise FormErrors({f"run_{page_key}": f"Run #{run_id} cannot be run again: {error}"}) from None
        thread = next(t for r, t in saved_runs(household.id, page_key) if r.id == run_id)
        source = f"saved run #{run.id} in the thread '{thread}' ({run.created_by}, {run.created_at:%d %b %Y})"
    stored = page.stored(clean, household) if page.stored is not None and not compute_large else None
    out = stored if stored is not None else page.result(clean, household)
    return Shown(page_key, source, scenario, clean, out, run_id)


def assemble(composition: form.Composition, household: HouseholdRef, compute_large: bool = False) -> Report:
    """Every section's run computed (through the cache), and what the cover and methodology say.

    ``compute_large``: a run too large for a web worker (a large Monte Carlo) is computed (in a
    background job or the command line) rather than taken from the store only."""
    shown = {page: _shown(page, run_id, household, compute_large) for page, run_id in composition.runs}
    savings = {}
    if "goalsim" in shown:
        evaluation = shown["goalsim"].out
        probability = shown["goalsim"].clean["probability"]
        for goal, spec in zip(evaluation.goals, evaluation.specs, strict=True):
            savings[goal.id] = goal_saving(evaluation.model, spec, probability, household=household.id)
    rows = []
    if "opt" in shown:
        out = shown["opt"].out
        rows = weight_rows(out.optimal.weights, out.scenario.current)
    firm_name, logo = store.firm()
    return Report(
        composition,
        household,
        store.user_name(household.analyst_id),
        snapshot(household),
        prices_as_of(),
        firm.in_force(),
        shown,
        firm_name,
        logo,
        savings,
        rows,
    )


def composition_query(composition: form.Composition, household_id: int) -> str:
    """The report form's query for a composition with every run pinned (what a saved report keeps)."""
    values = {
        "title": composition.title,
        "date": composition.date.isoformat(),
        "sections": list(composition.sections),
        "note": composition.note,
        **{f"run_{p}": (form.FRESH if r is None else str(r)) for p, r in composition.runs},
    }
    return form.FORM.to_query(values, household_id)


# -- the PDF ---------------------------------------------------------------------------------------


def pdf_key(composition: form.Composition, household: HouseholdRef) -> dict:
    """What a finished PDF is kept under: the composition and everything its numbers read (the
    household's versions, the firm's set for fresh runs; the market version is in every cache key)."""
    in_force = firm.in_force()
    return {
        "kind": "pdf",
        "composition": composition_query(composition, household.id),
        "versions": [household.data_version, household.goals_version],
        "assumptions": None if in_force is None else in_force.id,
    }


def digest(key: dict) -> str:
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]


def filename(report: Report) -> str:
    name = "".join(c if c.isalnum() else "-" for c in report.household.name).strip("-").lower()
    return f"{name}-review-{report.composition.date:%Y-%m-%d}.pdf"


def render_pdf(report: Report, progress=None) -> bytes:
    """The report as a PDF: its component tree, charts drawn as SVG, laid out by WeasyPrint."""
    tree = document(report, printed=True)
    figures = figures_of(tree)
    timeout, paper_size = store.layout()
    svgs = printing.render_svgs(
        {chart_id: figure for chart_id, (figure, _) in figures.items()},
        timeout=timeout,
        progress=(lambda done, total: progress(f"Drawing the charts: {done} of {total}"))
        if progress
        else None,
    )
    if progress:
        progress("Laying out the pages")
    created = report.generated.strftime("%Y-%m-%dT%H:%M:%SZ")
    head = (
        f'<meta name="author" content="{_attr(report.analyst)}">'
        f'<meta name="description" content="{_attr(report.composition.title)} for {_attr(report.household.name)}">'
        f'<meta name="generator" content="Meridian">'
        f'<meta name="dcterms.created" content="{created}">'
    )
    title = f"{report.composition.title}: {report.household.name}"
    alts = {chart_id: caption for chart_id, (_, caption) in figures.items()}
    html_text = printing.to_html(tree, svgs, title=title, head=head, alts=alts)
    paper = f"@page report {{ size: {paper_size}; }}"
    return printing.to_pdf(html_text, [printing.stylesheet("report.css"), paper])


def _attr(text: str) -> str:
    import html as markup

    return markup.escape(text, quote=True)


def renderer_slot(progress=None):
    """One of the bounded renderers (``REPORT_RENDERERS``), waited for while all are busy."""
    return store.renderer(progress=progress)


def produce(composition, household: HouseholdRef, progress=None) -> tuple[str, str, int, float]:
    """(digest, file name, bytes, seconds) of the composition's PDF: the one kept for it if any, else
    rendered now (computing its runs, large ones included) on one of the bounded renderers and kept."""
    started = time.perf_counter()
    key = pdf_key(composition, household)
    name = digest(key)
    kept = store.kept_pdf(name, household.id)
    if kept is not None:
        return name, kept["filename"], len(kept["pdf"]), time.perf_counter() - started
    if progress:
        progress("Computing the sections")
    report = assemble(composition, household, compute_large=True)
    with renderer_slot(progress):
        pdf = render_pdf(report, progress)
    store.keep_pdf(name, household.id, filename(report), pdf)
    return name, filename(report), len(pdf), time.perf_counter() - started


# -- the composer ----------------------------------------------------------------------------------

RUN_FIELDS = [f"run_{p}" for p in form.RUN_PAGES]


THREAD_FIELD = ids.field(form.KEY, "thread")


@dash.callback(
    Output(THREAD_FIELD, "options"),
    *[Output(ids.field(form.KEY, name), "options") for name in RUN_FIELDS],
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    Input(THREAD_FIELD, "value"),
    *[State(ids.field(form.KEY, name), "value") for name in RUN_FIELDS],
)
def run_choices(household_id, thread_value, *chosen):
    """The household's threads, and each section's runs: its page's saved runs (in the chosen thread),
    or a fresh run of its defaults."""
    try:
        household = household_or_none(household_id)
        threads = household_threads(household.id) if household is not None else []
    except Exception:  # noqa: BLE001 - the preview says why; the choices stay empty
        household, threads = None, []
    thread_options = [{"label": form.FORM.by_name["thread"].empty, "value": ""}]
    thread_options += [{"label": t.title, "value": str(t.id)} for t in threads]
    thread = (
        int(thread_value) if str(thread_value or "") in {o["value"] for o in thread_options[1:]} else None
    )
    out = [thread_options]
    for page, value in zip(form.RUN_PAGES, chosen, strict=True):
        runs = saved_runs(household.id, page, thread) if household is not None else []
        latest = f"the latest saved (#{runs[0][0].id})" if runs else "none saved: a fresh run"
        options = [{"label": f"Latest: {latest}", "value": ""}]
        options += [{"label": run_label(run, title), "value": str(run.id)} for run, title in runs]
        options.append({"label": "A fresh run with the page's defaults", "value": form.FRESH})
        if value and all(o["value"] != value for o in options):
            options.append(
                {"label": f"#{value} (not in this household's threads)", "value": value, "disabled": True}
            )
        out.append(options)
    return out


def _chromium_note():
    if printing.chromium_path() is not None:
        return None
    return dbc.Alert(
        "PDF reports need Chromium on the server to draw the charts (Debian: apt-get install chromium); "
        "meanwhile print this page from the browser.",
        color="warning",
        className="small py-2",
    )


@dash.callback(
    *field_outputs(form.KEY),
    Output(REPORT.DOCUMENT, "children"),
    Output(REPORT.ALERT, "children"),
    Output(REPORT.URL, "search"),
    Output(REPORT.SHOWN, "data"),
    Output(REPORT.PDF, "disabled"),
    Output(REPORT.PDF_NOTE, "children"),
    Input(REPORT.PREVIEW, "n_clicks"),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    *field_states(form.KEY),
)
def preview(_clicks, household_id, values, field_ids):
    """The report as composed, drawn below the form: the printable page (print it from the browser)."""
    reading = form.FORM.read(values, field_ids)
    classes, messages = marks(field_ids, reading.errors, form.FORM.by_name)
    chromium = _chromium_note()
    try:
        household = household_or_none(household_id)
        if household is None:
            if ctx.triggered_id is None:
                raise PreventUpdate
            return (
                classes,
                messages,
                notice("Choose a household to compose its report."),
                None,
                no_update,
                None,
                True,
                chromium,
            )
        composition = prepare(reading.check(), household)
        report = assemble(composition, household)
    except PreventUpdate:
        raise
    except FormErrors as error:
        classes, messages = marks(field_ids, {**reading.errors, **error.errors}, form.FORM.by_name)
        return classes, messages, None, error_alert(error), no_update, None, True, chromium
    except Exception as error:  # noqa: BLE001 - shown on the page
        return classes, messages, None, error_alert(error), no_update, None, True, chromium
    search = form.FORM.to_query(reading.raw, household.id)
    shown = composition_query(composition, household.id)
    return classes, messages, document(report), None, search, shown, chromium is not None, chromium


def on_screen(shown) -> tuple[HouseholdRef, form.Composition]:
    """The composition on screen (its pinned query, kept by the preview), checked again: it comes from
    the browser."""
    if not isinstance(shown, str) or not shown.startswith("?"):
        raise InvalidInput("Preview the report first: there is no report on screen.")
    query = parse_search(shown)
    household = authorize_household(query.pop("household", None))
    clean = form.FORM.clean({**query, "sections": query.get("sections", "")})
    composition = form.compose(clean, dt.date.today(), lambda _page: None)
    return household, composition


@dash.callback(
    Output(REPORT.JOB, "data"),
    Output(REPORT.PDF_RESULT, "children"),
    Input(REPORT.PDF, "n_clicks"),
    State(REPORT.SHOWN, "data"),
    State(REPORT.CANCEL, "n_clicks"),
    prevent_initial_call=True,
)
def start_pdf(_clicks, shown, cancels=None):
    """The PDF of the report on screen goes to a background job (a signed grant acts for this user)."""
    try:
        household, composition = on_screen(shown)
        printing.require_chromium()
    except Exception as error:  # noqa: BLE001 - shown beside the button
        return no_update, error_alert(error)
    job = {
        "shown": shown,
        "household": household.id,
        "grant": job_grant(household),
        "run": uuid.uuid4().hex,
        "cancels": cancels or 0,  # the Cancel button's clicks before this job (``cancelled``)
    }
    return job, notice("Making the PDF…", REPORT.WAITING)


@dash.callback(
    Output(REPORT.PDF_RESULT, "children", allow_duplicate=True),
    Input(REPORT.JOB, "data"),
    background=True,
    progress=[Output(REPORT.PROGRESS_TEXT, "children")],
    progress_default=[""],
    running=[
        (Output(REPORT.PROGRESS_AREA, "style"), {"display": "block"}, {"display": "none"}),
        (Output(REPORT.PDF, "disabled"), True, False),
        (Output(REPORT.JOB_STATE, "data"), "running", "ended"),
    ],
    cancel=[Input(REPORT.CANCEL, "n_clicks")],
    prevent_initial_call=True,
    interval=500,
)
def make_pdf(set_progress, job):
    """The PDF as a background job: sections computed, charts drawn, pages laid out; then a link."""
    from dashboard.background import in_job_process

    in_job_process()
    try:
        if not isinstance(job, dict):
            raise InvalidInput("The report request was malformed.")
        with acting_for(job.get("grant"), job.get("household")):
            household, composition = on_screen(job.get("shown"))
            if household.id != job.get("household"):
                raise InvalidInput("The report request was malformed.")
            name, file, size, seconds = produce(composition, household, lambda text: set_progress((text,)))
        href = dash.get_relative_path(f"/report/pdf/{household.id}/{name}")
        return pdf_ready(href, file, size, seconds)
    except Exception as error:  # noqa: BLE001 - shown beside the button
        return error_alert(error)


@dash.callback(
    Output(REPORT.PDF_RESULT, "children", allow_duplicate=True),
    Input(REPORT.JOB_STATE, "data"),
    Input(REPORT.CANCEL, "n_clicks"),
    State(REPORT.PDF_RESULT, "children"),
    State(REPORT.JOB, "data"),
    prevent_initial_call=True,
)
def watch_pdf_job(state, cancel, result, job):
    """A PDF job that ends without a result (cancelled, or its process died) says so."""
    waiting = isinstance(result, dict) and result.get("props", {}).get("id") == REPORT.WAITING
    if not waiting:
        raise PreventUpdate
    if cancelled(cancel, job):
        return notice("The PDF was cancelled; nothing was kept.")
    if state != "ended":
        raise PreventUpdate
    return dbc.Alert(
        "The PDF job stopped before finishing (its process ended); make it again.",
        color="danger",
        className="small",
    )


@dash.callback(
    Output(REPORT.SAVE_RESULT, "children"),
    Output(REPORT.THREAD, "options"),
    Input(REPORT.SAVE, "n_clicks"),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    State(REPORT.SHOWN, "data"),
    State(REPORT.THREAD, "value"),
    State(REPORT.THREAD_TITLE, "value"),
)
def save_report(_clicks, household_id, shown, thread_id, title):
    """Save the report on screen with a thread: its fresh runs are saved into the thread first, so the
    report keeps run ids only and gives the same numbers when produced again."""
    try:
        household = household_or_none(household_id)
        options = [] if household is None else _thread_options(household)
        if ctx.triggered_id != REPORT.SAVE:
            return None, options
        shown_household, composition = on_screen(shown)
        if household is None or shown_household.id != household.id:
            raise InvalidInput("The report on screen is another household's; preview it again.")
        user = current_user()
        thread_id = chosen_id(thread_id) if thread_id not in (None, "") else None
        if thread_id is None:
            if not (title or "").strip():
                raise InvalidInput("Choose a thread or give a new one a title.")
            thread_id = create_thread(household.id, user.id, title)
        runs = []
        for page_key, run_id in composition.runs:
            if run_id is None:  # a fresh run becomes a saved run of its page, in the same thread
                result = _shown(page_key, None, household, compute_large=False)
                page = PAGES[page_key]
                seed, summary = page.summarise(result.out, result.clean)
                note = f"Run for the client report '{composition.title}'."
                run_id = save_run(
                    household.id, user.id, thread_id, page_key, result.scenario, seed, summary, note
                )
            runs.append((page_key, run_id))
        pinned = form.Composition(
            composition.title, composition.date, composition.sections, composition.note, tuple(runs)
        )
        query = composition_query(pinned, household.id)
        summary = {
            "title": pinned.title,
            "sections": ", ".join(form.SECTION_TITLES[s] for s in pinned.sections),
        }
        save_run(household.id, user.id, thread_id, form.KEY, query, None, summary, pinned.note[:200])
        link = dash.get_relative_path("/report") + query
        saved = dbc.Alert(
            ["Saved with the thread. ", html.A("Open the saved report", href=link)],
            color="success",
            className="py-1 small",
        )
        return saved, _thread_options(household)
    except Exception as error:  # noqa: BLE001 - shown beside the button
        return error_alert(error), no_update


def _thread_options(household: HouseholdRef) -> list[dict]:
    return [{"label": "A new thread (title below)", "value": ""}] + [
        {"label": t.title, "value": str(t.id)} for t in household_threads(household.id)
    ]


dash.clientside_callback(
    ClientsideFunction("meridian", "print"),
    Output(REPORT.PRINT, "title"),
    Input(REPORT.PRINT, "n_clicks"),
    prevent_initial_call=True,
)
