"""The firm's capital market assumptions (issue 28): the CSV import validated whole, versions that runs
keep, every forecast page saying which set it used, history compared with the firm's figures, and the
Assumptions page's changes for administrators only."""

from __future__ import annotations

import base64
import datetime as dt
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

import callbacks
from callbacks import assumptions as page
from callbacks import goals as goals_cb
from callbacks import monte_carlo as mc_cb
from callbacks import optimisation as opt_cb
from dashboard.data.models import AssumptionSet
from dashboard.errors import InvalidInput
from dashboard.extensions import db
from dashboard.forms import assumptions as csv_format
from dashboard.forms.assumptions import AssumptionsFileError
from dashboard.forms.fields import parse_search
from dashboard.forms.goals import SIM_FORM
from dashboard.forms.monte_carlo import FORM as MC_FORM
from dashboard.forms.optimisation import FORM as OPT_FORM
from dashboard.forms.retirement import FORM as RET_FORM
from dashboard.services import assumptions as firm
from dashboard.settings import PROJECT_ROOT
from tests.callbacks.test_pages import find, form, households, text_of, triggered

ADMIN = "admin@meridian.example"
TWO_CLASSES = """record,key,label,class,expected_return,volatility,idiosyncratic_volatility,beta,with,correlation,value
set,name,,,,,,,,,Cautious view
set,effective,,,,,,,,,2020-01-01
set,inflation,,,,,,,,,3.0
set,cash_rate,,,,,,,,,1.5
set,default_class,,,,,,,,,us_equity
class,us_equity,US equity,,5.0,16,28,,,,
class,us_bonds,US bonds,,3.0,5,1,,,,
correlation,us_equity,,,,,,,us_bonds,0.1,
security,AAPL,,us_equity,,,35,1.2,,,
security,XOM,,us_equity,,,20,0.8,,,
"""


def _sets() -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(AssumptionSet)))


