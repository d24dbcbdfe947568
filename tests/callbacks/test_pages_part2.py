"""Risk, Diversification, Retirement, Tax, Threads and statement import, called directly."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pandas as pd
import pytest
from dash import no_update
from sqlalchemy import delete, func, select

import callbacks
from callbacks import monte_carlo as mc_cb
from callbacks import overview as overview_cb
from callbacks import shell as shell_cb
from dashboard.data.models import (
    Account,
    Goal,
    Holding,
    Household,
    Security,
    TaxLot,
    Thread,
    ThreadItem,
    Transaction,
)
from dashboard.errors import AccessDenied, InvalidInput
from dashboard.extensions import db
from dashboard.forms import diversification as div_form
from dashboard.forms import retirement as ret_form
from dashboard.forms import risk as risk_form
from dashboard.forms import tax as tax_form
from dashboard.forms.fields import FormErrors
from dashboard.forms.monte_carlo import FORM as MC_FORM
from dashboard.services.imports import import_statement
from tests import reference
from tests.callbacks.test_pages import find, form, held, households, text_of, triggered


@pytest.fixture
def ctx(app, signed_in):
    with signed_in(app):  # the demo analyst, as the callbacks see her
        yield app


def test_cb101_risk_page_equals_the_engine(ctx):
    from engine.risk import risk_report

    mine, _ = households()
    values, ids = form(risk_form.FORM, paths=5000)
    out = triggered("risk-run.n_clicks", callbacks.RUNS["risk"], 1, None, mine[0].id, values, ids)
    results, alert, search, scenario = out[2], out[3], out[4], out[5]
    assert alert is None and search == scenario and "paths=5000" in search
    holdings = held(mine[0].id)
    report = risk_report(
        reference.bundled_prices(holdings.tickers, "2013-04-11"),
        holdings.weights,
        reference.bundled_prices(["SPY"])["SPY"],
        0.02,
        5000,
        42,
        stress_prices=reference.bundled_prices(holdings.tickers),
    )
    assert find(results, "risk-volatility").children == reference.percent(report.volatility)
    assert find(results, "risk-max-drawdown").children == reference.percent(report.max_drawdown)
    var = text_of(find(results, "risk-var"))
    historical = next(r for r in report.var if r.method == "historical" and r.confidence == 0.99)
    assert reference.percent(historical.var, 2) in var and "Cornish-Fisher" in var and "Monte Carlo" in var
    assert "2008-09 global financial crisis" in text_of(find(results, "risk-stress"))


def test_cb102_diversification_and_retirement_equal_the_engine(ctx):
    from engine.diversification import diversification_report
    from engine.retirement import RetirementPlan, simulate_retirement, solve_spending

    mine, _ = households()
    holdings = held(mine[0].id)
    values, ids = form(div_form.FORM)
    results = triggered("div-run.n_clicks", callbacks.RUNS["div"], 1, None, mine[0].id, values, ids)[2]
    with db.session() as session:
        sectors = {
            t: s or "Broad market (ETF)" for t, s in session.execute(select(Security.ticker, Security.sector))
        }
    report = diversification_report(
        reference.bundled_prices(holdings.tickers, "2013-04-11"), holdings.weights, sectors
    )
    assert find(results, "div-effective-bets").children == f"{report.effective_bets:.1f}"
    heatmap = find(results, {"type": "chart-figure", "index": "div-heatmap"}).data["figure"]
    assert heatmap["data"][0]["x"] == list(report.tickers)
    values, ids = form(ret_form.FORM, paths=1000, strategy="guardrails", spending=30000)
    results = triggered("ret-run.n_clicks", callbacks.RUNS["ret"], 1, None, mine[0].id, values, ids)[2]
    plan = RetirementPlan(
        current_age=55,
        retirement_age=65,
        end_age=95,
        savings=round(holdings.invested + holdings.cash, 2),
        monthly_contribution=1000.0,
        annual_spending=30000.0,
        inflation=holdings.firm.inflation,  # the firm's, the default
        annual_fee=0.005,
        strategy="guardrails",
    )
    model = reference.firm_model(holdings)
    result = simulate_retirement(model, plan, 1000, 42)
    solution = solve_spending(model, plan, 0.9, 1000, 42)
    assert find(results, "ret-success").children == reference.percent(result.success_rate)
    assert find(results, "ret-solved-spending").children == reference.money(solution.annual_spending)


def test_cb103_tax_page_uses_taxable_lots_and_flags_wash_sales(ctx):
    mine, _ = households()
    household = mine[0]
    with db.session() as session:
        taxable = session.scalar(
            select(Account).where(Account.household_id == household.id, Account.account_type == "taxable")
        )
        lot = session.scalars(select(TaxLot).join(Holding).where(Holding.account_id == taxable.id)).first()
        holding = session.get(Holding, lot.holding_id)
        ira = session.scalar(
            select(Account).where(
                Account.household_id == household.id,
                Account.account_type != "taxable",
                Account.account_type.in_(("ira", "roth_ira", "401k")),
            )
        )
        # a loss lot bought at a high price, and a purchase of the same security in the IRA 10 days before the sale
        session.add(
            TaxLot(holding_id=holding.id, acquired_on=dt.date(2017, 6, 1), quantity=5, cost_per_share=1e5)
        )
        session.add(
            Transaction(
                account_id=ira.id,
                security_id=holding.security_id,
                date=dt.date(2018, 4, 1),
                type="buy",
                description="Bought 1",
                amount=-10.0,
                quantity=1.0,
                price=10.0,
            )
        )
        ticker = session.get(Security, holding.security_id).ticker
    from dashboard.services.households import household_changed

    household_changed(household.id)
    values, ids = form(tax_form.FORM)
    results = triggered("tax-run.n_clicks", callbacks.RUNS["tax"], 1, None, household.id, values, ids)[2]
    lots_shown = text_of(find(results, "tax-lots"))
    assert taxable.name in lots_shown and ira.name not in lots_shown
    # the new loss lot: 5 shares bought at $100,000, valued at the bundled close on 2018-04-11
    close = float(reference.bundled_prices([ticker]).iloc[-1][ticker])
    assert reference.money(5 * close - 5 * 1e5) in lots_shown
    candidates = text_of(find(results, "tax-candidates"))
    assert "wash sale" in candidates and "2018-04-01" in candidates


def test_cb103b_tax_wash_sale_knows_a_lots_own_purchase_and_the_household_position(ctx):
    """A lot's own buy is not its wash sale; the same-day, same-size buy in the IRA is (issue 15, 3b).
    Savings follow the household's position: with a large realised loss already, harvesting saves nothing."""
    mine, _ = households()
    household = mine[1]
    with db.session() as session:
        taxable = session.scalar(
            select(Account).where(Account.household_id == household.id, Account.account_type == "taxable")
        )
        holding = session.scalars(
            select(Holding).where(Holding.account_id == taxable.id).order_by(Holding.id)
        ).first()
        # the new lot is the holding's only one: another loss lot bought earlier would take the
        # replacement shares first (earliest loss lot first), which cb103 checks on its own
        session.execute(delete(TaxLot).where(TaxLot.holding_id == holding.id))
        ira = session.scalar(
            select(Account).where(
                Account.household_id == household.id, Account.account_type.in_(("ira", "roth_ira", "401k"))
            )
        )
        session.add(
            TaxLot(holding_id=holding.id, acquired_on=dt.date(2018, 4, 2), quantity=7, cost_per_share=1e5)
        )
        for account in (taxable, ira):
            session.add(
                Transaction(
                    account_id=account.id,
                    security_id=holding.security_id,
                    date=dt.date(2018, 4, 2),
                    type="buy",
                    description="Bought 7",
                    amount=-7e5,
                    quantity=7.0,
                    price=1e5,
                )
            )
        ira_name, taxable_name = ira.name, taxable.name
    from dashboard.services.households import household_changed

    household_changed(household.id)
    values, ids = form(tax_form.FORM)
    results = triggered("tax-run.n_clicks", callbacks.RUNS["tax"], 1, None, household.id, values, ids)[2]
    candidates = text_of(find(results, "tax-candidates"))
    assert f"7 of 7 shares replaced: 7 bought 2018-04-02 in {ira_name}" in candidates
    assert f"in {taxable_name}" not in candidates
    saves = text_of(find(results, "tax-savings"))
    assert saves != reference.money(0)
    # the same lots for a household that already realised a large loss this year and carries one over
    values, ids = form(tax_form.FORM, realised_short=-1e9, carryover_short=5e5)
    results = triggered("tax-run.n_clicks", callbacks.RUNS["tax"], 2, None, household.id, values, ids)[2]
    assert text_of(find(results, "tax-savings")) == reference.money(0)
    assert "more loss is carried forward to next year instead" in text_of(find(results, "tax-position"))


