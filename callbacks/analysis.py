"""What every analysis page's callbacks share: the page spec, its run and download callbacks, messages.

An :class:`AnalysisPage` declares in one object what a page computes (from its
form, through the services and the cached facade), how it renders the result,
what its CSV holds and how a run is summarised in a thread. ``callbacks/__init__``
wires every page explicitly: the download and "save to thread" callbacks for
all, the generic run callback for pages whose result is one panel.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, ctx, dcc, html, no_update

from callbacks.rendered import remember, remembered
from components import ids
from components.forms import field_boxes, field_outputs, field_states, marks
from components.ids import Frame
from components.threads import PageInfo, headline, parameter
from dashboard.answers import Basis, Keyer, answers
from dashboard.errors import InvalidInput, describe
from dashboard.forms.fields import Form, FormErrors, parse_search
from dashboard.forms.simulation import needs_assumptions
from dashboard.services import assumptions as firm
from dashboard.services import audit
from dashboard.services.access import (
    HouseholdRef,
    authorize_household,
    household_or_none,
    household_reads,
    household_with,
    parse_household_id,
)
from dashboard.services.prices import prices_as_of
from dashboard.spreadsheet import safe_cell


@dataclass(frozen=True)
class AnalysisPage:
    """One analysis page: its ids, form, and what it computes, shows, exports and saves.

    - ``prepare(clean, household) -> scenario``: the typed request(s) the
      clean form asks for, with the household's data read through the services;
    - ``compute(scenario, refresh) -> result``: through the cached facade;
    - ``render(result) -> children`` of ``frame.results`` (None: the page has
      its own run callback because it draws more than one panel);
    - ``table(result) -> (header, rows)``: the CSV download;
    - ``summarise(result, clean) -> (seed or None, summary)``: a saved run.
    """

    frame: Frame
    form: Form
    path: str
    name: str
    noun: str
    prepare: Callable[[dict, HouseholdRef], Any]
    compute: Callable[[Any, bool], Any]
    table: Callable[[Any], tuple[list[str], list[list]]]
    summarise: Callable[[Any, dict], tuple[int | None, dict]]
    render: Callable[[Any], Any] | None = None
    reads_goals: bool = False  # its result depends on the household's goals (not only its portfolio)
    # a run too large for a web worker: its result from the store only (InvalidInput when it is not
    # there), or None when the run is small enough to compute on demand
    stored: Callable[[dict, HouseholdRef], Any] | None = None
    # the summary's headline figures as the page shows them: (key, label, format), in the page's order;
    # formats: percent, money, ratio, count, text, weights ("*": every key, labelled by itself)
    figures: tuple[tuple[str, str, str], ...] = ()
    # ``pin(clean) -> clean``: fields whose empty value means "as of now" (the firm's assumptions in
    # force) resolved to what the run used, so the scenario it keeps (URL, saved run, cached panel)
    # still means the same later; ``pinned`` names them
    pin: Callable[[dict], dict] | None = None
    pinned: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The key runs are saved under in threads (the form's key)."""
        return self.form.key

    def result(self, clean: dict, household: HouseholdRef, refresh: bool = False):
        return self.compute(self.prepare(self.pinned_clean(clean), household), refresh)

    def pinned_in(self, search: str) -> dict:
        """The pinned fields' values in a run's URL query (what a background job must run with)."""
        query = parse_search(search)
        return {name: query[name] for name in self.pinned if name in query}

    def pinned_clean(self, clean: dict) -> dict:
        """``clean`` with its "as of now" fields resolved (``pin``); the same dict when there are none."""
        return clean if self.pin is None else self.pin(clean)

    def on_screen(self, scenario, action: str) -> tuple[HouseholdRef, dict, Any]:
        """(household, clean form, result) of the results on screen: the last run's scenario (its URL query,
        kept by the run callback), never the form as edited since. Large runs come from the store."""
        household, clean = self.scenario_on_screen(scenario, action)
        return household, clean, self.result_on_screen(clean, household)

    def scenario_on_screen(self, scenario, action: str) -> tuple[HouseholdRef, dict]:
        """(household, clean form) of the results on screen (``on_screen`` without the result)."""
        if not isinstance(scenario, str) or not scenario.startswith("?"):
            raise InvalidInput(f"Run the {self.noun} first: there are no results on screen to {action}.")
        query = parse_search(scenario)
        household = authorize_household(query.pop("household", None))
        return household, self.pinned_clean(self.form.clean(query))

    def result_on_screen(self, clean: dict, household: HouseholdRef):
        out = self.stored(clean, household) if self.stored is not None else None
        return out if out is not None else self.result(clean, household)

    def detail(self, what: dict, clean: dict, household: HouseholdRef, build: Callable[[], Any]):
        """What ``build()`` renders of the results of ``clean`` beyond their panel (``what``: e.g. a point
        of the frontier), kept like the panel: a detail asked for again costs a cache lookup."""
        return remember(
            f"{self.key}:detail", {**self._scenario(clean, household), **what}, household.id, build
        )

    def shown(self, clean: dict, household: HouseholdRef, build: Callable[[], Any], refresh: bool = False):
        """What ``build()`` renders for the form ``clean`` on the household's data as they are now (its
        versions), kept so a repeated scenario costs a cache lookup: no reads, no rendering; and the
        response that carries it, kept whole (``dashboard/answers.py``) unless it was asked for anew."""
        shown = remember(self.key, self._scenario(clean, household), household.id, build, refresh)
        if not refresh:
            answers.offer()
        return shown

    def already_shown(self, clean: dict, household: HouseholdRef):
        """What ``shown`` kept for this form and household as they are now, or None (nothing is built)."""
        return remembered(self.key, self._scenario(clean, household), household.id)

    def versions(self, household: HouseholdRef) -> int | list[int]:
        """The versions of the household's data its results read: the portfolio's, and the goals' too for a
        page that reads them (a goal saved leaves every other page's results as they were)."""
        if self.reads_goals:
            return [household.data_version, household.goals_version]
        return household.data_version

    def _scenario(self, clean: dict, household: HouseholdRef) -> dict:
        return {"form": clean, "household": household.id, "version": self.versions(household)}


