"""Page callbacks called directly: results equal the engine's, bad input gets messages, access is enforced."""

from __future__ import annotations

from contextvars import copy_context
from types import SimpleNamespace

import numpy as np
import pytest
from dash import no_update
from dash._callback_context import context_value
from dash._utils import AttributeDict
from sqlalchemy import select

import callbacks
from callbacks import goals as goals_cb
from callbacks import monte_carlo as mc_cb
from callbacks import optimisation as opt_cb
from callbacks import overview as overview_cb
from dashboard.data.models import Account, Goal, Household, User
from dashboard.errors import AccessDenied, InvalidInput
from dashboard.extensions import db
from dashboard.forms.fields import display_value, parse_search, validate
from dashboard.forms.goals import GOAL_FORM, SIM_FORM
from dashboard.forms.monte_carlo import FORM as MC_FORM
from dashboard.forms.optimisation import FORM as OPT_FORM
from tests import reference


@pytest.fixture
def ctx(app, signed_in):
    with signed_in(app):  # the demo analyst, as the callbacks see her
        yield app


def triggered(prop_id: str, fn, *args, updated: dict | None = None):
    """Run a callback as if ``prop_id`` had fired it ("." : the page's initial call); ``updated`` collects
    what it set with ``set_props``."""

    def run():
        context_value.set(
            AttributeDict(
                triggered_inputs=[] if prop_id == "." else [{"prop_id": prop_id, "value": 1}],
                outputs_list=[],
                updated_props=updated if updated is not None else {},
            )
        )
        return fn(*args)

    return copy_context().run(run)


def csv_table(content: str) -> list[list[str]]:
    """The table of a downloaded CSV: the rows after its context (up to the first empty row)."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(content)))
    return rows[rows.index([]) + 1 :] if [] in rows else rows


def form(the_form, **changes):
    """(values, ids) of a form's fields as the browser sends them: the defaults, with ``changes``."""
    values = {f.name: f.default for f in the_form.fields}
    values.update(changes)
    return [values[f.name] for f in the_form.fields], [
        {"type": f"{the_form.key}-field", "index": f.name} for f in the_form.fields
    ]


def shown(the_form, household_id, **changes) -> str:
    """The scenario a successful run keeps for what is on screen (its URL query), with ``changes``."""
    values = {f.name: f.default for f in the_form.fields}
    values.update(changes)
    return the_form.to_query(values, household_id)


def households():
    with db.session() as session:
        mine = session.scalars(
            select(Household)
            .join(User)
            .where(User.email == "analyst@meridian.example")
            .order_by(Household.id)
        ).all()
        theirs = session.scalars(
            select(Household).join(User).where(User.email != "analyst@meridian.example")
        ).first()
    return mine, theirs


def held(household_id: int) -> reference.Holdings:
    with db.engine.connect() as conn:
        return reference.holdings(conn, household_id)


def _plain(component) -> bool:
    """A component as the browser receives it (a rendered panel kept by the cache is plain data)."""
    return isinstance(component, dict) and "props" in component and "type" in component