def test_cb103c_simulations_say_which_history_they_used(ctx):
    """The bootstrap's window is the whole months in which every holding traded; the page says so, and
    names the holding that shortened it (issue 15, defects 1 and 8)."""
    mine, _ = households()
    shortened = 0
    for household in mine:
        holdings = held(household.id)
        if not holdings.tickers:
            continue
        prices = reference.bundled_prices(holdings.tickers, "2008-04-11")
        firsts = {t: prices[t].first_valid_index() for t in holdings.tickers}
        late = max(firsts, key=firsts.get)
        common = prices.loc[firsts[late] :]
        ends = common.groupby(common.index.to_period("M")).tail(1)
        last = ends.index[-1]
        whole = ends if last >= last + pd.offsets.BMonthEnd(0) else ends.iloc[:-1]
        months = len(whole) - 1  # the first month-end is the base
        values, ids = form(MC_FORM, model="bootstrap", paths=500, seed=1)
        out = triggered("mc-run.n_clicks", mc_cb.run_simulation, 1, None, household.id, values, ids)
        note = text_of(find(out[2], "mc-history"))
        assert f"Resampled from {months} whole months of history" in note, note
        assert f"{whole.index[1]:%Y-%m} to {whole.index[-1]:%Y-%m}" in note
        if firsts[late] > prices.index[0]:
            shortened += 1
            assert f"{late}'s prices start on {firsts[late]:%Y-%m-%d}" in note
        # the parametric model estimates each holding over its own history, and says so
        values, ids = form(MC_FORM, model="parametric", paths=500, seed=1)
        out = triggered("mc-run.n_clicks", mc_cb.run_simulation, 1, None, household.id, values, ids)
        assert "each holding over its own history" in text_of(find(out[2], "mc-history"))
    assert shortened, "no demo household holds a security that listed after 2008"
    values, ids = form(ret_form.FORM, model="parametric")
    results = triggered("ret-run.n_clicks", callbacks.RUNS["ret"], 1, None, mine[0].id, values, ids)[2]
    assert "each holding over its own history" in text_of(find(results, "ret-history"))


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


