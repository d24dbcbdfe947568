"""The Backtest page's callbacks called directly: figures equal the engine's on the household's holdings,
a saved optimisation's weights, bad input beside its field, CSV of what is on screen."""

from __future__ import annotations

import pandas as pd
import pytest

import callbacks
from callbacks import backtest as bt_cb
from dashboard.data.securities import SECURITIES
from dashboard.forms.backtest import FORM
from tests import reference
from tests.callbacks.test_pages import csv_table, find, form, held, households, shown, text_of, triggered

RUN = "bt-run.n_clicks"


@pytest.fixture
def ctx(app, signed_in):
    with signed_in(app):
        yield app


def run(household_id, **changes):
    values, field_ids = form(FORM, **changes)
    return triggered(RUN, callbacks.RUNS["backtest"], 1, None, household_id, values, field_ids)


def messages(out) -> dict:
    names = [f.name for f in FORM.fields]
    return {n: m for n, m in zip(names, out[1], strict=True) if m}


def cells(results) -> dict[str, list[str]]:
    """The statistics table: {statistic key: [cell per column]}."""
    table = find(results, "bt-statistics")
    body = table.children[1] if not isinstance(table.children[1], dict) else table.children[1]
    rows = body["props"]["children"] if isinstance(body, dict) else body.children
    out = {}
    for row in rows:
        tds = row["props"]["children"] if isinstance(row, dict) else row.children
        keyed = [c for c in tds if (c["props"] if isinstance(c, dict) else c.__dict__).get("data-key")]
        if keyed:
            first = keyed[0]["props"] if isinstance(keyed[0], dict) else keyed[0].__dict__
            out[first["data-key"]] = [text_of(c) for c in keyed]
    return out


def prices(tickers):
    frame = pd.read_csv("data/market/stock_prices.csv", parse_dates=["date"], index_col="date")
    spy = pd.read_csv("data/market/spy_prices.csv", parse_dates=["date"], index_col="date")
    return frame.join(spy, how="left")[list(tickers)].loc[:"2018-04-11"]


def test_btp001_current_holdings_against_spy_equal_the_engine_on_the_households_weights(ctx):
    from engine.backtest import Allocation, Settings, backtest

    mine, _ = households()
    household = mine[0]
    out = run(household.id)
    assert out[3] is None, text_of(out[3])
    results = out[2]
    holdings = held(household.id)
    weights = dict(zip(holdings.tickers, holdings.weights, strict=True))
    expected = backtest(
        prices(dict.fromkeys([*weights, "SPY"])),
        [Allocation.of("Current holdings", weights)],
        Allocation("SPY", {"SPY": 1.0}),
        Settings(rebalance="annual", risk_free_rate=0.02, rolling=(36,)),
    )
    table = cells(results)
    mine_stats = expected.portfolios[0].statistics
    assert table["final_value"][0] == reference.money(mine_stats["final_value"])
    assert table["cagr"][0] == f"{mine_stats['cagr'] * 100:.2f}%"
    assert table["max_drawdown"] == [
        f"{expected.portfolios[0].statistics['max_drawdown'] * 100:.2f}%",
        f"{expected.benchmark.statistics['max_drawdown'] * 100:.2f}%",
    ]
    assert table["beta"][0] == f"{expected.portfolios[0].relative['beta']:.2f}" and table["beta"][1] == "—"
    window = text_of(find(results, "bt-window"))
    assert f"{expected.window.first.strftime('%B %Y')} to {expected.window.last.strftime('%B %Y')}" in window
    assert out[4] == shown(FORM, household.id) and out[5] == out[4]


