"""Risk, Diversification, Retirement, Tax, Threads and statement import, called directly."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from callbacks import diversification as div_cb
from callbacks import monte_carlo as mc_cb
from callbacks import retirement as ret_cb
from callbacks import risk as risk_cb
from callbacks import tax as tax_cb
from callbacks import threads as threads_cb
from callbacks.common import FormErrors
from components import diversification as div_ui
from components import monte_carlo as mc_ui
from components import retirement as ret_ui
from components import risk as risk_ui
from components import tax as tax_ui
from components.formatting import money
from dashboard import analytics
from dashboard.access import AccessDenied, InvalidInput
from dashboard.extensions import db
from dashboard.forms import validate
from dashboard.imports import import_statement
from dashboard.models import Account, Holding, Household, TaxLot, Thread, ThreadItem, Transaction
from tests.callbacks.test_pages import find, form, households, text_of, triggered


@pytest.fixture
def ctx(app):
    with app.server.app_context():
        yield app


def clean_of(fields, values, field_ids):
    return validate(fields, dict(zip([i["index"] for i in field_ids], values, strict=True)))[0]


def test_cb101_risk_page_equals_the_engine(ctx):
    mine, _ = households()
    values, ids = form(risk_ui.PAGE, risk_ui.FIELDS, paths=5000)
    out = triggered("risk-run.n_clicks", risk_cb.run_risk, 1, None, mine[0].id, values, ids)
    results, alert, search, scenario = out[2], out[3], out[4], out[5]
    assert alert is None and search == scenario and "paths=5000" in search
    report, _ = risk_cb.risk_report(clean_of(risk_ui.FIELDS, values, ids), mine[0])
    assert find(results, "risk-volatility").children == f"{report.volatility * 100:.1f}%"
    assert find(results, "risk-max-drawdown").children == f"{report.max_drawdown * 100:.1f}%"
    var = text_of(find(results, "risk-var"))
    historical = next(r for r in report.var if r.method == "historical" and r.confidence == 0.99)
    assert f"{historical.var * 100:.2f}%" in var and "Cornish-Fisher" in var and "Monte Carlo" in var
    assert "2008-09 global financial crisis" in text_of(find(results, "risk-stress"))


def test_cb102_diversification_and_retirement_equal_the_engine(ctx):
    mine, _ = households()
    values, ids = form(div_ui.PAGE, div_ui.FIELDS)
    results = triggered("div-run.n_clicks", div_cb.run_diversification, 1, None, mine[0].id, values, ids)[2]
    report, _ = div_cb.diversification_report(clean_of(div_ui.FIELDS, values, ids), mine[0])
    assert find(results, "div-effective-bets").children == f"{report.effective_bets:.1f}"
    assert find(results, "div-heatmap").figure["data"][0]["x"] == list(report.tickers)
    values, ids = form(ret_ui.PAGE, ret_ui.FIELDS, paths=1000, strategy="guardrails", spending=30000)
    results = triggered("ret-run.n_clicks", ret_cb.run_retirement, 1, None, mine[0].id, values, ids)[2]
    (result, solution), _ = ret_cb.retirement_plan(clean_of(ret_ui.FIELDS, values, ids), mine[0])
    assert find(results, "ret-success").children == f"{result.success_rate * 100:.1f}%"
    assert find(results, "ret-solved-spending").children == money(solution.annual_spending)


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
    from dashboard.households import household_changed

    household_changed(household.id)
    with db.session() as session:
        household = session.get(Household, household.id)
    values, ids = form(tax_ui.PAGE, tax_ui.FIELDS)
    results = triggered("tax-run.n_clicks", tax_cb.run_tax, 1, None, household.id, values, ids)[2]
    report, _ = tax_cb.tax_report(clean_of(tax_ui.FIELDS, values, ids), household)
    assert {g.lot.account for g in report.lots} == {taxable.name}
    assert find(results, "tax-estimate").children == money(report.estimated_tax)
    flagged = [c for c in report.candidates if c.wash_sale]
    assert flagged and flagged[0].conflicting_purchases[0].date == dt.date(2018, 4, 1)
    assert "wash sale" in text_of(find(results, "tax-candidates"))


def test_cb104_save_to_thread_compare_reopen_delete(ctx):
    mine, theirs = households()
    household = mine[0]
    values, ids = form(mc_ui.PAGE, mc_ui.FIELDS, paths=1000, seed=9)
    scenario = triggered("mc-run.n_clicks", mc_cb.run_simulation, 1, None, household.id, values, ids)[-1]
    save = {"type": "thread-save", "page": "mc"}
    out = triggered(
        json.dumps(save, separators=(",", ":")) + ".n_clicks",
        threads_cb.save_to_thread,
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
    clean = clean_of(mc_ui.FIELDS, values, ids)
    expected = analytics.simulate(mc_cb.simulation_request(clean, household)[0])
    assert json.loads(item.summary)["probability_of_success"] == pytest.approx(
        expected.probability_of_success
    )
    # a second run into the same thread, then compare the two
    values2, _ = form(mc_ui.PAGE, mc_ui.FIELDS, paths=1000, seed=10)
    scenario2 = triggered("mc-run.n_clicks", mc_cb.run_simulation, 1, None, household.id, values2, ids)[-1]
    triggered(
        json.dumps(save, separators=(",", ":")) + ".n_clicks",
        threads_cb.save_to_thread,
        1,
        scenario2,
        thread.id,
        None,
        "",
        household.id,
    )
    listing = threads_cb.render_threads(household.id, 0)[0]
    assert "Review <script>alert(1)</script>" in text_of(listing)
    with db.session() as session:
        runs = session.scalars(select(ThreadItem.id).where(ThreadItem.thread_id == thread.id)).all()
    table = threads_cb.compare_runs(
        1, [True, True], [{"type": "threads-pick", "index": r} for r in runs], household.id
    )
    assert "probability_of_success" in text_of(table) and "seed" in text_of(table)
    # the saved link reproduces the run: same parameters -> same (cached) result
    assert "seed=9" in scenario and f"household={household.id}" in scenario
    # another household's thread is refused; a tampered page prefix is refused
    bad = triggered(
        json.dumps(save, separators=(",", ":")) + ".n_clicks",
        threads_cb.save_to_thread,
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
        threads_cb.save_to_thread,
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
        threads_cb.save_to_thread,
        1,
        "?paths=-5",
        thread.id,
        None,
        "",
        household.id,
    )
    assert "Paths" in text_of(tampered[0])
    # delete one run, then the thread
    triggered(
        json.dumps({"index": runs[0], "type": "threads-delete-run"}, separators=(",", ":")) + ".n_clicks",
        threads_cb.change_threads,
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
        threads_cb.change_threads,
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
    result = import_statement(household, account.id, "transactions", _upload(text), "statement.csv")
    assert result.ok and result.imported == 2
    with db.session() as session:
        after = session.scalar(
            select(func.count()).select_from(Transaction).where(Transaction.account_id == account.id)
        )
        stored = session.scalar(select(Transaction.description).where(Transaction.external_id == "imp-1"))
        assert session.get(Household, household.id).data_version == version + 1
    assert after == before + 2 and stored == "<img src=x onerror=alert(1)>"  # kept as text, shown as text
    again = import_statement(household, account.id, "transactions", _upload(text), "statement.csv")
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
        result = import_statement(household, account.id, "transactions", _upload(text), "bad.csv")
        messages = " ".join(f"{e.column} {e.message}" for e in result.errors)
        assert not result.ok and problem in messages, messages
    except InvalidInput as error:
        assert problem in str(error)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Transaction)) == before


def test_cb107_hostile_uploads_are_refused(ctx):
    mine, theirs = households()
    household, account = mine[0], _account(mine[0])
    with pytest.raises(InvalidInput, match="larger than"):
        import_statement(household, account.id, "transactions", _upload("a" * (6 * 1024 * 1024)), "big.csv")
    with pytest.raises(InvalidInput, match="UTF-8"):
        raw = "data:text/csv;base64," + base64.b64encode(b"date,description,amount\n\xff\xfe,x,1").decode()
        import_statement(household, account.id, "transactions", raw, "latin.csv")
    with pytest.raises(InvalidInput, match=".csv"):
        import_statement(household, account.id, "transactions", _upload("x"), "evil.exe")
    with pytest.raises(InvalidInput, match="base64"):
        import_statement(household, account.id, "transactions", "data:text/csv;base64,@@@", "x.csv")
    with pytest.raises(InvalidInput, match="not one of this household's accounts"):
        import_statement(
            household, _account(theirs).id, "transactions", _upload("date,description,amount\n"), "x.csv"
        )
    with pytest.raises(AccessDenied):
        from dashboard.access import authorize_household

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
    result = import_statement(household, account.id, "holdings", _upload(text), "lots.csv")
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