def _upload(text: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode()


def _account(household, kind="checking"):
    with db.session() as session:
        return session.scalar(
            select(Account).where(Account.household_id == household.id, Account.account_type == kind)
        )


def test_cb105_import_good_transactions_file(ctx):
    mine, _ = households()
    household, account = mine[0], _account(mine[0])
    with db.session() as session:
        before = session.scalar(
            select(func.count()).select_from(Transaction).where(Transaction.account_id == account.id)
        )
        version = session.get(Household, household.id).data_version
    text = (
        "date,description,amount,category,type,ticker,quantity,price,transaction_id\n"
        "2018-04-02,<img src=x onerror=alert(1)>,-84.12,Groceries,payment,,,,imp-1\n"
        "2018-04-03,Bought 10 AAPL,-1689.40,Investments,buy,AAPL,10,168.94,imp-2\n"
    )
    result = import_statement(household, account.id, "transactions", text, "statement.csv")
    assert result.ok and result.imported == 2
    with db.session() as session:
        after = session.scalar(
            select(func.count()).select_from(Transaction).where(Transaction.account_id == account.id)
        )
        stored = session.scalar(select(Transaction.description).where(Transaction.external_id == "imp-1"))
        assert session.get(Household, household.id).data_version == version + 1
    assert after == before + 2 and stored == "<img src=x onerror=alert(1)>"  # kept as text, shown as text
    again = import_statement(household, account.id, "transactions", text, "statement.csv")
    assert not again.ok and {e.message for e in again.errors} == {"was imported before"}


@pytest.mark.parametrize(
    "text,problem",
    [
        ("date,amount\n2018-01-01,5\n", "missing description"),
        ("date,description,amount,evil\n2018-01-01,x,5,1\n", "unknown evil"),
        ("date,description,amount\n2018-01-01,x,lots\n", "is not a number"),
        ("date,description,amount\n2018-13-45,x,5\n", "is not a date"),
        ("date,description,amount\n2999-01-01,x,5\n", "must be between 1900-01-01"),
        ("date,description,amount,transaction_id\n2018-01-01,x,5,a\n2018-01-02,y,6,a\n", "appears twice"),
        ("date,description,amount,type\n2018-01-01,x,5,steal\n", "must be one of"),
        ("date,description,amount,type,ticker\n2018-01-01,x,5,buy,ZZZZ\n", "not a known security"),
        ("date,description,amount\n2018-01-01,x,nan\n", "must be between"),
        ("date,description,amount\n2018-01-01,x\n", "values for 3 columns"),
    ],
)
def test_cb106_bad_files_import_nothing_and_say_why(ctx, text, problem):
    mine, _ = households()
    household, account = mine[0], _account(mine[0])
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(Transaction))
    try:
        result = import_statement(household, account.id, "transactions", text, "bad.csv")
        messages = " ".join(f"{e.column} {e.message}" for e in result.errors)
        assert not result.ok and problem in messages, messages
    except InvalidInput as error:
        assert problem in str(error)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Transaction)) == before


