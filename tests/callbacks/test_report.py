"""The client report (issue 24): composed from saved runs, the PDF prints every figure its pages show
for those runs, with its contents, page numbers, metadata and embedded fonts; nobody else's household
is reachable at any step."""

from __future__ import annotations

import io
import json
import re
import time

import pytest
from pypdf import PdfReader

import callbacks
from callbacks import goals as goals_cb
from callbacks import monte_carlo as mc_cb
from callbacks import optimisation as opt_cb
from callbacks import report as report_cb
from dashboard.forms import report as report_form
from dashboard.forms.fields import parse_search
from dashboard.settings import PROJECT_ROOT
from tests.callbacks.test_pages import find, form, households, text_of, triggered
from tests.conftest import ANALYST, signed_client

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]  # Chromium draws the charts

OTHER = "priya.raman@meridian.example"
SAVE = json.dumps({"page": "{page}", "type": "thread-save"}, separators=(",", ":"))
# (page key, its run callback, settings other than the page's defaults: the report must show these)
RUNS = (
    ("mc", lambda: mc_cb.run_simulation, {"paths": 2000, "seed": 9, "years": 20}),
    ("risk", lambda: callbacks.RUNS["risk"], {"seed": 7, "paths": 5000}),
    ("backtest", lambda: callbacks.RUNS["backtest"], {"rebalance": "quarterly"}),
    ("opt", lambda: opt_cb.run_optimisation, {"objective": "min_volatility"}),
    ("goalsim", lambda: goals_cb.render_goals, {"paths": 2000, "seed": 5}),
    ("ret", lambda: callbacks.RUNS["ret"], {"paths": 1000, "strategy": "guardrails", "spending": 30000}),
    ("tax", lambda: callbacks.RUNS["tax"], {}),
)


def _page(key):
    return report_cb.PAGES[key]


def _run(key, fn, household_id, **settings):
    """Run a page as the browser would; (its outputs, the scenario it keeps)."""
    values, ids = form(_page(key).form, **settings)
    extra = (0,) if key == "goalsim" else ()
    out = triggered(f"{_page(key).frame.run}.n_clicks", fn(), 1, None, household_id, values, ids, *extra)
    return out, out[-1]


def _shown_by_pages(outputs: dict) -> list[str]:
    """What each page shows for its run (the texts a client would read), as the page draws them."""
    texts = []
    mc = outputs["mc"][2]
    texts += [find(mc, "mc-probability").children, find(mc, "mc-median").children]
    risk = outputs["risk"][2]
    texts += [
        find(risk, i).children for i in ("risk-return", "risk-volatility", "risk-sharpe", "risk-max-drawdown")
    ]
    texts += re.findall(r"-?\d+\.\d\d%", text_of(find(risk, "risk-var")))
    backtest = outputs["backtest"][2]
    cells = find(backtest, "bt-statistics")
    texts += [t for t in re.findall(r"\$[\d,]+|-?\d+\.\d\d%?", text_of(cells))]
    opt = outputs["opt"]
    texts += re.findall(r"-?\d+\.\d+%?", text_of(find(opt[4], "opt-comparison")))
    goals = outputs["goalsim"][2]
    texts += re.findall(r"\d+\.\d%", " ".join(text_of(c) for c in _cells(goals, "goals-probability")))
    ret = outputs["ret"][2]
    texts += [find(ret, "ret-success").children, find(ret, "ret-solved-spending").children]
    tax = outputs["tax"][2]
    texts += [find(tax, i).children for i in ("tax-short", "tax-long")]
    return [t for t in texts if t and t not in ("—",)]


def _cells(tree, kind):
    found = []

    def walk(node):
        if isinstance(node, list | tuple):
            for child in node:
                walk(child)
            return
        props = node.get("props", {}) if isinstance(node, dict) else {}
        node_id = props.get("id") if props else getattr(node, "id", None)
        if isinstance(node_id, dict) and node_id.get("type") == kind:
            found.append(node)
        children = props.get("children") if props else getattr(node, "children", None)
        if children is not None and not isinstance(children, str | int | float):
            walk(children)

    walk(tree)
    return found