def test_btp002_a_saved_optimisation_is_backtested_with_its_full_weights(ctx):
    mine, _ = households()
    household = mine[1]
    opt = callbacks.ANALYSIS_PAGES[0]
    assert opt.name == "Optimisation"
    from tests.callbacks.test_pages import shown as query_of

    scenario = query_of(opt.form, household.id)
    saved = triggered(
        '{"page":"opt","type":"thread-save"}.n_clicks',
        callbacks.THREADS.save_to_thread,
        1,
        scenario,
        None,
        "Backtest the optimum",
        "",
        household.id,
    )
    assert "Saved" in text_of(saved[0]), text_of(saved[0])
    options = bt_cb.saved_options(household.id, "")
    run_id = next(o["value"] for o in options if "Backtest the optimum" in o["label"])
    out = run(household.id, saved=run_id, current="no", start="2015-01-01")
    assert out[3] is None, text_of(out[3])
    _, clean, optimised = opt.on_screen(scenario, "test")
    stats = cells(out[2])
    assert len(stats["final_value"]) == 2  # the optimised portfolio and SPY
    assert f"Optimised (run #{run_id})" in text_of(out[2])
    expected = {t: w for t, w in optimised.optimal.weights.items() if w > 1e-9}
    scenario_out = callbacks.backtest.PAGE.on_screen(out[5], "test")[2][0]
    assert scenario_out.portfolios[0].weights == pytest.approx(
        {t: w / sum(expected.values()) for t, w in expected.items()}
    )
    # another household's run is not offered there and is refused by the run
    other = run(mine[0].id, saved=run_id, current="no")
    assert "not saved in this household" in messages(other)["saved"]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"custom": "AAPL 50, XOM 45"}, "custom", "5.00 points short of 100 %"),
        ({"custom": "AAPL 50, NOPE 50"}, "custom", "NOPE is not in the catalogue"),
        ({"start": "2016-01-01", "end": "2015-01-01"}, "end", "must not be before"),
        ({"start": "2016-01-01", "end": "2017-06-30", "rolling": "60"}, "rolling", "60-month rolling window"),
        (
            {"current": "no", "custom": "FB 50, AAPL 50", "start": "2006-01-01"},
            "start",
            "FB has prices only from May 2012",
        ),
        ({"rebalance": "bands", "band": 0}, "band", "more than 0"),
        ({"end": "2018-04-30"}, "end", "last whole month is March 2018"),
        ({"current": "no"}, "current", "at least one portfolio"),
        ({"benchmark": "SPY 60, XOM 30"}, "benchmark", "10.00 points short"),
    ],
)
def test_btp003_bad_input_gets_a_message_beside_its_field_and_nothing_runs(ctx, changes, field, words):
    mine, _ = households()
    out = run(mine[0].id, **changes)
    assert words in messages(out).get(field, ""), messages(out)
    assert out[5] is None  # nothing on screen to save or download


def test_btp004_the_csv_is_the_run_on_screen_not_the_form_edited_since(ctx):
    mine, _ = households()
    out = run(mine[0].id, custom="AAPL 60, XOM 40", rebalance="monthly")
    scenario = out[5]
    payload = triggered("bt-download-button.n_clicks", callbacks.DOWNLOADS["backtest"], 1, scenario)[0]
    rows = csv_table(payload["content"])
    assert rows[0] == ["section", "portfolio", "name", "value"]
    custom = {r[2]: float(r[3]) for r in rows if r[0] == "statistic" and r[1] == "Custom"}
    shown_value = cells(out[2])["final_value"][1]
    assert reference.money(custom["final_value"]) == shown_value
    assert {"Current holdings", "Custom", "SPY"} <= {r[1] for r in rows[1:]}
    assert set(SECURITIES) >= {"AAPL", "XOM"}


def test_btp005_a_change_to_the_households_holdings_changes_the_backtest(ctx):
    from sqlalchemy import select

    from dashboard.data.models import Account, Holding
    from dashboard.extensions import db
    from dashboard.services.households import household_changed

    mine, _ = households()
    household = mine[-1]
    before = run(household.id)
    assert before[3] is None
    with db.session() as session:
        holding = session.scalars(
            select(Holding).join(Account).where(Account.household_id == household.id).order_by(Holding.id)
        ).first()
        holding.quantity = float(holding.quantity) * 3
    household_changed(household.id)
    after = run(household.id)
    assert after[3] is None
    assert cells(after[2])["final_value"][0] != cells(before[2])["final_value"][0]
    held_now = held(household.id)
    shown_now = callbacks.backtest.PAGE.on_screen(after[5], "test")[2][0].portfolios[0].weights
    assert shown_now == pytest.approx(dict(zip(held_now.tickers, held_now.weights, strict=True)), rel=1e-9)


def test_btp006_leaving_out_late_assets_is_said_and_the_thread_summary_is_the_screens(ctx):
    mine, _ = households()
    out = run(mine[0].id, start="2006-01-01", late_assets="leave_out")
    assert out[3] is None, text_of(out[3])
    text = text_of(out[2])
    assert "Current holdings: left out" in text and "scaled from" in text
    result = callbacks.backtest.PAGE.on_screen(out[5], "test")[2][0]
    assert str(result.window.first) == "2006-01"
    seed, summary = callbacks.backtest.PAGE.summarise((result, "", 36), {})
    assert seed is None and summary["window"] == "2006-01 to 2018-03"
    assert summary["annual_return"] == pytest.approx(
        result.portfolios[0].statistics["annualised_return"], abs=1e-6
    )