def test_cb107_hostile_uploads_are_refused(ctx):
    """The upload is decoded by the callback (as the price upload's is): a file that is not CSV text is
    refused beside the upload and nothing is imported; the service refuses another household's account."""
    mine, theirs = households()
    household, account = mine[0], _account(mine[0])
    with db.session() as session:
        before = session.scalar(select(func.count()).select_from(Transaction))
    latin = "data:text/csv;base64," + base64.b64encode(b"date,description,amount\n\xff\xfe,x,1").decode()
    for contents, filename, message in [
        (_upload("a" * (6 * 1024 * 1024)), "big.csv", "larger than"),
        (latin, "latin.csv", "UTF-8"),
        (_upload("x"), "evil.exe", ".csv"),
        ("data:text/csv;base64,@@@", "x.csv", "base64"),
    ]:
        shown, version, cleared = overview_cb.import_file(
            contents, filename, account.id, "transactions", 3, household.id
        )
        assert message in text_of(shown) and version is no_update and cleared is None
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Transaction)) == before
    with pytest.raises(InvalidInput, match="not one of this household's accounts"):
        import_statement(household, _account(theirs).id, "transactions", "date,description,amount\n", "x.csv")
    with pytest.raises(AccessDenied):
        from dashboard.services.access import authorize_household

        authorize_household(theirs.id)


def test_cb108_import_holdings_adds_lots(ctx):
    mine, _ = households()
    household, account = mine[0], _account(mine[0], "taxable")
    text = "ticker,quantity,cost_per_share,acquired_on\nPFE,12.5,30.25,2017-02-01\nPFE,7.5,31,2017-03-01\n"
    with db.session() as session:
        pfe = session.scalar(
            select(Holding)
            .join(Holding.security)
            .where(Holding.account_id == account.id, Holding.security.has(ticker="PFE"))
        )
        before = pfe.quantity if pfe else 0.0
    result = import_statement(household, account.id, "holdings", text, "lots.csv")
    assert result.ok and result.imported == 2
    with db.session() as session:
        pfe = session.scalar(
            select(Holding)
            .join(Holding.security)
            .where(Holding.account_id == account.id, Holding.security.has(ticker="PFE"))
        )
        assert pfe.quantity == pytest.approx(before + 20.0)


def test_cb109_form_errors_are_user_facing():
    assert isinstance(FormErrors({"a": "b"}), InvalidInput)


# -- callbacks that had no direct test --------------------------------------------------------------


def test_cb110_overview_without_a_household_fills_every_output(ctx):
    from dash.exceptions import PreventUpdate

    with pytest.raises(PreventUpdate):  # the page has just loaded: the shell has not chosen yet
        triggered(".", overview_cb.render_overview, None, 0, None, None)
    out = triggered("shell-household-select.value", overview_cb.render_overview, None, 0, None, None)
    assert len(out) == 7
    content, households_table, options, value, import_options, import_value, result = out
    assert "Choose a household" in text_of(content)
    assert options == [{"label": "All accounts", "value": "all"}] and value == "all"
    assert import_options == [] and import_value is None
    mine, _ = households()
    assert all(h.name in text_of(households_table) for h in mine)


def _nav_ids():
    return [
        {"type": "shell-nav-link", "index": m} for m in ("pages.overview", "pages.risk", "pages.performance")
    ]