def _upload(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


@pytest.fixture
def ctx(app, signed_in):
    with signed_in(app):
        yield app


def test_asm001_a_file_is_read_into_a_set_and_written_back_the_same(app):
    cma = csv_format.parse(TWO_CLASSES)
    assert cma.name == "Cautious view" and cma.effective == "2020-01-01"
    assert cma.inflation == pytest.approx(0.03) and cma.cash_rate == pytest.approx(0.015)
    assert [c.key for c in cma.classes] == ["us_equity", "us_bonds"]
    assert cma.correlations == ((1.0, 0.1), (0.1, 1.0))
    assert cma.classes[0].expected_return == pytest.approx(0.05) and cma.securities[0].beta == 1.2
    assert csv_format.parse(csv_format.to_csv(cma)) == cma
    seeded = firm.load(firm.in_force().id)  # the seeded set, through the same format
    assert csv_format.parse(csv_format.to_csv(seeded)) == seeded


@pytest.mark.parametrize(
    "change,expected",
    [
        (
            ("class,us_bonds,US bonds,,3.0,5,1", "class,us_bonds,US bonds,,3.0,abc,1"),
            "Row 8 (class us_bonds): volatility 'abc' is not a number.",
        ),
        (
            ("class,us_bonds,US bonds,,3.0,5,1", "class,us_bonds,US bonds,,3.0,0,1"),
            "The volatility of us_bonds is 0 %",
        ),
        (
            ("correlation,us_equity,,,,,,,us_bonds,0.1,", ""),
            "The correlation of us_equity and us_bonds is not given",
        ),
        (
            ("correlation,us_equity,,,,,,,us_bonds,0.1,", "correlation,us_equity,,,,,,,cash,0.1,"),
            "cash is not one of the classes",
        ),
        (
            ("security,XOM,,us_equity,,,20,0.8", "security,XOM,,oil,,,20,0.8"),
            "Security XOM's class 'oil' is not one of the asset classes",
        ),
        (("set,inflation,,,,,,,,,3.0", "set,inflation,,,,,,,,,three"), "inflation 'three' is not a number"),
        (("set,name,,,,,,,,,Cautious view\n", ""), "The set's name is missing"),
        (("set,effective,,,,,,,,,2020-01-01", "set,effective,,,,,,,,,soon"), "is not a date (YYYY-MM-DD)"),
        (("record,key", "kind,key"), "The header must name the columns"),
        (("security,AAPL", "securty,AAPL"), "Row 10 (securty AAPL): the record must be one of"),
    ],
)
def test_asm002_a_bad_file_is_refused_whole_with_each_problem(app, change, expected):
    old, new = change
    text = TWO_CLASSES.replace(old, new)
    before = _sets()
    with pytest.raises(AssumptionsFileError) as caught:
        firm.create(csv_format.parse(text), "bad.csv", "test")
    assert any(expected in p for p in caught.value.problems), caught.value.problems
    assert isinstance(caught.value, InvalidInput) and _sets() == before


def test_asm002b_a_correlation_matrix_that_cannot_be_is_refused(app):
    three = TWO_CLASSES.replace(
        "correlation,us_equity,,,,,,,us_bonds,0.1,",
        "class,gold,Gold,,3,15,5,,,,\ncorrelation,us_equity,,,,,,,us_bonds,0.9,\n"
        "correlation,us_equity,,,,,,,gold,-0.9,\ncorrelation,us_bonds,,,,,,,gold,0.9,",
    )
    with pytest.raises(AssumptionsFileError, match="not positive semidefinite"):
        csv_format.parse(three)


def test_asm003_the_command_line_imports_exports_lists_and_derives(app, tmp_path):
    settings = app.server.extensions["meridian.settings"]
    env = {**os.environ, "DATABASE_URL": settings.database_url, "INSTANCE_PATH": str(settings.instance_path)}
    env.pop("REDIS_URL", None)

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "meridian", "assumptions", *args],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    seeded = firm.in_force()
    good = tmp_path / "cautious.csv"
    good.write_text(TWO_CLASSES)
    done = cli("import", str(good), "--note", "Annual review 2020.")
    assert done.returncode == 0, done.stderr
    assert "imported set" in done.stdout and "Cautious view" in done.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text(TWO_CLASSES.replace("US bonds,,3.0,5,1", "US bonds,,3.0,-5,1"))
    refused = cli("import", str(bad))
    assert refused.returncode == 2 and "Nothing was imported" in refused.stderr
    assert "The volatility of us_bonds is -5 %" in refused.stderr
    listed = cli("list")
    assert listed.returncode == 0 and "Cautious view" in listed.stdout and seeded.name in listed.stdout
    # the newest effective date before today is in force: the imported set (2020) over the seeded (2018)
    assert listed.stdout.splitlines()[0].startswith("*") and "Cautious view" in listed.stdout.splitlines()[0]
    exported = cli("export", "--id", str(seeded.id))
    assert exported.returncode == 0
    assert csv_format.parse(exported.stdout) == firm.load(seeded.id)
    derived = cli("derive")
    assert derived.returncode == 0 and csv_format.parse(derived.stdout) == firm.load(seeded.id)
    assert _sets() == 2
    with db.session() as session:
        row = session.scalar(select(AssumptionSet).where(AssumptionSet.name == "Cautious view"))
        assert row.source == "cautious.csv" and row.created_by.startswith("cli:")
        assert "Annual review 2020." in row.method


def _run_mc(household_id: int, **changes):
    values, ids = form(MC_FORM, paths=1000, seed=3, **changes)
    return triggered("mc-run.n_clicks", mc_cb.run_simulation, 1, None, household_id, values, ids)


def test_asm004_a_saved_run_reproduces_after_a_newer_set_arrives(ctx):
    """Issue 28.2: the run pins the set it used (URL, saved run, cached panel); a newer set changes new
    runs only."""
    mine, _ = households()
    household = mine[0].id
    seeded = firm.in_force()
    first = _run_mc(household)
    search = first[4]
    assert parse_search(search)["assumptions"] == str(seeded.id)
    median = find(first[2], "mc-median").children
    assert seeded.label in text_of(find(first[2], "mc-basis"))
    save = callbacks.THREADS.save_to_thread
    saved = triggered(
        '{"page":"mc","type":"thread-save"}.n_clicks', save, 1, search, None, "Review", "", household
    )
    assert "Saved" in text_of(saved[0])

    new = firm.create(csv_format.parse(TWO_CLASSES), "cautious.csv", "test")
    assert firm.in_force().id == new.id
    again = _run_mc(household)  # the same form: the set in force now
    assert parse_search(again[4])["assumptions"] == str(new.id)
    assert find(again[2], "mc-median").children != median
    assert new.label in text_of(find(again[2], "mc-basis"))
    # the saved run's link, run again, gives the same numbers with the set it named
    from callbacks.threads import household_threads

    run = household_threads(household)[0].items[0]
    query = parse_search(run.params)
    assert query["assumptions"] == str(seeded.id)
    values, ids = form(MC_FORM, **{k: v for k, v in query.items() if k != "household"})
    reopened = triggered("mc-run.n_clicks", mc_cb.run_simulation, 1, None, household, values, ids)
    assert find(reopened[2], "mc-median").children == median
    assert seeded.label in text_of(find(reopened[2], "mc-basis"))