@dataclass(frozen=True)
class Attempt:
    """A run as the form stood: the fields' marks, then the household and result, or why there is none."""

    classes: list
    messages: list
    household: HouseholdRef | None = None
    search: str | None = None
    outcome: Any = None
    error: Exception | None = None


def attempt(
    page: AnalysisPage, household_id, values: list, field_ids: list, then: Callable[[dict, HouseholdRef], Any]
) -> Attempt:
    """Validate the form, authorise the household and hand both to ``then`` (which prepares and computes).

    Raises nothing: a failure comes back as ``error`` (shown as an alert), bad
    fields are marked whether they failed in the form or in ``prepare``.
    """
    reading = page.form.read(values, field_ids)
    classes, messages = marks(field_ids, reading.errors, page.form.by_name)
    try:
        household = household_or_none(household_id)
        if household is None:
            return Attempt(classes, messages)
        clean = page.pinned_clean(reading.check())
        outcome = then(clean, household)
        raw = {**reading.raw, **{name: clean[name] for name in page.pinned if clean.get(name) is not None}}
        return Attempt(classes, messages, household, page.form.to_query(raw, household.id), outcome)
    except FormErrors as error:
        answers.withdraw()
        classes, messages = marks(field_ids, {**reading.errors, **error.errors}, page.form.by_name)
        return Attempt(classes, messages, error=error)
    except Exception as error:  # noqa: BLE001 - shown on the page; unexpected ones are logged with a reference
        answers.withdraw()  # a panel shown before the failure is not what this request answers
        return Attempt(classes, messages, error=error)


