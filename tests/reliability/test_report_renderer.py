"""The report's chart renderer under faults (issue 24.4-5): a Chromium that crashes or hangs ends the job
with a message and leaves nothing running; renderers are bounded across workers, and two reports at
once both finish."""

from __future__ import annotations

import os
import threading
import time
import uuid

import psutil
import pytest

from dashboard import printing
from dashboard.extensions import cache
from dashboard.services import reports

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("browser_ready")]

FIGURE = {"data": [{"type": "bar", "y": [1, 2, 3]}], "layout": {"height": 200}}


MARK = "MERIDIAN_TEST_RUN"  # set to a token of this test's own: its renderers inherit it


def _left_running(marker: str) -> list[str]:
    """Processes started by this test (its token in their environment: orphans too, and not the
    renderers of tests running alongside) whose command line holds ``marker``."""
    token, found = os.environ.get(MARK), []
    for process in psutil.process_iter(["cmdline"]):
        line = " ".join(process.info["cmdline"] or [])
        if marker not in line:
            continue
        try:
            ours = token is None or process.environ().get(MARK) == token
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # ended meanwhile
        if ours:
            found.append(line)
    return found


@pytest.mark.parametrize(
    "script,reason",
    [
        ("#!/bin/sh\necho crashed >&2\nexit 3\n", "The chart renderer failed"),
        ("#!/bin/sh\nexec sleep 300 # meridian-hung-renderer\n", "The chart renderer"),
    ],
    ids=["crashes", "hangs"],
)
def test_rr001_a_renderer_that_crashes_or_hangs_ends_with_a_message_and_nothing_left(
    tmp_path, monkeypatch, script, reason
):
    fake = tmp_path / "chromium"
    fake.write_text(script)
    fake.chmod(0o755)
    monkeypatch.setenv("BROWSER_PATH", str(fake))
    monkeypatch.setenv(MARK, uuid.uuid4().hex)
    started = time.monotonic()
    with pytest.raises(printing.RenderFailed) as caught:
        printing.render_svgs({"a": FIGURE}, timeout=10)
    assert reason in str(caught.value) and time.monotonic() - started < 40
    assert _left_running(str(fake)) == [] and _left_running("meridian-hung-renderer") == []
    assert _left_running("dashboard.chart_worker") == []


def test_rr002_without_chromium_the_pdf_says_what_to_install_and_the_page_still_works(
    app, signed_in, monkeypatch, tmp_path
):
    from callbacks import report as report_cb
    from dashboard.forms import report as report_form
    from tests.callbacks.test_pages import form, households, text_of, triggered

    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium-here"))
    assert printing.chromium_path() is None
    with pytest.raises(printing.PrintingUnavailable, match="apt-get install chromium"):
        printing.render_svgs({"a": FIGURE})
    mine, _ = households()
    with signed_in(app):
        values, ids = form(report_form.FORM, sections=["summary"])
        out = triggered("report-preview.n_clicks", report_cb.preview, 1, mine[0].id, values, ids)
        document, pdf_disabled, note = out[2], out[6], out[7]
        assert "Summary" in text_of(document) and pdf_disabled  # the printable page, no PDF button
        assert "apt-get install chromium" in text_of(note)
        refused = report_cb.start_pdf(1, out[5])[1]
        assert "apt-get install chromium" in text_of(refused)


@pytest.mark.parametrize("backend", ["local", "redis"])
def test_rr003_renderers_are_bounded_and_a_waiting_report_says_so(make_app, settings, redis_url, backend):
    app = make_app(settings if backend == "local" else settings.replace(redis_url=redis_url))
    said, order = [], []
    with app.server.app_context():
        first = cache.take_slot("report-renderer", 1, 30)
        assert first is not None and cache.take_slot("report-renderer", 1, 30) is None

        def second():
            with app.server.app_context(), reports.renderer(1, 20, said.append):
                order.append("second")

        waiter = threading.Thread(target=second)
        waiter.start()
        time.sleep(1.2)
        assert order == [] and said and said[0] == "Waiting for a renderer (1 in use)"
        order.append("first done")
        cache.give_back(first)
        waiter.join(10)
        assert order == ["first done", "second"]
        with pytest.raises(Exception, match="stayed busy"):
            held = cache.take_slot("report-renderer", 1, 30)
            try:
                with reports.renderer(1, 1, None):
                    pass
            finally:
                cache.give_back(held)


def test_rr004_two_reports_at_once_both_finish(app, signed_in):
    from callbacks import report as report_cb
    from dashboard.forms import report as report_form
    from tests.callbacks.test_pages import households

    mine, _ = households()
    results, errors = {}, []
    with signed_in(app):
        compositions = []
        for household in mine[:2]:
            from dashboard.services.access import authorize_household

            ref = authorize_household(household.id)
            clean = report_form.FORM.clean({"sections": ["summary", "goals", "retirement"]})
            compositions.append((ref, report_cb.prepare(clean, ref)))

    def make(ref, composition):
        try:
            with app.server.app_context(), signed_in(app):
                results[ref.id] = report_cb.produce(composition, ref)
        except Exception as error:  # noqa: BLE001 - collected, asserted below
            errors.append(error)

    threads = [threading.Thread(target=make, args=pair) for pair in compositions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert errors == [] and len(results) == 2, errors
    assert all(size > 10_000 for _, _, size, _ in results.values())
