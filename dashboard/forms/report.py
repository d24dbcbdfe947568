"""The client report's form: which sections, which run each shows, a title, a note to the client and a
date; and the composition it resolves to.

Each analysis section shows a run of its page: a run saved in one of the household's threads (its id),
or a fresh run with the page's defaults. Left empty, a section shows the latest run of its page saved
in the household's threads, else a fresh run, and the report says which. A saved report keeps run ids
only (its fresh runs are saved into the thread with it), so it gives the same numbers when produced
again later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dashboard.forms.fields import DATE, MULTI, SELECT, TEXT, Field, Form, FormErrors

KEY = "rep"
# (key, title) in the report's order; the cover, the contents and the methodology are always there
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("performance", "Performance"),
    ("risk", "Risk"),
    ("proposal", "Proposal"),
    ("goals", "Goals"),
    ("retirement", "Retirement"),
    ("tax", "Tax"),
)
SECTION_TITLES = dict(SECTIONS)
# the runs each section shows, by the key their page saves runs under (its form's key)
SECTION_RUNS: dict[str, tuple[str, ...]] = {
    "performance": ("backtest",),
    "risk": ("risk",),
    "proposal": ("opt",),
    "goals": ("goalsim", "mc"),
    "retirement": ("ret",),
    "tax": ("tax",),
}
RUN_PAGES: tuple[str, ...] = ("backtest", "risk", "opt", "goalsim", "mc", "ret", "tax")
RUN_LABELS = {
    "backtest": "Performance: backtest run",
    "risk": "Risk run",
    "opt": "Proposal: optimisation run",
    "goalsim": "Goals run",
    "mc": "Goals: Monte Carlo run",
    "ret": "Retirement run",
    "tax": "Tax run",
}
FRESH = "fresh"
MAX_TITLE = 120
MAX_NOTE = 2000


def run_field(page: str) -> Field:
    return Field(
        f"run_{page}",
        RUN_LABELS[page],
        SELECT,
        "",
        required=False,
        empty="The latest saved run, else a fresh one",
    )


FORM = Form(
    KEY,
    (
        Field("title", "Title", TEXT, "Portfolio review"),
        Field("date", "Report date", DATE, None, required=False, help="Empty: today."),
        Field(
            "sections",
            "Sections",
            MULTI,
            [key for key, _ in SECTIONS],
            choices=SECTIONS,
            help="The cover, contents, methodology and disclosures are always in the report.",
        ),
        Field("note", "Note to the client", TEXT, "", required=False, multiline=True),
        Field(
            "thread",
            "Runs from",
            SELECT,
            "",
            required=False,
            empty="Every thread of the household",
            help="Where 'the latest saved run' is looked for.",
        ),
        *(run_field(page) for page in RUN_PAGES),
    ),
)


@dataclass(frozen=True)
class Composition:
    """A report resolved: its title, date, sections and note, and the run each page shows
    (``(page key, run id or None for a fresh run with the page's defaults)``, in the report's order)."""

    title: str
    date: dt.date
    sections: tuple[str, ...]
    note: str
    runs: tuple[tuple[str, int | None], ...]

    def run(self, page: str) -> int | None:
        return dict(self.runs)[page]


def compose(clean: dict, today: dt.date, latest) -> Composition:
    """The composition of a clean form; ``latest(page)`` is the id of the page's latest saved run in the
    household's threads (or None). FormErrors names a bad title, note or run choice."""
    errors: dict[str, str] = {}
    title = (clean["title"] or "").strip()
    if not 1 <= len(title) <= MAX_TITLE:
        errors["title"] = f"Give the report a title of 1 to {MAX_TITLE} characters."
    note = (clean["note"] or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = f"Keep the note to the client under {MAX_NOTE:,} characters."
    sections = tuple(key for key, _ in SECTIONS if key in clean["sections"])
    runs = []
    for page in [p for s in sections for p in SECTION_RUNS.get(s, ())]:
        chosen = clean[f"run_{page}"] or ""
        if chosen == FRESH:
            runs.append((page, None))
        elif chosen == "":
            runs.append((page, latest(page)))
        elif chosen.isascii() and chosen.isdigit() and len(chosen) <= 10:
            runs.append((page, int(chosen)))
        else:
            errors[f"run_{page}"] = "Choose one of the runs listed."
    if errors:
        raise FormErrors(errors)
    day = dt.date.fromisoformat(clean["date"]) if clean["date"] else today
    return Composition(title, day, sections, note, tuple(runs))