def replay_basis(page: AnalysisPage) -> Keyer:
    """How a request of ``page``'s run callback (``run_inputs``' shape) is keyed to be answered again:
    the form as sent, the household (if the user may see it) with the versions of its data the page reads
    (those its panel is kept under: the portfolio's, and the goals' for a page reading them), and what the
    page's pin reads (the assumptions' pin: the set in force). None for a recompute, no household, a refusal.
    What it reads of the cache (the household's authorisation, the sets of assumptions) is read ahead
    with the signed-in user."""
    recompute = f"{page.frame.recompute}."
    also = [firm.LISTED] if page.pin is not None else []
    if page.pin not in (None, pin_assumptions):
        return Keyer(lambda body: None, lambda body, user_id: [])  # a pin whose reads the key would not know

    def read(body: dict) -> Basis | None:
        try:  # any request at all comes here (the request check comes after a miss): junk is no run
            changed = body["changedPropIds"]
            if not isinstance(changed, list) or any(str(c).startswith(recompute) for c in changed):
                return None  # asked to compute again
            household_id = body["inputs"][2]["value"]
            values = [state.get("value") for state in body["state"][0]]
            field_ids = [state.get("value") for state in body["state"][1]]
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
        if household_id is None:
            return None
        try:  # the household and the sets of assumptions, in one round trip when both are cached
            household, sets = household_with(household_id, *also)
            in_force = None
            if page.pin is not None:
                in_force = firm.in_force(sets=sets[0]) if sets[0] is not None else firm.in_force()
        except Exception:  # noqa: BLE001 - refused, or unreadable: the callback says why
            return None
        parts = {
            "values": values,
            "fields": field_ids,
            "versions": page.versions(household),  # what its panel is kept under (``shown``)
            "assumptions": None if in_force is None else in_force.id,
        }
        return Basis(household=household.id, parts=parts)

    def reads(body: dict, user_id: int) -> list:
        try:
            household_id = parse_household_id(body["inputs"][2]["value"])
        except (KeyError, IndexError, TypeError, InvalidInput):
            return []
        return household_reads(household_id, user_id, *also)

    return Keyer(read, reads)


def run_inputs(frame: Frame, form: Form) -> list:
    """A run callback's inputs: its run and recompute buttons, the household, then every field of the form."""
    return [
        Input(frame.run, "n_clicks"),
        Input(frame.recompute, "n_clicks"),
        Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
        *field_states(form.key),
    ]


def first_load(done: Attempt) -> bool:
    """No household yet because the page has just loaded (the shell has not chosen one): show nothing new.

    The shell's household callback then sets it, which runs the page again; an
    analyst with no household at all gets the notice then.
    """
    return done.household is None and done.error is None and ctx.triggered_id is None


def refreshing(frame: Frame) -> bool:
    """True when the analyst pressed Recompute."""
    return ctx.triggered_id == frame.recompute


def register_run(page: AnalysisPage):
    """The run callback of a page whose result is one panel: form -> result -> ``frame.results``."""

    @dash.callback(
        *field_outputs(page.form.key),
        Output(page.frame.results, "children"),
        Output(page.frame.alert, "children"),
        Output(page.frame.url, "search"),
        Output(ids.thread_save("scenario", page.key), "data"),
        *run_inputs(page.frame, page.form),
    )
    def run(_run, _recompute, household_id, values, field_ids):
        refresh = refreshing(page.frame)

        def show(clean, household):
            def build():
                return page.render(page.result(clean, household, refresh))

            return page.shown(clean, household, build, refresh)

        done = attempt(page, household_id, values, field_ids, show)
        ended = without_result(done, f"Choose a household to see its {page.noun}.")
        if ended is not None:
            return ended
        return done.classes, done.messages, done.outcome, None, done.search, done.search

    return run


def without_result(done: Attempt, prompt: str, extras: Sequence = (), cleared: Sequence | None = None):
    """A run's outputs when it has no result, or None when it has one.

    The outputs are (field classes, field messages, results, alert, URL search, *the page's own
    outputs, thread scenario): refused (the alert says why, the fields are marked; the page's own
    outputs take ``cleared``, by default unchanged), the page has just loaded (nothing changes), or no
    household is chosen (``prompt`` in the results; the page's own outputs take ``extras``).
    """
    unchanged = (no_update,) * len(extras)
    if done.error is not None:  # results of earlier settings would sit under the message: cleared
        kept = unchanged if cleared is None else tuple(cleared)
        return done.classes, done.messages, failed(), error_alert(done.error), no_update, *kept, None
    if first_load(done):
        return done.classes, done.messages, no_update, no_update, no_update, *unchanged, no_update
    if done.household is None:
        return done.classes, done.messages, notice(prompt), None, no_update, *extras, None
    return None


def register_switch(form: Form) -> None:
    """Show only the fields that apply to the value of the form's switch (clientside: no round trip)."""
    dash.clientside_callback(
        ClientsideFunction("meridian", "fieldsFor"),
        Output(field_boxes(form.key), "className"),
        Input(ids.field(form.key, form.switch), "value"),
        State(field_boxes(form.key), "id"),
        prevent_initial_call=True,
    )


