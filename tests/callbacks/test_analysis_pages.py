"""Risk, Diversification, Retirement and Tax called directly: the figures equal the engine's, the
simulations say which history they used, refused settings say why, charts keep their extremes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import delete, select

import callbacks
from callbacks import monte_carlo as mc_cb
from dashboard.data.models import (
    Account,
    Holding,
    Security,
    TaxLot,
    Transaction,
)
from dashboard.errors import InvalidInput
from dashboard.extensions import db
from dashboard.forms import diversification as div_form
from dashboard.forms import retirement as ret_form
from dashboard.forms import risk as risk_form
from dashboard.forms import tax as tax_form
from dashboard.forms.fields import FormErrors
from dashboard.forms.monte_carlo import FORM as MC_FORM
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


def test_cb109_form_errors_are_user_facing():
    assert isinstance(FormErrors({"a": "b"}), InvalidInput)


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