def text_of(component) -> str:
    """All text in a component tree (component objects or their plain form)."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list | tuple):
        return " ".join(text_of(c) for c in component)
    if _plain(component):
        return text_of(component["props"].get("children"))
    return text_of(getattr(component, "children", None))


def find(component, component_id):
    """The component with ``component_id`` in a tree; a plain one comes back with its props as attributes."""
    if _plain(component):
        props = component["props"]
        if props.get("id") == component_id:
            return SimpleNamespace(**props)
        return find(props.get("children"), component_id)
    if isinstance(component, list | tuple):
        for child in component:
            found = find(child, component_id)
            if found is not None:
                return found
        return None
    if getattr(component, "id", None) == component_id:
        return component
    return (
        find(getattr(component, "children", None), component_id) if hasattr(component, "children") else None
    )


# -- Monte Carlo ---------------------------------------------------------------------------------


def test_cb001_monte_carlo_result_equals_the_engine(ctx):
    mine, _ = households()
    values, ids = form(MC_FORM, paths=2000, seed=7, target=1_000_000, years=20)
    out = triggered("mc-run.n_clicks", mc_cb.run_simulation, 1, None, mine[0].id, values, ids)
    classes, messages, results, alert, search, job, scenario = out
    assert alert is None and job is no_update and not any(messages) and scenario == search
    expected = reference.monte_carlo(held(mine[0].id), paths=2000, seed=7, years=20, target=1_000_000)
    assert find(results, "mc-probability").children == reference.percent(expected.probability_of_success)
    assert find(results, "mc-seed").children == "7"
    assert "seed=7" in search and f"household={mine[0].id}" in search


def test_cb002_monte_carlo_bad_fields_get_messages_and_nothing_runs(ctx):
    mine, _ = households()
    values, ids = form(MC_FORM, years=0, paths="lots", inflation=120)
    out = triggered("mc-run.n_clicks", mc_cb.run_simulation, 1, None, mine[0].id, values, ids)
    classes, messages, results, alert, search, job, _scenario = out
    by_name = dict(zip([i["index"] for i in ids], messages, strict=True))
    assert "between 1 and 100" in by_name["years"]
    assert "must be a whole number" in by_name["paths"]
    assert "between -5 % and 50 %" in by_name["inflation"]
    assert "No results" in text_of(results) and search is no_update and "highlighted" in text_of(alert)
    assert sum("is-invalid" in c for c in classes) == 3


def test_cb003_large_runs_go_to_the_background_job(ctx):
    mine, _ = households()
    values, ids = form(MC_FORM, paths=200_000, years=10, seed=3)
    *_, results, alert, search, job, _scenario = triggered(
        "mc-run.n_clicks", mc_cb.run_simulation, 1, None, mine[0].id, values, ids
    )
    assert job["household"] == mine[0].id and job["form"]["paths"] == 200_000
    assert "background" in text_of(alert) and results is no_update and search is no_update
    # the same run started again before the first ends is a job of its own (Dash keys a job's result
    # by its arguments and deletes it once collected: one analyst must not take another's answer)
    *_, again_job, _scenario = triggered(
        "mc-run.n_clicks", mc_cb.run_simulation, 1, None, mine[0].id, values, ids
    )
    assert again_job["form"] == job["form"] and again_job["run"] != job["run"]
    progress = []
    panel, error, search, scenario = mc_cb.run_simulation_background(progress.append, job)
    assert error is None and find(panel, "mc-probability") is not None
    assert search == scenario and "paths=200000" in search  # finished: now the run on screen
    assert progress[-1][0] == 100 and len(progress) == 20  # one report per 10,000 paths
    # the same large run again is shown at once, without another job; "Recompute" still starts one
    *_, again, alert, _search, no_job, _scenario = triggered(
        "mc-run.n_clicks", mc_cb.run_simulation, 2, None, mine[0].id, values, ids
    )
    assert again == panel and no_job is no_update and alert is None
    *_, _results, waiting, _search, forced, _scenario = triggered(
        "mc-recompute.n_clicks", mc_cb.run_simulation, 2, 1, mine[0].id, values, ids
    )
    assert forced["refresh"] is True and "background" in text_of(waiting)
    # a tampered job is validated again and refused politely
    _, refused, *_ = mc_cb.run_simulation_background(
        progress.append, {**job, "form": {**job["form"], "paths": -1}}
    )
    assert "Paths must be between" in text_of(refused)


def test_cb004_someone_elses_household_is_refused_everywhere(ctx):
    _, theirs = households()
    values, ids = form(MC_FORM)
    *_, results, alert, _search, _job, _scenario = triggered(
        "mc-run.n_clicks", mc_cb.run_simulation, 1, None, theirs.id, values, ids
    )
    assert "not one of your households" in text_of(alert) and "No results" in text_of(results)
    # a tampered scenario naming their household downloads nothing
    sent, alert = callbacks.DOWNLOADS["mc"](1, shown(MC_FORM, theirs.id))
    assert sent is no_update and "not one of your households" in text_of(alert)
    with pytest.raises(AccessDenied):
        overview_cb.transaction_rows({"startRow": 0, "endRow": 50}, "all", theirs.id)
    gvalues, gids = form(SIM_FORM)
    solved = goals_cb.solve_saving(1, 1, theirs.id, shown(SIM_FORM, theirs.id), gvalues, gids)
    assert "not one of your households" in text_of(solved)


# -- Optimisation ---------------------------------------------------------------------------------


def test_cb005_optimisation_weights_equal_the_engine(ctx):
    from engine.optimize import estimate, optimize

    mine, _ = households()
    values, ids = form(OPT_FORM, objective="min_volatility", risk_model="sample")
    out = triggered("opt-run.n_clicks", opt_cb.run_optimisation, 1, None, mine[0].id, values, ids)
    classes, messages, _results, alert, search, notes, side, tables, figure, point, *choice, _scenario = out
    assert alert is None, text_of(alert)
    assert len(choice[0]) == 40 and choice[1] == ""  # every frontier point, to choose without a mouse
    holdings = held(mine[0].id)
    stats = estimate(reference.bundled_prices(holdings.tickers, "2013-04-11"), "mean_historical", "sample")
    expected = optimize(stats, "min_volatility", risk_free_rate=0.02, bounds=(0.0, 1.0))
    shown = text_of(find(tables, "opt-weights"))
    best = max(expected.weights, key=expected.weights.get)
    assert reference.percent(expected.weights[best]) in shown and best in shown
    assert figure["data"][0]["name"] == "Efficient frontier" and "objective=min_volatility" in search


def test_cb006_frontier_click_explains_the_frontier_that_is_drawn(ctx):
    """Issue 16.1: the click uses the scenario that drew the frontier, not the form edited since."""
    mine, _ = households()
    values, ids = form(OPT_FORM, points=10)
    out = triggered("opt-run.n_clicks", opt_cb.run_optimisation, 1, None, mine[0].id, values, ids)
    figure, scenario = out[8], out[-1]
    drawn = next(t for t in figure["data"] if t["name"] == "Efficient frontier")
    # the analyst now edits "History from" without optimising; the click is on the drawn curve
    panel = opt_cb.show_frontier_point({"points": [{"customdata": 3}]}, scenario)
    summary = text_of(panel)
    assert f"volatility {drawn['x'][3]:.2%}" in summary and f"Return {drawn['y'][3]:.2%}" in summary
    # the same point chosen from the list (the keyboard's click) shows the same panel
    assert text_of(opt_cb.choose_frontier_point("3", scenario)) == summary
    assert "Choose one of the frontier's points" in text_of(opt_cb.choose_frontier_point("x", scenario))
    assert opt_cb.show_frontier_point({"points": [{"text": "AAPL"}]}, scenario) is no_update
    assert "does not exist any more" in text_of(
        opt_cb.show_frontier_point({"points": [{"customdata": 999}]}, scenario)
    )
    assert "Run the optimisation first" in text_of(
        opt_cb.show_frontier_point({"points": [{"customdata": 3}]}, None)
    )


def cache_counts(operation: str = "rendered") -> dict:
    """This app's cache counters of ``operation`` (hits, misses, computes...), as they stand."""
    from dashboard.extensions import cache

    return dict(cache.counters.snapshot().get(operation, {}))