def test_cb111_household_sync_follows_url_then_picker_and_refuses_others(ctx):
    from dash import no_update

    mine, theirs = households()
    first, second = mine[0], mine[1]
    options, chosen, stored, search, hrefs, classes, user, _title, as_of, _detail = triggered(
        "shell-url.search", shell_cb.sync_household, f"?household={second.id}", None, None, _nav_ids()
    )
    # the picker is a native select: its values are text
    assert chosen == str(second.id) and stored == second.id and search is no_update
    assert {o["value"] for o in options} == {str(h.id) for h in mine}
    assert "d-none" in classes[-1] and not any(classes[:-1])  # Operations is for administrators
    assert hrefs[1].endswith(f"/risk?household={second.id}") and "analyst" in user
    assert as_of == "Prices as of 11 Apr 2018"  # the bundled prices' last complete day
    # the analyst picks another household: the address bar follows, other parameters kept
    _, chosen, _, search, *_ = triggered(
        "shell-household-select.value",
        shell_cb.sync_household,
        f"?household={second.id}&seed=3",
        first.id,
        second.id,
        _nav_ids(),
    )
    assert chosen == str(first.id) and search == f"?household={first.id}&seed=3"
    # someone else's household in a link: refused with a message, the stored choice kept
    updates = {}
    _, chosen, *_ = triggered(
        "shell-url.search",
        shell_cb.sync_household,
        f"?household={theirs.id}",
        None,
        first.id,
        _nav_ids(),
        updated=updates,
    )
    assert chosen == str(first.id)
    assert "not one of your households" in updates["shell-alert"]["children"]


def test_cb112_goal_form_fills_from_the_goal_clicked(ctx):
    from callbacks.goals import fill_goal_form
    from dashboard.forms.goals import GOAL_FORM

    mine, theirs = households()
    form_ids = [{"type": "goals-field", "index": f.name} for f in GOAL_FORM.fields]
    with db.session() as session:
        goal = session.scalars(select(Goal).where(Goal.household_id == mine[0].id)).first()
        foreign = session.scalars(select(Goal).where(Goal.household_id == theirs.id)).first()
    edit = json.dumps({"index": goal.id, "type": "goals-edit"}, separators=(",", ":")) + ".n_clicks"
    values, selected, title, *_ = triggered(edit, fill_goal_form, [1], None, mine[0].id, form_ids)
    assert selected == goal.id and title == f"Edit goal: {goal.name}"
    assert dict(zip([f.name for f in GOAL_FORM.fields], values, strict=True))["target_date"] == (
        goal.target_date.isoformat()
    )
    values, selected, title, *_ = triggered(
        "goals-new.n_clicks", fill_goal_form, [None], 1, mine[0].id, form_ids
    )
    assert selected is None and title == "New goal" and values[0] == ""
    # issue 16.5: another household chosen mid-edit leaves nothing of the first one's goal in the form
    triggered(edit, fill_goal_form, [1], None, mine[0].id, form_ids)
    values, selected, title, solution, classes, messages = triggered(
        "shell-household-select.value", fill_goal_form, [None], None, mine[1].id, form_ids
    )
    assert selected is None and title == "New goal" and solution is None
    assert values == [f.default for f in GOAL_FORM.fields] and not any(messages)
    # Delete is offered only once a goal is chosen
    from callbacks.goals import delete_needs_a_goal

    assert delete_needs_a_goal(None)[0] is True and delete_needs_a_goal(goal.id)[0] is False
    foreign_edit = (
        json.dumps({"index": foreign.id, "type": "goals-edit"}, separators=(",", ":")) + ".n_clicks"
    )
    with pytest.raises(AccessDenied):
        triggered(foreign_edit, fill_goal_form, [1], None, mine[0].id, form_ids)


def test_cb113_account_choice_draws_a_grid_for_the_households_own_accounts(ctx):
    from dash.exceptions import PreventUpdate

    mine, theirs = households()
    with db.session() as session:
        own = session.scalars(select(Account.id).where(Account.household_id == mine[0].id)).first()
        foreign = session.scalars(select(Account.id).where(Account.household_id == theirs.id)).first()
    grid = find(overview_cb.choose_account(own, mine[0].id, 3, True), "overview-transactions")
    assert grid is not None and grid.rowModelType == "infinite"
    with pytest.raises(InvalidInput):
        overview_cb.choose_account(foreign, mine[0].id, 3, True)
    with pytest.raises(AccessDenied):
        overview_cb.choose_account("all", theirs.id, 3, True)
    with pytest.raises(PreventUpdate):
        overview_cb.choose_account("all", None, 3, True)
    with pytest.raises(PreventUpdate):  # the grid's library has not loaded yet
        overview_cb.choose_account("all", mine[0].id, 3, None)


