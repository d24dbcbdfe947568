"""The engine facade: results equal to the engine's, caching, invalidation on change."""

import dataclasses
import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from dashboard.analytics.market import load_prices
from dashboard.analytics.optimisation import optimise
from dashboard.analytics.requests import OptimisationRequest, SimulationRequest
from dashboard.analytics.simulation import simulate
from dashboard.data.models import Household, Thread, ThreadItem
from dashboard.extensions import cache, db
from dashboard.services.access import current_user, end_session
from dashboard.services.households import household_changed
from dashboard.services.threads import household_threads, threads_changed
from tests.callbacks.test_pages import cache_counts

TICKERS = ["AAPL", "XOM", "JPM", "PFE", "WMT"]


@pytest.fixture
def ctx(app, signed_in):
    with signed_in(app):
        yield app


def test_fac001_optimise_equals_the_engine_and_is_cached(ctx):
    from engine.optimize import estimate, optimize
    from tests.reference import bundled_prices

    request = OptimisationRequest(tickers=tuple(TICKERS), start="2012-01-01", objective="min_volatility")
    first = optimise(request)
    direct = optimize(estimate(bundled_prices(TICKERS, "2012-01-01")), "min_volatility")
    np.testing.assert_allclose(list(first.weights.values()), list(direct.weights.values()), atol=1e-9)
    before = cache.counters.snapshot()["optimisation"]["hits"]
    assert optimise(request) == first
    assert cache.counters.snapshot()["optimisation"]["hits"] == before + 1


def test_fac001b_runs_of_one_universe_with_other_objectives_share_its_frontier(ctx, monkeypatch):
    """The frontier is drawn from the statistics, the rate and the constraints, not from the portfolio a
    run chose: minimum volatility, a volatility target and HRP runs of the same universe draw it once
    (and it is the engine's frontier of those statistics); another constraint, rate or Black-Litterman
    (drawn on the posterior) draw their own."""
    import dataclasses as dc

    from dashboard.analytics import optimisation as facade
    from engine.frontier import efficient_frontier

    drawn = []
    monkeypatch.setattr(
        facade,
        "efficient_frontier",
        lambda stats, *a, **k: drawn.append(1) or efficient_frontier(stats, *a, **k),
    )
    base = OptimisationRequest(tickers=tuple(TICKERS), start="2012-01-01")
    shared = [
        base,
        dc.replace(base, objective="min_volatility"),
        dc.replace(base, objective="efficient_risk", target_volatility=0.2),
        dc.replace(base, objective="hrp", risk_aversion=2.0),
    ]
    first = facade.frontier(base)
    direct = efficient_frontier(facade.statistics(base), 50, risk_free_rate=0.0, bounds=(0.0, 1.0))
    np.testing.assert_array_equal(first.returns, direct.returns)
    np.testing.assert_array_equal(first.volatilities, direct.volatilities)
    for request in shared[1:]:
        again = facade.frontier(request)
        np.testing.assert_array_equal(again.returns, first.returns)
    assert len(drawn) == 1
    views = ((TICKERS[0], 0.12, 0.5, None),)
    for request in (
        dc.replace(base, max_weight=0.3),
        dc.replace(base, risk_free_rate=0.02),
        dc.replace(base, objective="black_litterman", views=views),
    ):
        facade.frontier(request)
    assert len(drawn) == 4


def test_fac001c_latest_closes_are_the_windows_last_and_kept_on_their_own(ctx, monkeypatch):
    """What an allocation is priced at: each asset's last close in the window (carried forward over a
    day it did not trade), read once; another window reads its own."""
    from dashboard.analytics import optimisation as facade

    request = OptimisationRequest(tickers=("AAPL", "XOM", "SPY"), start="2012-01-01", end="2015-06-30")
    prices = load_prices(request.tickers, request.start, request.end)
    expected = {t: float(prices[t].dropna().iloc[-1]) for t in request.tickers}
    read = []
    monkeypatch.setattr(facade, "load_prices", lambda *a, **k: read.append(a) or load_prices(*a, **k))
    assert facade.latest_closes(request) == expected
    assert facade.latest_closes(request) == expected and len(read) == 1
    earlier = OptimisationRequest(tickers=request.tickers, start="2012-01-01", end="2013-06-28")
    assert facade.latest_closes(earlier)["AAPL"] == float(
        load_prices(["AAPL"], "2012-01-01", "2013-06-28")["AAPL"].iloc[-1]
    )
    assert len(read) == 2