def test_cb006b_a_point_shown_before_is_drawn_once_for_its_run(ctx):
    """A frontier point's panel is kept with the run's own (its scenario, the household's data version):
    the same point again costs a lookup; another run's point is that run's; new data draw it anew."""
    from dashboard.services.households import household_changed

    mine, _ = households()
    values, ids = form(OPT_FORM, points=10)
    out = triggered("opt-run.n_clicks", opt_cb.run_optimisation, 1, None, mine[0].id, values, ids)
    scenario = out[-1]
    before = cache_counts()
    first = opt_cb.show_frontier_point({"points": [{"customdata": 3}]}, scenario)
    assert cache_counts().get("computes", 0) - before.get("computes", 0) == 1
    again = opt_cb.show_frontier_point({"points": [{"customdata": 3}]}, scenario)
    assert again == first and cache_counts().get("computes", 0) - before.get("computes", 0) == 1
    assert opt_cb.choose_frontier_point("3", scenario) == first  # the keyboard's choice: the same panel
    # another run (other points): its own third point
    values, ids = form(OPT_FORM, points=12)
    other = triggered("opt-run.n_clicks", opt_cb.run_optimisation, 1, None, mine[0].id, values, ids)
    drawn = next(t for t in other[8]["data"] if t["name"] == "Efficient frontier")
    theirs = text_of(opt_cb.show_frontier_point({"points": [{"customdata": 3}]}, other[-1]))
    assert f"volatility {drawn['x'][3]:.2%}" in theirs and theirs != text_of(first)
    household_changed(mine[0].id)  # its portfolio changed: the point is drawn from the new data
    computes = cache_counts().get("computes", 0)
    opt_cb.show_frontier_point({"points": [{"customdata": 3}]}, scenario)
    assert cache_counts().get("computes", 0) == computes + 1


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"sector_limits": "Crypto<=10"}, "sector_limits", "Unknown sector"),
        ({"views": "AAPL twelve"}, "views", "Cannot read the view"),
        ({"objective": "efficient_risk", "target_volatility": 1.0}, None, "lowest achievable volatility"),
        ({"min_weight": 60}, None, "more than 100"),
        ({"universe": "custom", "tickers": ["AAPL"]}, "tickers", "at least two"),
        ({"max_weight": 500}, "max_weight", "between -100 % and 100 %"),
    ],
)
def test_cb007_optimisation_errors_are_shown_on_the_page(ctx, changes, field, message):
    mine, _ = households()
    values, ids = form(OPT_FORM, **changes)
    out = triggered("opt-run.n_clicks", opt_cb.run_optimisation, 1, None, mine[0].id, values, ids)
    messages, alert = out[1], out[3]
    if field:
        assert message in dict(zip([i["index"] for i in ids], messages, strict=True))[field]
    else:
        assert message in text_of(alert)