def test_asm005_every_forecast_says_which_assumptions_it_used(ctx):
    mine, _ = households()
    household = mine[0].id
    label = firm.in_force().label
    # Monte Carlo, Goals, Retirement, Optimisation: the default is the firm's set, named with its date
    mc = _run_mc(household)[2]
    assert label in text_of(find(mc, "mc-basis")) and "Expected return of these holdings" in text_of(mc)
    values, ids = form(SIM_FORM, paths=500)
    goals = triggered("goals-run.n_clicks", goals_cb.render_goals, 1, None, household, values, ids, 0)[2]
    assert label in text_of(find(goals, "goals-basis"))
    values, ids = form(RET_FORM, paths=500)
    ret = triggered("ret-run.n_clicks", callbacks.RUNS["ret"], 1, None, household, values, ids)[2]
    assert label in text_of(find(ret, "ret-basis"))
    values, ids = form(OPT_FORM)
    notes = triggered("opt-run.n_clicks", opt_cb.run_optimisation, 1, None, household, values, ids)[5]
    assert label in text_of(find(notes, "opt-basis"))
    # a historical estimate is compared with the firm's figures for the same weights, and warned about
    historical = text_of(find(_run_mc(household, model="parametric")[2], "mc-basis"))
    assert "History is not a forecast" in historical and f"firm assumptions ({label})" in historical
    assert "less than a full market cycle (15 years)" in historical  # 2008-05 to 2018-03
    values, ids = form(OPT_FORM, returns_model="mean_historical")
    notes = triggered("opt-run.n_clicks", opt_cb.run_optimisation, 1, None, household, values, ids)[5]
    text = text_of(find(notes, "opt-basis"))
    assert "Historical estimate, 2013-04 to 2018-04" in text and "outside -5% to 15%" in text
    gbm = text_of(find(_run_mc(household, model="gbm", mu=30.0)[2], "mc-basis"))
    assert "The GBM's expected return of 30.0% a year is outside the plausible range" in gbm


def test_asm006_history_and_firm_figures_are_the_models_own(ctx):
    """The comparison's numbers: the historical model's w'mu and sqrt(w'Sw), the set's for the weights."""
    import numpy as np

    from tests.reference import firm_figures, holdings, parametric_model

    mine, _ = households()
    with db.engine.connect() as conn:
        held = holdings(conn, mine[0].id)
        figures = firm_figures(conn, held.tickers)
    w = np.array(held.weights)
    model = parametric_model(held)
    historical = (float(w @ model.asset_mu), float(np.sqrt(w @ model.asset_cov @ w)))
    firm_mu = float(w @ np.array(figures.mu))
    firm_vol = float(np.sqrt(w @ np.array(figures.cov) @ w))
    text = text_of(find(_run_mc(mine[0].id, model="parametric")[2], "mc-basis"))
    assert f"{historical[0] * 100:.1f}% a year (volatility {historical[1] * 100:.1f}%)" in text, text
    assert f"{firm_mu * 100:.1f}% a year (volatility {firm_vol * 100:.1f}%)" in text, text


def test_asm007_without_a_set_in_force_the_firm_model_says_what_to_do(ctx):
    mine, _ = households()
    with db.session() as session:
        for row in session.scalars(select(AssumptionSet)):
            row.effective_on = dt.date.today() + dt.timedelta(days=30)  # not yet in force
    db_cache_drop()
    out = _run_mc(mine[0].id)
    messages = out[1]
    assert "No firm capital market assumptions are in force" in " ".join(messages)
    assert "No results" in text_of(out[2])
    historical = _run_mc(mine[0].id, model="parametric", inflation=2.5)
    assert historical[3] is None and find(historical[2], "mc-median") is not None
    assert "no firm assumptions are in force to compare with" in text_of(find(historical[2], "mc-basis"))


def db_cache_drop() -> None:
    from dashboard.extensions import cache

    cache.invalidate(operation=firm.OPERATION)