def test_fac002_prices_come_from_the_database_not_a_repr(ctx):
    prices = load_prices(["AAPL", "SPY"], "2015-01-01", "2015-12-31")
    assert list(prices.columns) == ["AAPL", "SPY"] and len(prices) == 252
    assert prices.index[0].isoformat().startswith("2015-01-02")


def test_fac002b_risk_runs_of_the_same_holdings_replay_the_stress_windows_once(ctx, monkeypatch):
    """The stress windows depend on neither the seed, the window nor the rate: runs of the same holdings
    with other seeds (most scenarios asked) reuse them, and each report equals the engine's whole report
    computed directly; other holdings replay their own."""
    import engine.risk
    from dashboard.analytics import risk as risk_facade
    from dashboard.analytics.requests import HoldingsWindow, RiskRequest

    replayed = []
    stress_tests = engine.risk.stress_tests
    monkeypatch.setattr(
        risk_facade, "stress_tests", lambda *args: replayed.append(args[1]) or stress_tests(*args)
    )
    window = HoldingsWindow(("AAPL", "XOM", "JPM"), (0.5, 0.3, 0.2), "2014-01-02")
    spy = load_prices(["SPY"])["SPY"]
    for seed, rate in ((1, 0.0), (2, 0.0), (3, 0.02)):
        report = risk_facade.risk(RiskRequest(window, rate, 2000, seed))
        direct = engine.risk.risk_report(  # the whole report at once, from the same prices
            load_prices(list(window.tickers), "2014-01-02"),
            list(window.weights),
            spy,
            rate,
            2000,
            seed,
            stress_prices=load_prices(list(window.tickers)),
        )
        for name in (
            f.name for f in dataclasses.fields(direct)
        ):  # every figure, the arrays element by element
            np.testing.assert_equal(getattr(report, name), getattr(direct, name), err_msg=name)
    assert len(replayed) == 1 and report.stress[0].start < dt.date(2014, 1, 2)  # from the whole history
    other = HoldingsWindow(("AAPL", "XOM", "JPM"), (0.2, 0.3, 0.5), "2014-01-02")
    assert risk_facade.risk(RiskRequest(other, 0.0, 2000, 1)).stress != report.stress
    assert len(replayed) == 2


def test_fac002c_a_window_of_prices_is_cut_from_the_history_read_once(ctx, monkeypatch):
    """Each window of some tickers' prices is cut from their whole history, read from the database once:
    the very frame a read of that window from the database gives (its dates, columns, values), for open
    and closed windows, bounds on days without trading, and windows some tickers do not reach."""
    import pandas as pd

    from dashboard.analytics import market
    from dashboard.errors import InvalidInput
    from dashboard.services import prices

    tickers = ["AAPL", "SPY", "GOOG"]
    reads = []
    monkeypatch.setattr(market, "read_prices", lambda *a: reads.append(a) or prices.read_prices(*a))
    windows = [
        (None, None),
        ("2015-01-01", None),  # a holiday
        (None, "2016-06-30"),
        ("2012-01-07", "2012-03-04"),  # a weekend at each end
        ("2015-01-02", "2015-01-02"),
        ("2001-01-02", "2003-12-31"),  # before GOOG's history: refused
    ]
    refusals = 0
    for start, end in windows:
        direct = prices.read_prices(tickers, start, end)  # the window as the database reads it
        try:
            frame = market.load_prices(tickers, start, end)
        except InvalidInput as refused:
            assert direct.get("GOOG") is None or direct["GOOG"].isna().all(), (start, end)
            assert "No prices for GOOG" in str(refused)
            refusals += 1
            continue
        last = min(direct[t].last_valid_index() for t in tickers)
        pd.testing.assert_frame_equal(frame, direct.loc[:last], check_freq=False)
    assert refusals == 1 and reads == [(tickers, None, None)]  # the history, read once