def register_assumption_choices(form: Form) -> None:
    """The sets of firm assumptions as the choices of the form's ``assumptions`` field (newest first;
    a link's choice kept, marked when there is no such set)."""

    @dash.callback(
        Output(ids.field(form.key, "assumptions"), "options"),
        Input(ids.field(form.key, "assumptions"), "id"),
        State(ids.field(form.key, "assumptions"), "value"),
    )
    def assumption_choices(_drawn, chosen):
        field = form.by_name["assumptions"]
        try:
            sets = firm.list_sets()
        except Exception:  # noqa: BLE001 - the run says why; the choice stays "in force today"
            sets = []
        current = firm.in_force()
        empty = field.empty + (f": {current.label}" if current is not None else " (none is in force)")
        options = [{"label": empty, "value": ""}]
        options += [{"label": s.label, "value": str(s.id)} for s in sets]
        if chosen and all(o["value"] != chosen for o in options):
            options.append(
                {"label": f"Set {chosen} (there is no such set)", "value": chosen, "disabled": True}
            )
        return options

    return assumption_choices


def register_download(page: AnalysisPage):
    """The "Download CSV" callback of a page: its results' table as CSV, named by household (and seed)."""

    @dash.callback(
        Output(page.frame.download, "data"),
        Output(page.frame.alert, "children", allow_duplicate=True),
        Input(page.frame.download_button, "n_clicks"),
        State(ids.thread_save("scenario", page.key), "data"),
        prevent_initial_call=True,
    )
    def download(_clicks, scenario):
        """Exactly the results on screen (the last run's scenario), not the form as edited since; the file
        opens with what they are: the page, the household, the prices' date, every setting and the
        headline figures, as the page and its threads show them."""
        try:
            household, stem, header, rows, context = export(page, scenario)
        except Exception as error:  # noqa: BLE001 - shown on the page
            return no_update, error_alert(error)
        audit.log("csv-download", household_id=household.id, target=page.name, detail=f"{stem}.csv")
        return csv_download(header, rows, f"{stem}.csv", context), no_update

    @dash.callback(
        Output(page.frame.download, "data", allow_duplicate=True),
        Output(page.frame.alert, "children", allow_duplicate=True),
        Input(page.frame.excel_button, "n_clicks"),
        State(ids.thread_save("scenario", page.key), "data"),
        prevent_initial_call=True,
    )
    def download_excel(_clicks, scenario):
        """The same as the CSV, as a workbook: the scenario and headline figures on a sheet of their own,
        then one sheet per part of the table (weights and frontier, statistics and years, ...)."""
        try:
            household, stem, header, rows, context = export(page, scenario)
            workbook = excel_workbook(page.name, header, rows, context)
        except Exception as error:  # noqa: BLE001 - shown on the page
            return no_update, error_alert(error)
        audit.log("csv-download", household_id=household.id, target=page.name, detail=f"{stem}.xlsx")
        return dcc.send_bytes(workbook, f"{stem}.xlsx"), no_update

    download.excel = download_excel
    return download


def chosen_id(value):
    """A native select's chosen id (its values are text): an int for 1-10 ASCII digits, the value as it
    came otherwise (None, "all", or junk the services refuse)."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        return int(value)
    return value


# -- the firm's assumptions ----------------------------------------------------------------------


def pin_assumptions(clean: dict) -> dict:
    """``clean`` with its set of firm assumptions pinned: the one chosen (checked), else the set in force
    today. With none in force, left empty when the run can do without (a historical model with
    inflation given), else refused beside the field."""
    chosen = clean.get("assumptions")
    if chosen not in (None, ""):
        text = str(chosen)
        if not (text.isascii() and text.isdigit() and len(text) <= 10):
            raise FormErrors({"assumptions": "Choose one of the sets of assumptions listed."})
        try:
            firm.get_ref(int(text))
        except InvalidInput as error:
            raise FormErrors({"assumptions": str(error)}) from None
        return {**clean, "assumptions": text}
    ref = firm.in_force()
    if ref is None:
        if needs_assumptions(clean):
            field = "inflation" if clean.get("model") != "firm" else "assumptions"
            raise FormErrors({field: firm.NO_ASSUMPTIONS})
        return {**clean, "assumptions": None}
    return {**clean, "assumptions": str(ref.id)}


def assumptions_of(clean: dict) -> firm.AssumptionsRef | None:
    """The set a pinned form names (None: none in force and none needed)."""
    pinned = pin_assumptions(clean)["assumptions"]
    return None if pinned is None else firm.get_ref(int(pinned))


# -- messages --------------------------------------------------------------------------------------


def error_alert(error: Exception) -> dbc.Alert:
    """The page's alert for a failure: the engine's or validation's own words, else a logged, generic line."""
    message, color = describe(error)
    return dbc.Alert(message, color=color, className="page-alert")