def test_cb114_goal_status_shows_each_goals_probability(ctx):
    from engine.goals import Goal as EngineGoal
    from engine.goals import goal_probability
    from engine.montecarlo import ReturnModel  # noqa: F401 - the model comes from the reference

    mine, _ = households()
    table = overview_cb.goal_status(mine[0].id, 0)
    with db.session() as session:
        goals = session.scalars(
            select(Goal).where(Goal.household_id == mine[0].id).order_by(Goal.target_date)
        ).all()
    assert goals, "the demo household has goals"
    goal = goals[0]
    months = (goal.target_date.year - 2018) * 12 + goal.target_date.month - 4
    holdings = held(mine[0].id)  # the Goals page's defaults: the firm's assumptions and inflation
    expected = goal_probability(
        reference.firm_model(holdings),
        EngineGoal(goal.name, goal.target_amount, months, goal.current_amount, goal.monthly_contribution),
        10_000,
        42,
        holdings.firm.inflation,
        0.005,
    )
    assert reference.percent(expected.probability, 0) in text_of(table)


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


def test_cb116_import_callback_reports_and_bumps_the_version(ctx):
    from dash import no_update

    mine, theirs = households()
    household, account = mine[0], _account(mine[0])
    good = _upload("date,description,amount\n2018-04-02,Coffee,-4.5\n")
    result, version, cleared = overview_cb.import_file(
        good, "s.csv", account.id, "transactions", 4, household.id
    )
    assert (
        f"Imported 1 transaction into {account.name}." == text_of(result) and version == 5 and cleared is None
    )
    bad = _upload("date,description,amount\n2018-04-02,Coffee,lots\n")
    result, version, cleared = overview_cb.import_file(
        bad, "s.csv", account.id, "transactions", 5, household.id
    )
    assert "Nothing was imported" in text_of(result) and version == 5 and cleared is None
    result, version, _ = overview_cb.import_file(good, "s.csv", account.id, "transactions", 5, theirs.id)
    assert "not one of your households" in text_of(result) and version is no_update


def test_cb116b_after_an_import_the_account_choices_stay(ctx):
    """Issue 16.2: the version bump after an import redraws the Overview without resetting the account
    the analyst chose; choosing another household starts afresh."""
    mine, _ = households()
    with db.session() as session:
        accounts = session.scalars(
            select(Account.id).where(Account.household_id == mine[0].id).order_by(Account.id)
        ).all()
    chosen = str(accounts[-1])  # a native select's value is text
    out = triggered("overview-version.data", overview_cb.render_overview, mine[0].id, 5, chosen, chosen)
    *_, shown, import_options, import_value, result = out
    assert import_value == chosen != import_options[0]["value"] and shown == chosen
    assert result is no_update  # the import's message stays
    out = triggered(
        "shell-household-select.value", overview_cb.render_overview, mine[1].id, 5, chosen, chosen
    )
    *_, shown, import_options, import_value, result = out
    assert import_value == import_options[0]["value"] and shown == "all" and result is None