def test_fac005_simulate_through_the_facade(ctx):
    request = SimulationRequest(
        model="parametric",
        tickers=("AAPL", "XOM"),
        weights=(0.5, 0.5),
        start="2010-01-01",
        months=120,
        paths=2000,
        seed=4,
        target=1.5e6,
    )
    result = simulate(request)
    assert result.paths == 2000 and 0 <= result.probability_of_success <= 1
    again = simulate(request)
    np.testing.assert_array_equal(again.ending_wealth_real, result.ending_wealth_real)
    assert again.probability_of_success == result.probability_of_success


def test_fac006_a_household_change_drops_what_read_its_data_and_keeps_content_addressed_results(ctx):
    from dashboard.services.access import authorize_household
    from dashboard.services.households import portfolio, snapshot

    with db.session() as session:
        household = session.scalars(select(Household).order_by(Household.id)).first()
    calls = []
    compute = lambda: calls.append(1) or "value"  # noqa: E731
    for operation in ("rendered", "risk"):
        cache.get_or_compute(operation, {"h": household.id}, compute, household=household.id)
        cache.get_or_compute(operation, {"h": household.id}, compute, household=household.id)
    assert len(calls) == 2
    ref = authorize_household(household.id)
    before = snapshot(ref)
    household_changed(household.id)
    cache.get_or_compute("rendered", {"h": household.id}, compute, household=household.id)
    cache.get_or_compute("risk", {"h": household.id}, compute, household=household.id)
    assert len(calls) == 3  # the rendered panel again; the risk result (addressed by its inputs) kept
    with db.session() as session:
        assert session.get(Household, household.id).data_version == household.data_version + 1
    fresh = authorize_household(household.id)  # not the cached reference: the new version
    assert fresh.data_version == ref.data_version + 1
    assert snapshot(fresh) == before and portfolio(fresh).tickers  # re-read under the new version


def test_fac006a_a_change_bumps_its_households_version_alone(ctx):
    """A data change bumps the household's data version, a goal change its goals version, by one each
    time; no other household's versions move."""

    def versions():
        with db.session() as session:
            return {h.id: (h.data_version, h.goals_version) for h in session.scalars(select(Household))}

    before = versions()
    one, other = sorted(before)[:2]
    household_changed(one)
    household_changed(one, goals_only=True)
    household_changed(one, goals_only=True)
    after = versions()
    assert after[one] == (before[one][0] + 1, before[one][1] + 2)
    assert {h: v for h, v in after.items() if h != one} == {h: v for h, v in before.items() if h != one}
    assert after[other] == before[other]


def test_fac006b_a_goal_change_re_keys_what_reads_goals_and_keeps_the_portfolio_panels(ctx):
    from callbacks.rendered import remember
    from dashboard.services.access import authorize_household
    from dashboard.services.goals import save_goal
    from dashboard.services.households import portfolio, snapshot

    with db.session() as session:
        household = session.scalars(select(Household).order_by(Household.id)).first()
    ref = authorize_household(household.id)
    goals_before = snapshot(ref).goals
    builds = []
    risk_panel = {"household": ref.id, "version": ref.data_version}  # the key the Risk page uses
    remember("risk", risk_panel, ref.id, lambda: builds.append("risk") or {"panel": 1})
    values = {
        "name": "Sabbatical",
        "priority": "important",
        "target_amount": 40_000.0,
        "target_date": dt.date(2031, 1, 1),
        "current_amount": 0.0,
        "monthly_contribution": 250.0,
    }
    held = portfolio(ref)
    save_goal(ref, None, values)
    fresh = authorize_household(household.id)  # who-may-see-it was dropped: the new versions
    assert (fresh.data_version, fresh.goals_version) == (ref.data_version, ref.goals_version + 1)
    before = cache_counts("snapshot")
    # a run on the portfolio reads no goals: the goal saved costs it nothing
    assert portfolio(fresh) == held and cache_counts("snapshot") == {**before, "hits": before["hits"] + 1}
    names = [g.name for g in snapshot(fresh).goals]  # never the old snapshot
    assert len(names) == len(goals_before) + 1 and "Sabbatical" in names
    # the goals read anew; the accounts and positions (keyed by the portfolio's version) not
    assert cache_counts("snapshot").get("computes", 0) == before.get("computes", 0) + 1
    remember("risk", risk_panel, ref.id, lambda: builds.append("risk") or {"panel": 2})
    assert builds == ["risk"]  # the portfolio panel is still valid and still served