# -- Goals ------------------------------------------------------------------------------------------


def _goal_form(**changes):
    base = {
        "name": "Boat",
        "target_amount": 150_000,
        "target_date": "2030-06-01",
        "priority": "aspirational",
        "current_amount": 20_000,
        "monthly_contribution": 800,
    }
    base.update(changes)
    return form(GOAL_FORM, **base)


def test_cb008_goal_create_edit_delete_invalidate_and_compute(ctx):
    from engine.goals import Goal as EngineGoal
    from engine.goals import goal_probability

    mine, _ = households()
    household = mine[0]
    values, ids = _goal_form()
    out = triggered("goals-save.n_clicks", goals_cb.modify_goal, 1, None, None, 0, household.id, values, ids)
    version, goal_id = out[2], out[3]
    assert version == 1 and isinstance(goal_id, int)
    with db.session() as session:
        goal = session.get(Goal, goal_id)
        assert goal.name == "Boat" and goal.household_id == household.id
        stored = session.get(Household, household.id)
        # a goal is not what the portfolio analyses read: only the goals version moves
        assert stored.goals_version == household.goals_version + 1
        assert stored.data_version == household.data_version
    # edit it
    values, ids = _goal_form(target_amount=175_000)
    triggered("goals-save.n_clicks", goals_cb.modify_goal, 2, None, goal_id, 1, household.id, values, ids)
    with db.session() as session:
        assert session.get(Goal, goal_id).target_amount == 175_000
    # the table shows its probability, equal to the engine's: 146 months from the valuation date 2018-04-11
    svalues, sids = form(SIM_FORM, paths=2000)
    out = triggered("goals-run.n_clicks", goals_cb.render_goals, 1, None, household.id, svalues, sids, 2)
    content = out[2]
    engine_goal = EngineGoal("Boat", 175_000, (2030 - 2018) * 12 + 6 - 4, 20_000, 800)
    holdings = held(household.id)  # the default model: the firm's assumptions, their inflation
    expected = goal_probability(
        reference.firm_model(holdings), engine_goal, 2000, 42, holdings.firm.inflation, 0.005
    )
    cell = find(content, {"type": "goals-probability", "index": goal_id})
    assert cell.children == reference.percent(expected.probability)
    solved = goals_cb.solve_saving(1, goal_id, household.id, out[4], svalues, sids)
    assert find(solved, "goals-solved-saving") is not None
    # delete it
    triggered(
        "goals-delete-confirm.submit_n_clicks",
        goals_cb.modify_goal,
        None,
        1,
        goal_id,
        2,
        household.id,
        values,
        ids,
    )
    with db.session() as session:
        assert session.get(Goal, goal_id) is None


def test_cb009_goal_validation_and_foreign_goals(ctx):
    mine, theirs = households()
    values, ids = _goal_form(name="", target_amount=-5, target_date="2001-01-01")
    out = triggered("goals-save.n_clicks", goals_cb.modify_goal, 1, None, None, 0, mine[0].id, values, ids)
    messages = dict(zip([i["index"] for i in ids], out[1], strict=True))
    assert "required" in messages["name"] and "between" in messages["target_amount"]
    assert "at least a month after" in messages["target_date"]
    with db.session() as session:
        foreign = session.scalars(select(Goal).where(Goal.household_id == theirs.id)).first()
    values, ids = _goal_form()
    out = triggered(
        "goals-save.n_clicks", goals_cb.modify_goal, 1, None, foreign.id, 0, mine[0].id, values, ids
    )
    assert "not one of this household's goals" in text_of(out[4])


# -- Overview grid -------------------------------------------------------------------------------------


