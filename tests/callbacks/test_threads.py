"""Threads called directly: a run saved, compared, reopened and deleted; each page's headline figures
labelled as on the page; the household's threads offered."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

import callbacks
from callbacks import monte_carlo as mc_cb
from dashboard.data.models import (
    Thread,
    ThreadItem,
)
from dashboard.errors import AccessDenied
from dashboard.extensions import db
from dashboard.forms.monte_carlo import FORM as MC_FORM
from tests import reference
from tests.callbacks.test_pages import form, held, households, text_of, triggered


@pytest.fixture
def ctx(app, signed_in):
    with signed_in(app):  # the demo analyst, as the callbacks see her
        yield app


def test_cb104_save_to_thread_compare_reopen_delete(ctx):
    save_to_thread = callbacks.THREADS.save_to_thread
    mine, theirs = households()
    household = mine[0]
    values, ids = form(MC_FORM, paths=1000, seed=9)
    scenario = triggered("mc-run.n_clicks", mc_cb.run_simulation, 1, None, household.id, values, ids)[-1]
    save = {"type": "thread-save", "page": "mc"}
    out = triggered(
        json.dumps(save, separators=(",", ":")) + ".n_clicks",
        save_to_thread,
        1,
        scenario,
        None,
        "Review <script>alert(1)</script>",
        "first look",
        household.id,
    )
    assert "Saved" in text_of(out[0]), text_of(out[0])
    with db.session() as session:
        item = session.scalars(select(ThreadItem).order_by(ThreadItem.id.desc())).first()
        thread = session.get(Thread, item.thread_id)
    assert thread.title == "Review <script>alert(1)</script>" and item.seed == 9 and item.params == scenario
    expected = reference.monte_carlo(held(household.id), paths=1000, seed=9)
    assert json.loads(item.summary)["probability_of_success"] == pytest.approx(
        expected.probability_of_success, abs=1e-6
    )
    # a second run into the same thread, then compare the two
    values2, _ = form(MC_FORM, paths=1000, seed=10)
    scenario2 = triggered("mc-run.n_clicks", mc_cb.run_simulation, 1, None, household.id, values2, ids)[-1]
    triggered(
        json.dumps(save, separators=(",", ":")) + ".n_clicks",
        save_to_thread,
        1,
        scenario2,
        thread.id,
        None,
        "",
        household.id,
    )
    listing = callbacks.THREADS.render_threads(household.id, 0)[0]
    assert "Review <script>alert(1)</script>" in text_of(listing)
    with db.session() as session:
        runs = session.scalars(select(ThreadItem.id).where(ThreadItem.thread_id == thread.id)).all()
    table = callbacks.THREADS.compare_runs(
        1, [True, True], [{"type": "threads-pick", "index": r} for r in runs], household.id
    )
    assert "Probability of success" in text_of(table) and "Seed 9 10" in text_of(table)
    # the saved link reproduces the run: same parameters -> same (cached) result
    assert "seed=9" in scenario and f"household={household.id}" in scenario
    # another household's thread is refused; a tampered page prefix is refused
    bad = triggered(
        json.dumps(save, separators=(",", ":")) + ".n_clicks",
        save_to_thread,
        1,
        scenario,
        thread.id,
        None,
        "",
        theirs.id,
    )
    assert "not one of your households" in text_of(bad[0])
    fake = {"type": "thread-save", "page": "nope"}
    bad = triggered(
        json.dumps(fake, separators=(",", ":")) + ".n_clicks",
        save_to_thread,
        1,
        scenario,
        thread.id,
        None,
        "",
        household.id,
    )
    assert "cannot save runs" in text_of(bad[0])
    tampered = triggered(
        json.dumps(save, separators=(",", ":")) + ".n_clicks",
        save_to_thread,
        1,
        f"?household={household.id}&paths=-5",
        thread.id,
        None,
        "",
        household.id,
    )
    assert "Paths" in text_of(tampered[0])
    # delete one run, then the thread
    from callbacks.threads import change_threads

    triggered(
        json.dumps({"index": runs[0], "type": "threads-delete-run"}, separators=(",", ":")) + ".n_clicks",
        change_threads,
        None,
        [1, None],
        [None],
        None,
        0,
        household.id,
    )
    with db.session() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(ThreadItem).where(ThreadItem.thread_id == thread.id)
            )
            == 1
        )
    triggered(
        json.dumps({"index": thread.id, "type": "threads-delete-thread"}, separators=(",", ":"))
        + ".submit_n_clicks",
        change_threads,
        None,
        [None],
        [1],
        None,
        1,
        household.id,
    )
    with db.session() as session:
        assert session.get(Thread, thread.id) is None


def test_cb115_thread_options_are_the_households_threads(ctx):
    mine, theirs = households()
    with db.session() as session:
        titles = set(session.scalars(select(Thread.title).where(Thread.household_id == mine[0].id)))
    options, feedback = callbacks.THREADS.thread_options({"type": "thread-select", "page": "mc"}, mine[0].id)
    assert feedback is None  # a message about the previous household's thread does not stay
    new, *threads = options  # a new thread first (a native select's empty choice), then the household's
    assert new["value"] == "" and {o["label"] for o in threads} == titles and titles
    assert callbacks.THREADS.thread_options({"type": "thread-select", "page": "mc"}, None) == ([], None)
    with pytest.raises(AccessDenied):
        callbacks.THREADS.thread_options({"type": "thread-select", "page": "mc"}, theirs.id)


def test_cb131_threads_show_each_pages_headline_figures_labelled_as_on_the_page(ctx):
    """Issue 16.12: a saved Monte Carlo run lists its probability of success first, formatted as the page
    does; the comparison labels figures and settings instead of raw keys and fractions."""
    from types import SimpleNamespace

    from components.threads import comparison, threads_view

    names = callbacks.THREADS.names
    summary = {  # stored with sorted keys, as the database returns them
        "mean_ending_wealth": 2345678.9,
        "median_ending_wealth": 1234567.8,
        "model": "parametric",
        "paths": 10000,
        "probability_of_depletion": 0.0,
        "probability_of_success": 0.2836,
        "years": 30,
    }
    run = SimpleNamespace(
        id=7,
        page="mc",
        summary=summary,
        params="?household=1&years=30&inflation=2.5",
        seed=4,
        note="",
        created_at=dt.datetime(2026, 1, 2, 3, 4),
    )
    thread = SimpleNamespace(
        id=1, title="Review", created_by="Ana", updated_at=dt.datetime(2026, 1, 2), items=[run]
    )
    listing = text_of(threads_view([thread], names, 1))
    assert "Probability of success: 28.4%; Median ending wealth (today's $): $1,234,568; Years: 30" in listing
    other = SimpleNamespace(
        **{**run.__dict__, "id": 8, "summary": {**summary, "probability_of_success": 0.5}}
    )
    table = text_of(comparison([run, other], names))
    assert "Probability of success 28.4% 50.0%" in table and "0.2836" not in table
    assert "Inflation 2.5 % 2.5 %" in table and "probability_of_success" not in table


def test_cb131b_a_listed_runs_first_figures_are_its_headline_cut_short(ctx):
    """The threads list shows a run's first four figures: formatted alone, they are the first four of the
    run's whole headline, for every page and however many figures the run has."""
    from types import SimpleNamespace

    from components.threads import headline

    names = callbacks.THREADS.names
    summary = {
        "probability_of_success": 0.2836,
        "median_ending_wealth": 1234567.8,
        "objective": "max_sharpe",
        "sharpe": 1.234,
        "volatility": 0.151,
        "success_rate": 0.9,
        "paths": 10000,
        "note_of_the_engine": "kept",
        "empty": None,
    }
    assert {"mc", "opt", "risk", "ret"} <= set(names)
    for page in names:
        for size in range(len(summary) + 1):
            run = SimpleNamespace(summary=dict(list(summary.items())[:size]))
            whole = headline(run, names[page])
            for limit in range(len(whole) + 2):
                assert headline(run, names[page], limit=limit) == whole[:limit], (page, size, limit)