def test_cb117_performance_page_reads_the_store_and_only_admins_reset(ctx, signed_in):
    from callbacks import performance as perf_cb
    from dashboard.extensions import metrics

    metrics.record("callback.risk-results.children", 42.0)
    metrics.record("engine.risk", 310.0)
    # Issue 25.5: the Operations page is the admin's; the demo analyst reads nothing of it
    refused = perf_cb.render_report("1h", "15", None, 0)
    assert "for administrators" in text_of(refused[-1]) and "engine.risk" not in text_of(refused[:-1])
    assert perf_cb.first_view() is None
    assert "for administrators" in text_of(perf_cb.render_latency("engine.risk", "1h", None))
    done, alert = triggered(
        '{"index":0,"type":"perf-reset-button"}.submit_n_clicks', perf_cb.reset_metrics, [1], 0
    )
    assert "Only an admin" in text_of(alert) and done is no_update_value()
    assert metrics.stats("all")  # nothing was reset
    with signed_in(ctx, "admin@meridian.example"):
        out = perf_cb.render_report("1h", "15", None, 0)
        summary, callbacks_table, others, *_rest, options, updated, reset, alert = out
        assert alert is None and reset is not None  # the admin sees the reset button
        # callbacks named in words, operations as measured
        assert "Risk: run" in text_of(callbacks_table) and "engine.risk" in text_of(others)
        assert {"callback.risk-results.children", "engine.risk"} <= {o["value"] for o in options}
        assert "refreshes every 10 s" in updated
        refused = perf_cb.render_report("1y", "15", None, 0)
        assert "Choose a window" in text_of(refused[-1])
        assert "how many rows" in text_of(perf_cb.render_report("1h", "9999", None, 0)[-1])
        # the long tables show the slowest rows first, as many as asked for, and say what they leave out
        for i in range(40):
            metrics.record(f"engine.op{i:02d}", float(i + 1))
        cut = perf_cb.render_report("1h", "15", None, 0)[2]
        shown = text_of(cut)
        assert "engine.risk" in shown and "engine.op39" in shown and "engine.op00" not in shown
        others_measured = [n for n in metrics.stats("1h") if not n.startswith("callback.")]
        assert f"The first 15 of {len(others_measured)} operations" in shown and len(others_measured) >= 41
        every = text_of(perf_cb.render_report("1h", "all", None, 0)[2])
        assert "engine.op00" in every and "The first" not in every
        # the page opens with the same view already drawn
        first = perf_cb.first_view()
        assert text_of(first["operations"]) == shown and first["alert"] is None
        latency = perf_cb.render_latency("engine.risk", "1h", None)
        spec = find(latency, {"type": "chart-figure", "index": "perf-latency-chart"}).data
        assert spec["figure"]["data"][0]["y"][-1] == pytest.approx(310.0, rel=0.011)  # this minute's p95
        assert "has not been measured" in text_of(perf_cb.render_latency("no.such.op", "1h", None))
        metrics.record("engine.risk", 5.0)
        done, alert = perf_cb.reset_metrics([1], 0)
        assert done == 1 and "reset" in text_of(alert) and metrics.stats("all") == {}


def no_update_value():
    from dash import no_update

    return no_update


def test_cb130_thinned_charts_keep_their_extremes_and_titles_clear_the_toolbar():
    """Issue 16.11 and 16.13: the drawdown chart's trough is the card's; no title under the toolbar."""
    from types import SimpleNamespace

    import numpy as np

    from components.graphs import TOOLBAR_PX, below_toolbar
    from components.risk import drawdown_figure

    days = [dt.date(2010, 1, 1) + dt.timedelta(days=i) for i in range(5001)]
    rng = np.random.default_rng(3)
    drawdown = -np.abs(rng.normal(0, 0.05, len(days)))
    drawdown[2345] = -0.197  # the trough, on an odd day
    figure = drawdown_figure(SimpleNamespace(drawdown_dates=days, drawdown=drawdown))
    trace = figure["data"][0]
    assert min(trace["y"]) == pytest.approx(-0.197) and "2016-06-03" in trace["x"]
    assert (
        len(trace["y"]) <= 1202 and trace["x"][0] == "2010-01-01" and trace["x"][-1] == days[-1].isoformat()
    )
    moved = below_toolbar(figure)["layout"]
    top_of_title = (1 - moved["title"]["y"]) * moved["height"]
    assert top_of_title == pytest.approx(TOOLBAR_PX) and moved["margin"]["t"] >= top_of_title + 15


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


def test_cb132_pension_before_the_current_age_is_refused_and_diversification_names_its_window(ctx):
    """Issue 16.13: a pension from an age already passed is named, not accepted; Diversification says
    which dates it used."""
    mine, _ = households()
    values, ids = form(ret_form.FORM, current_age=65, retirement_age=67, pension_age=60)
    out = triggered("ret-run.n_clicks", callbacks.RUNS["ret"], 1, None, mine[0].id, values, ids)
    messages = dict(zip([i["index"] for i in ids], out[1], strict=True))
    assert "cannot start at 60, before the current age 65" in messages["pension_age"]
    assert "No results" in text_of(out[2])
    values, ids = form(div_form.FORM)
    results = triggered("div-run.n_clicks", callbacks.RUNS["div"], 1, None, mine[0].id, values, ids)[2]
    window = text_of(find(results, "div-window"))
    assert window.startswith("Daily returns ") and "days on which every holding traded" in window