def test_cb010_transactions_grid_pages_sorts_and_filters_in_sql(ctx):
    mine, theirs = households()
    household = mine[0]
    first = overview_cb.transaction_rows({"startRow": 0, "endRow": 50}, "all", household.id)
    dates = [r["date"] for r in first["rowData"]]
    assert dates == sorted(dates, reverse=True) and first["rowCount"] >= len(dates) > 0
    by_amount = overview_cb.transaction_rows(
        {"startRow": 0, "endRow": 20, "sortModel": [{"colId": "amount", "sort": "asc"}]}, "all", household.id
    )
    amounts = [r["amount"] for r in by_amount["rowData"]]
    assert amounts == sorted(amounts)
    groceries = overview_cb.transaction_rows(
        {
            "startRow": 0,
            "endRow": 50,
            "filterModel": {"category": {"filterType": "text", "type": "equals", "filter": "groceries"}},
        },
        "all",
        household.id,
    )
    assert (
        all(r["category"] == "Groceries" for r in groceries["rowData"])
        and groceries["rowCount"] < first["rowCount"]
    )
    second = overview_cb.transaction_rows({"startRow": 50, "endRow": 100}, "all", household.id)
    assert not {r["id"] for r in second["rowData"]} & {r["id"] for r in first["rowData"]}
    with db.session() as session:
        foreign_account = session.scalars(select(Account.id).where(Account.household_id == theirs.id)).first()
    for bad in (
        {"startRow": -1, "endRow": 5},
        {"startRow": 0, "endRow": 10_000},
        {"sortModel": [{"colId": "password", "sort": "asc"}]},
        {"filterModel": {"amount": {"filterType": "number", "type": "drop table", "filter": 1}}},
        {"filterModel": {"description": {"filterType": "text", "type": "contains", "filter": "x" * 500}}},
    ):
        with pytest.raises(InvalidInput):
            overview_cb.transaction_rows({"startRow": 0, "endRow": 50, **bad}, "all", household.id)
    with pytest.raises(InvalidInput):
        overview_cb.transaction_rows({"startRow": 0, "endRow": 50}, foreign_account, household.id)


def test_cb010b_a_block_asked_again_reads_the_rows_as_they_are_now(ctx):
    """The date-ordered block's statement is built once per shape and kept (dashboard/services/
    transactions.py): it is the query, never its rows - a transaction added since is in the next answer."""
    import datetime as dt

    from dashboard.data.models import Transaction
    from dashboard.services import transactions

    household = households()[0][0]
    request = {"startRow": 0, "endRow": 50}
    before = overview_cb.transaction_rows(dict(request), "all", household.id)
    reused = transactions._by_date.cache_info().hits
    with db.session() as session:
        account = session.scalars(select(Account.id).where(Account.household_id == household.id)).first()
        session.add(
            Transaction(
                account_id=account,
                date=dt.date(2099, 1, 1),
                type="deposit",
                description="Added after the first look",
                category="Income",
                amount=1.0,
            )
        )
        session.commit()
    after = overview_cb.transaction_rows(dict(request), "all", household.id)
    assert transactions._by_date.cache_info().hits == reused + 1  # the same shape: the statement was reused
    assert after["rowData"][0]["description"] == "Added after the first look"
    assert [r["id"] for r in after["rowData"][1:]] == [r["id"] for r in before["rowData"][:-1]]