def test_rep001_the_pdf_prints_what_each_page_shows_for_the_saved_runs(app, signed_in, tmp_path):
    mine, theirs = households()
    household = mine[0].id
    with signed_in(app):
        outputs, thread = {}, None
        for key, fn, settings in RUNS:
            out, scenario = _run(key, fn, household, **settings)
            outputs[key] = out
            saved = triggered(
                SAVE.replace("{page}", _page(key).key) + ".n_clicks",
                callbacks.THREADS.save_to_thread,
                1,
                scenario,
                thread,
                "Annual review" if thread is None else None,
                "",
                household,
            )
            assert "Saved" in text_of(saved[0]), text_of(saved[0])
            thread = saved[2]
        expected = _shown_by_pages(outputs)
        # compose: every section's "latest saved run" is the run just saved
        values, ids = form(report_form.FORM, title="Annual review 2018", note="Dear client,\nour review.")
        preview = triggered("report-preview.n_clicks", report_cb.preview, 1, household, values, ids)
        classes, messages, document, alert, search, shown, pdf_off, _note = preview
        assert alert is None and not any(messages), (alert, messages)
        assert not pdf_off and "title=Annual+review+2018" in search
        pinned = parse_search(shown)
        for key, *_ in RUNS:
            assert pinned[f"run_{key}"].isdigit(), pinned  # each section names its saved run
        page_text = text_of(document)
        assert "Shows saved run #" in page_text and "Annual review" in page_text
        # the PDF, as the background job makes it
        household_ref, composition = report_cb.on_screen(shown)
        started = time.perf_counter()
        name, filename, size, _ = report_cb.produce(composition, household_ref)
        seconds = time.perf_counter() - started
        kept = report_cb.store.kept_pdf(name, household)
        assert kept is not None and len(kept["pdf"]) == size and size <= 3 * 1024 * 1024
        assert re.fullmatch(r"[a-z0-9-]+-review-\d{4}-\d\d-\d\d\.pdf", filename), filename
    (tmp_path / filename).write_bytes(kept["pdf"])
    artefacts = _artefacts()
    if artefacts is not None:
        (artefacts / filename).write_bytes(kept["pdf"])
    reader = PdfReader(io.BytesIO(kept["pdf"]))
    pages = [p.extract_text() for p in reader.pages]
    text = "\n".join(pages)
    # every figure the pages show for these runs is in the PDF
    missing = [t for t in expected if t not in text]
    assert not missing, missing
    assert len(expected) > 40
    # the contents' page numbers are where each section starts; every page says "Page n of N"
    total = len(reader.pages)
    for n, page in enumerate(pages, start=1):
        assert f"Page {n} of {total}" in page, (n, page[-200:])
    toc = dict(re.findall(r"^([A-Z][A-Za-z ]+?) \.+ ?(\d+)$", pages[1], re.MULTILINE))
    for title in (
        "Summary",
        "Performance",
        "Risk",
        "Proposal",
        "Goals",
        "Retirement",
        "Tax",
        "Methodology and disclosures",
    ):
        number = int(toc[title])  # the section's heading opens that page
        assert pages[number - 1].lstrip().startswith(title), (title, number, pages[number - 1][:80])
    # the metadata, the fonts (embedded), the note to the client
    meta = reader.metadata
    assert meta.title == f"Annual review 2018: {mine[0].name}" and meta.author == "Dana Whitfield"
    assert meta.creation_date is not None
    fonts = _fonts(reader)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert "Dear client," in text and "IMPORTANT: The projections" in text
    print(f"PDF: {total} pages, {size / 1024:.0f} KB, {seconds:.1f} s")


def _fonts(reader) -> list[tuple[str, bool]]:
    found = {}
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            found[str(font.get("/BaseFont"))] = any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return sorted(found.items())


def _artefacts():
    import os
    from pathlib import Path

    folder = os.environ.get("MERIDIAN_ARTEFACTS")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_rep002_another_analyst_is_refused_at_every_step(app, signed_in):
    mine, _ = households()
    household = mine[0].id
    with signed_in(app):
        values, ids = form(report_form.FORM, sections=["summary", "risk"])
        preview = triggered("report-preview.n_clicks", report_cb.preview, 1, household, values, ids)
        shown = preview[5]
        household_ref, composition = report_cb.on_screen(shown)
        name, *_ = report_cb.produce(composition, household_ref)
    with signed_in(app, OTHER):
        refused = triggered("report-preview.n_clicks", report_cb.preview, 1, household, values, ids)
        assert "not one of your households" in text_of(refused[3]) and refused[2] is None
        with pytest.raises(Exception, match="not one of your households"):
            report_cb.on_screen(shown)
        job, message = report_cb.start_pdf(1, shown)
        assert "not one of your households" in text_of(message)
        saved, _ = triggered("report-save.n_clicks", report_cb.save_report, 1, household, shown, None, "Mine")
        assert "not one of your households" in text_of(saved) or saved is None
        runs = report_cb.run_choices(household, "", *[""] * len(report_form.RUN_PAGES))
        assert all(len(options) <= 2 for options in runs[1:])  # none of another household's runs
    # the download: the household's analyst gets it; another analyst, nobody signed in: refused
    owner = signed_client(app)
    assert owner.get(f"/report/pdf/{household}/{name}").status_code == 200
    other = signed_client(app, OTHER)
    response = other.get(f"/report/pdf/{household}/{name}")
    assert response.status_code == 403 and b"%PDF" not in response.data
    anonymous = app.server.test_client().get(f"/report/pdf/{household}/{name}")
    assert anonymous.status_code in (302, 401) and b"%PDF" not in anonymous.data
    assert owner.get(f"/report/pdf/{household}/{'0' * 32}").status_code == 404
    assert owner.get(f"/report/pdf/{household}/not-a-report").status_code == 404