def failed() -> html.P:
    """What replaces the results when a run fails: earlier results would not match the form any more."""
    return notice("No results for these settings: see the message above.", ids.RUN_FAILED)


def notice(text: str, notice_id: str | None = None) -> html.P:
    if notice_id is None:
        return html.P(text, className="text-muted page-notice")
    return html.P(text, className="text-muted page-notice", id=notice_id)


# -- CSV -------------------------------------------------------------------------------------------


def export(page: AnalysisPage, scenario) -> tuple[HouseholdRef, str, list[str], list[list], list[list]]:
    """What a download of the results on screen holds: (household, file stem, header, rows, context)."""
    household, clean, out = page.on_screen(scenario, "download")
    header, rows = page.table(out)
    context = csv_context(page, household, clean, out)
    seed = f"-seed{clean['seed']}" if clean.get("seed") is not None else ""
    return household, f"{page.frame.prefix}-{household.id}{seed}", header, rows, context


def excel_workbook(title: str, header: list[str], rows: list[list], context: list[list]) -> bytes:
    """An .xlsx of a page's table: "About" (the context), then a sheet per section when the table's first
    column is its section (the part of the table each row belongs to), else one "Data" sheet. Text is
    written as text (never a formula), numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    about = book.active
    about.title = "About"
    for line in context:
        _append(about, line)
    about.column_dimensions["A"].width = 36
    about.column_dimensions["B"].width = 60
    parts: dict[str, list[list]] = {}
    if header and header[0] == "section":
        for row in rows:
            parts.setdefault(str(row[0]), []).append(list(row[1:]))
        columns = header[1:]
    else:
        parts["Data"] = [list(r) for r in rows]
        columns = header
    used: set[str] = {"About"}
    for part, part_rows in parts.items():
        name = _sheet_name(part, used)
        sheet = book.create_sheet(name)
        _append(sheet, columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in part_rows:
            _append(sheet, row)
    book.properties.title = title
    book.properties.creator = "Meridian"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _append(sheet, values) -> None:
    sheet.append([None if v is None else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with


def _sheet_name(part: str, used: set[str]) -> str:
    base = "".join(c for c in part if c not in "[]:*?/\\").strip()[:28] or "Part"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name)
    return name


def csv_context(page: AnalysisPage, household: HouseholdRef, clean: dict, out) -> list[list[str]]:
    """(label, value) rows that open a page's CSV: the page, the household, the prices' date, each setting
    (labels, choices and numbers as the form shows them) and the headline figures (as the page shows
    them), so a file read later, or by someone else, says what it holds."""
    info = PageInfo(page.path, page.name, page.figures, {f.name: f for f in page.form.fields})
    rows = [["Meridian", page.name], ["Household", household.name], ["Prices", prices_as_of().label]]
    query = parse_qs(page.form.canonical_query(clean, household.id).lstrip("?"))
    rows += [list(parameter(info, k, v[0])) for k, v in query.items() if k != "household"]
    _seed, summary = page.summarise(out, clean)
    rows += [list(pair) for pair in headline(SimpleNamespace(summary=summary), info)]
    return rows


def csv_download(header: list[str], rows: list[list], filename: str, context: list[list] = ()) -> dict:
    """A ``dcc.Download`` payload with the rows as CSV, after ``context`` rows and an empty row if any."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in context:
        writer.writerow([safe_cell(v) for v in line])
    if context:
        writer.writerow([])
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return dcc.send_string(buffer.getvalue(), filename)