def test_cb010c_a_block_reads_the_households_accounts_once_per_version(ctx):
    """Which accounts are the household's (what a block may show) comes from its snapshot, kept per data
    version: a block asked again runs its rows' statement alone; an account added (the household's data
    changed) is the household's in the next block, and another household's account is refused."""
    from sqlalchemy import event

    from dashboard.services.households import household_changed

    household, theirs = households()[0][0], households()[1]
    request = {"startRow": 0, "endRow": 50}
    overview_cb.transaction_rows(dict(request), "all", household.id)
    statements: list[str] = []
    listen = (db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    event.listen(*listen)
    try:
        overview_cb.transaction_rows(dict(request), "all", household.id)
        assert len(statements) == 1 and "accounts.id AS" not in statements[0]  # the rows alone
        with db.session() as session:
            added = Account(
                household_id=household.id,
                name="Opened today",
                account_type="checking",
                institution="Test Bank",
                cash_balance=0.0,
            )
            session.add(added)
            session.commit()
            added_id = added.id
            foreign = session.scalars(select(Account.id).where(Account.household_id == theirs.id)).first()
        household_changed(household.id)
        assert overview_cb.transaction_rows(dict(request), added_id, household.id) == {
            "rowData": [],
            "rowCount": 0,
        }
    finally:
        event.remove(*listen)
    with pytest.raises(InvalidInput):
        overview_cb.transaction_rows(dict(request), foreign, household.id)


def test_cb011_percent_fields_round_trip_through_the_url():
    field = MC_FORM.by_name["inflation"]
    clean, _ = validate([field], {"inflation": 2.5})
    assert clean["inflation"] == pytest.approx(0.025)
    assert display_value(field, clean["inflation"]) == pytest.approx(2.5)
    assert np.isclose(validate([field], {"inflation": "2.5"})[0]["inflation"], 0.025)


def test_cb012_csv_downloads_hold_the_results(ctx):

    mine, _ = households()
    sent, _alert = callbacks.DOWNLOADS["mc"](1, shown(MC_FORM, mine[0].id, paths=1000, seed=3, years=5))
    rows = csv_table(sent["content"])
    assert rows[0][:3] == ["month", "year", "p5_nominal"] and rows[-1][0] == "60"
    assert sent["filename"].endswith("seed3.csv")
    sent, _alert = callbacks.DOWNLOADS["opt"](1, shown(OPT_FORM, mine[0].id, objective="min_volatility"))
    rows = csv_table(sent["content"])
    weights = [r for r in rows[1:] if r[0] == "weights"]
    assert abs(sum(float(r[2]) for r in weights) - 1) < 1e-6
    assert len([r for r in rows if r[0] == "frontier"]) == 40
    sent, _alert = callbacks.DOWNLOADS["goalsim"](1, shown(SIM_FORM, mine[0].id, paths=500))
    rows = csv_table(sent["content"])
    assert rows[0][0] == "goal" and all(0 <= float(r[6]) <= 1 for r in rows[1:])


def test_cb012b_downloads_export_the_results_on_screen_and_errors_clear_them(ctx):
    """Issue 16.3 and 16.4: a download exports the last run, not the form edited since; a large run comes
    from the stored result; a failed run clears the results it would otherwise sit above."""

    mine, _ = households()
    values, ids = form(MC_FORM, paths=1000, seed=3, years=30)
    scenario = triggered("mc-run.n_clicks", mc_cb.run_simulation, 1, None, mine[0].id, values, ids)[-1]
    # the analyst changes the horizon to 5 years without running: the download has only the scenario
    sent, alert = callbacks.DOWNLOADS["mc"](1, scenario)
    rows = csv_table(sent["content"])
    assert rows[-1][0] == "360" and alert is no_update
    sent, alert = callbacks.DOWNLOADS["mc"](1, None)
    assert sent is no_update and "Run the simulation first" in text_of(alert)
    # a large run is never simulated in the web worker: stored, or refused with a reason
    large = shown(MC_FORM, mine[0].id, paths=100_000, years=10, seed=11)
    large_query = parse_search(large)
    large_query.pop("household")
    sent, alert = callbacks.DOWNLOADS["mc"](1, large)
    assert sent is no_update and "not stored" in text_of(alert)
    household = mc_cb.authorize_household(mine[0].id)
    clean = MC_FORM.clean(large_query)
    mc_cb.compute(mc_cb.prepare(clean, household), False)  # as the background job does
    sent, alert = callbacks.DOWNLOADS["mc"](1, large)
    assert alert is no_update and csv_table(sent["content"])[-1][0] == "120"
    # a run that fails clears the earlier results
    values, ids = form(OPT_FORM)
    out = triggered("opt-run.n_clicks", opt_cb.run_optimisation, 1, None, mine[0].id, values, ids)
    assert out[3] is None
    values, ids = form(OPT_FORM, objective="efficient_return", target_return=95)
    out = triggered("opt-run.n_clicks", opt_cb.run_optimisation, 1, None, mine[0].id, values, ids)
    _c, _m, results, alert, _search, notes, side, tables, figure, point, choices, _, scenario = out
    assert choices == []
    assert "No results for these settings" in text_of(results) and alert is not None
    assert notes is None and side is None and tables is None and point is None and scenario is None
    assert not figure["data"]


def test_cb013_csv_cells_never_become_spreadsheet_formulas():
    from callbacks.analysis import csv_download

    content = csv_download(["a"], [['=HYPERLINK("http://x")'], ["+1"], ["plain"], [-5]], "x.csv")["content"]
    assert "'=HYPERLINK" in content and "'+1" in content and "\nplain" in content and "\n-5" in content