def test_fac006c_the_households_table_is_cached_and_follows_a_change(ctx):
    from dashboard.data.models import Account, Holding
    from dashboard.services.access import visible_households
    from dashboard.services.households import household_rows

    before = household_rows(visible_households())
    hits = cache.counters.snapshot()["snapshot"]["hits"]
    assert household_rows(visible_households()) == before
    assert cache.counters.snapshot()["snapshot"]["hits"] == hits + 1
    target = before[0]
    with db.session() as session:
        holding = session.scalars(
            select(Holding).join(Account).where(Account.household_id == target["id"]).order_by(Holding.id)
        ).first()
        holding.quantity = holding.quantity + 100
    household_changed(target["id"])
    after = {row["id"]: row for row in household_rows(visible_households())}
    assert after[target["id"]]["net_worth"] > target["net_worth"]  # never the old row
    assert [r for r in before if r["id"] != target["id"]] == [
        after[r["id"]] for r in before if r["id"] != target["id"]
    ]


def _statements(app) -> list[str]:
    """Each SQL statement the app's database runs from now on (until the test ends)."""
    from sqlalchemy import event

    engine, seen = db.engine, []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_fac006d_the_households_a_user_sees_are_kept_and_follow_a_change(ctx, signed_in):
    """Which households a user sees is kept per user; each one's versions are its authorisation entry's,
    dropped when its data change, so a change is seen at once; sign-out forgets the list."""
    from dashboard.services.access import HouseholdRef, visible_households

    def from_the_database(email: str) -> list[HouseholdRef]:
        with db.session() as session:
            query = select(Household).order_by(Household.name, Household.id)
            if email != "admin@meridian.example":
                query = query.join(Household.analyst).where(Household.analyst.has(email=email))
            rows = session.scalars(query).all()
            return [
                HouseholdRef(h.id, h.name, h.risk_profile, h.analyst_id, h.data_version, h.goals_version)
                for h in rows
            ]

    mine = visible_households()
    assert mine == from_the_database("analyst@meridian.example") and len(mine) > 1
    statements = _statements(ctx)
    assert visible_households() == mine and statements == []  # kept: no query
    household_changed(mine[1].id)
    goals_only = mine[0].id
    household_changed(goals_only, goals_only=True)
    statements.clear()
    after = visible_households()
    assert len(statements) == 1  # the two households changed, read again in one query
    assert after == from_the_database("analyst@meridian.example")
    assert after[1].data_version == mine[1].data_version + 1
    assert after[0].goals_version == mine[0].goals_version + 1
    with signed_in(ctx, "admin@meridian.example"):  # another user, another list: every household
        everyone = visible_households()
        assert everyone == from_the_database("admin@meridian.example") and len(everyone) > len(mine)
    end_session(current_user())  # signed out: the list is read again
    statements.clear()
    again = visible_households()
    assert len(statements) == 2 and again == after  # the list, then the households


def test_fac007_session_and_thread_lookups_go_through_the_cache(ctx, signed_in):
    def in_a_request():
        with signed_in(ctx):  # a new request of the signed-in analyst
            return current_user()

    user = in_a_request()
    counts = cache.counters.snapshot()["session"]
    assert in_a_request() == user
    assert cache.counters.snapshot()["session"]["hits"] == counts["hits"] + 1
    end_session(user)  # logout
    in_a_request()
    assert cache.counters.snapshot()["session"]["misses"] == counts["misses"] + 1

    with db.session() as session:
        thread = session.scalars(select(Thread).order_by(Thread.id)).first()
    before = household_threads(thread.household_id)
    with db.session() as session:
        session.add(
            ThreadItem(
                thread_id=thread.id,
                created_by=thread.created_by,
                page="risk",
                params="{}",
                summary="{}",
                note="",
            )
        )
    assert household_threads(thread.household_id) == before  # still the cached view
    threads_changed(thread.household_id)
    after = {t.id: t.runs for t in household_threads(thread.household_id)}
    assert after[thread.id] == {t.id: t.runs for t in before}[thread.id] + 1