def test_asm008_only_administrators_change_the_assumptions(app, signed_in):
    before = _sets()
    contents = _upload(TWO_CLASSES)
    with signed_in(app):  # the demo analyst
        shown = triggered(".", page.show_set, None, 0)
        assert shown[3] is None and shown[4] and shown[5:8] == (True, True, True)  # no editor; locked
        assert "Securities" in text_of(shown[2])
        refused = triggered("cma-upload.contents", page.import_set, contents, "a.csv", "", 0)
        assert "Only administrators change the firm's assumptions." in text_of(refused[0])
        values, edit_ids = [], []
        refused = triggered("cma-save.n_clicks", page.save_edit, 1, values, edit_ids, None, "", 0)
        assert "Only administrators" in text_of(refused[0])
    assert _sets() == before
    with signed_in(app, ADMIN):
        shown = triggered(".", page.show_set, None, 0)
        editor = shown[3]
        assert editor is not None and shown[5:8] == (False, False, False)
        bad = triggered(
            "cma-upload.contents", page.import_set, _upload("record,key\nset,name\n"), "b.csv", "", 0
        )
        assert "Nothing was imported" in text_of(bad[0]) and _sets() == before
        done = triggered("cma-upload.contents", page.import_set, contents, "cautious.csv", "Review 2020", 0)
        assert "Added Cautious view" in text_of(done[0]) and done[1] == 1 and done[2] is None
        assert _sets() == before + 1
        # the editor: the seeded set's figures, one changed, saved as a version edited from it
        seeded = next(s for s in firm.list_sets() if s.name != "Cautious view")
        shown = triggered(".", page.show_set, str(seeded.id), 1)
        inputs = _inputs(shown[3])
        key = '{"index": "class|us_equity|expected_return", "type": "cma-edit"}'
        values = [6.5 if k == key else v for k, v in inputs]
        edit_ids = [_id(k) for k, _ in inputs]
        saved = triggered("cma-save.n_clicks", page.save_edit, 1, values, edit_ids, str(seeded.id), "", 1)
        assert "Added" in text_of(saved[0]) and saved[1] == 2
        newest = max(firm.list_sets(), key=lambda s: s.id)
        assert newest.based_on == seeded.id and newest.source == "the Assumptions page"
        edited = firm.load(newest.id)
        assert edited.classes[0].expected_return == pytest.approx(0.065)
        assert {s.ticker for s in edited.securities} >= {s.ticker for s in firm.load(seeded.id).securities}
        # a value the editor refuses: nothing added, the reason said
        values = ["-3" if k == key.replace("expected_return", "volatility") else v for k, v in inputs]
        refused = triggered("cma-save.n_clicks", page.save_edit, 1, values, edit_ids, str(seeded.id), "", 2)
        assert "The volatility of us_equity is -3 %" in text_of(refused[0]) and refused[1] is not None
        tampered = triggered(
            "cma-save.n_clicks", page.save_edit, 1, [True], [{"type": "cma-edit", "index": "x"}], None, "", 2
        )
        assert "malformed" in text_of(tampered[0])
    assert _sets() == before + 2


def _inputs(tree) -> list[tuple[str, object]]:
    """(id as JSON, value) of every editor input in a rendered editor."""
    import json

    found = []

    def walk(node):
        if node is None or isinstance(node, str | int | float):
            return
        if isinstance(node, list | tuple):
            for child in node:
                walk(child)
            return
        component_id = getattr(node, "id", None)
        if isinstance(component_id, dict) and component_id.get("type") == "cma-edit":
            found.append((json.dumps(component_id, sort_keys=True), node.value))
        walk(getattr(node, "children", None))

    walk(tree)
    return found


def _id(key: str) -> dict:
    import json

    return json.loads(key)


def test_asm009_demo_data_seeded_before_the_assumptions_get_the_derived_set(app):
    """`make setup` on a database seeded before issue 28 adds the derived set (and only then)."""
    from sqlalchemy import delete

    from dashboard.data import demo

    settings = app.server.extensions["meridian.settings"]
    seeded = firm.load(firm.in_force().id)
    with db.session() as session:
        session.execute(delete(AssumptionSet))
    report = demo.seed(db.engine, settings.market_data_path)
    assert not report.seeded and "the derived capital market assumptions added" in report.message
    db_cache_drop()
    assert firm.load(firm.in_force().id) == seeded
    again = demo.seed(db.engine, settings.market_data_path)
    assert "assumptions" not in again.message and _sets() == 1