def test_rep003_the_command_line_writes_the_same_reports(app, tmp_path):
    import os
    import subprocess
    import sys

    settings = app.server.extensions["meridian.settings"]
    env = {**os.environ, "DATABASE_URL": settings.database_url, "INSTANCE_PATH": str(settings.instance_path)}
    env.pop("REDIS_URL", None)
    mine, _ = households()
    single = tmp_path / "one.pdf"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "meridian",
            "report",
            "--household",
            str(mine[0].id),
            "--sections",
            "summary,tax",
            "--out",
            str(single),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "1 report(s) written, 0 failed" in done.stdout and single.read_bytes().startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(single).pages)
    assert "Tax" in text and "Proposal" not in text.split("Methodology")[0]
    folder = tmp_path / "quarter"
    batch = subprocess.run(
        [
            sys.executable,
            "-m",
            "meridian",
            "report",
            "--analyst",
            ANALYST,
            "--sections",
            "summary",
            "--out",
            str(folder),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert batch.returncode == 0, batch.stderr[-2000:]
    assert f"{len(mine)} report(s) written, 0 failed" in batch.stdout
    assert len(list(folder.glob("*.pdf"))) == len(mine)
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "meridian",
            "report",
            "--household",
            "99999",
            "--out",
            str(tmp_path / "x.pdf"),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2 and "There is no household 99999" in refused.stderr


def test_rep004_a_saved_report_keeps_its_runs_and_gives_the_same_numbers_later(app, signed_in):
    """Saving with a thread saves the report's fresh runs into the thread first; reopened later (after
    newer runs are saved), it shows the runs it was saved with."""
    from dashboard.services.threads import household_threads

    mine, _ = households()
    household = mine[0].id
    with signed_in(app):
        values, ids = form(report_form.FORM, sections=["summary", "risk", "goals"], run_risk="fresh")
        preview = triggered("report-preview.n_clicks", report_cb.preview, 1, household, values, ids)
        shown, document = preview[5], preview[2]
        assert "a fresh run with the page's defaults" in text_of(document)
        saved, _ = triggered(
            "report-save.n_clicks", report_cb.save_report, 1, household, shown, None, "Q2 review"
        )
        assert "Saved with the thread" in text_of(saved), text_of(saved)
        thread = next(t for t in household_threads(household) if t.title == "Q2 review")
        report_run = next(r for r in thread.items if r.page == "rep")
        risk_runs = [r for r in thread.items if r.page == "risk"]
        assert len(risk_runs) == 1 and report_run.summary["title"] == "Portfolio review"
        query = parse_search(report_run.params)
        assert query["run_risk"] == str(risk_runs[0].id) and "fresh" not in report_run.params
        first = text_of(find(preview[2], "report-risk-facts"))
        # a newer risk run saved elsewhere: the saved report still shows its own
        out, scenario = _run("risk", lambda: callbacks.RUNS["risk"], household, seed=99)
        triggered(
            SAVE.replace("{page}", "risk") + ".n_clicks",
            callbacks.THREADS.save_to_thread,
            1,
            scenario,
            None,
            "Later",
            "",
            household,
        )
        values, ids = form(report_form.FORM, **{k: v for k, v in query.items() if k != "household"})
        reopened = triggered("report-preview.n_clicks", report_cb.preview, 1, household, values, ids)
        assert text_of(find(reopened[2], "report-risk-facts")) == first
        assert f"saved run #{risk_runs[0].id}" in text_of(reopened[2])
        # the threads list it as a client report, opened in the composer
        listing = text_of(callbacks.THREADS.render_threads(household, 0)[0])
        assert "Client report" in listing and "Client report from this thread" in listing


def test_rep005_the_pdf_fetches_nothing_from_outside(app):
    from dashboard import printing

    with pytest.raises(printing.RenderFailed, match="never fetched.*http://example.com/x.png"):
        printing.to_pdf('<html><body><img src="http://example.com/x.png" alt="x"></body></html>', [])
    with pytest.raises(printing.RenderFailed, match="never fetched.*file:///etc/passwd"):
        printing.to_pdf("<html><body><p>x</p></body></html>", ["@import url(file:///etc/passwd);"])
    assert printing.to_pdf("<html><body><p>plain</p></body></html>", []).startswith(b"%PDF")


def test_rep008_a_cancelled_pdf_says_cancelled_whichever_the_page_hears_first(app):
    """Cancel ends the job without a result, so the page hears of it twice at once: the click, and the
    job's end. Both say the PDF was cancelled, whichever arrives first; a job that ends without a click
    (its process died) says so."""
    from components.ids import REPORT

    waiting = report_cb.notice("Making the PDF…", REPORT.WAITING).to_plotly_json()
    job = {"household": 1, "run": "r", "cancels": 2}  # the button had been clicked twice before this job
    by_click = triggered("report-cancel.n_clicks", report_cb.watch_pdf_job, "running", 3, waiting, job)
    by_end = triggered("report-job-state.data", report_cb.watch_pdf_job, "ended", 3, waiting, job)
    assert "cancelled" in text_of(by_click) and text_of(by_end) == text_of(by_click)
    died = triggered("report-job-state.data", report_cb.watch_pdf_job, "ended", 2, waiting, job)
    assert "stopped before finishing" in text_of(died)
