"""The engine facade: results equal to the engine's, caching, invalidation on change."""

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

TICKERS = ["AAPL", "XOM", "JPM", "PFE", "WMT"]


@pytest.fixture
def ctx(app):
    with app.server.app_context():
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


def test_fac002_prices_come_from_the_database_not_a_repr(ctx):
    prices = load_prices(["AAPL", "SPY"], "2015-01-01", "2015-12-31")
    assert list(prices.columns) == ["AAPL", "SPY"] and len(prices) == 252
    assert prices.index[0].isoformat().startswith("2015-01-02")


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


def test_fac006_a_household_change_invalidates_its_entries(ctx):
    with db.session() as session:
        household = session.scalars(select(Household).order_by(Household.id)).first()
    calls = []
    compute = lambda: calls.append(1) or "value"  # noqa: E731
    cache.get_or_compute("risk", {"h": household.id}, compute, household=household.id)
    cache.get_or_compute("risk", {"h": household.id}, compute, household=household.id)
    assert len(calls) == 1
    household_changed(household.id)
    cache.get_or_compute("risk", {"h": household.id}, compute, household=household.id)
    assert len(calls) == 2
    with db.session() as session:
        assert session.get(Household, household.id).data_version == household.data_version + 1


def test_fac007_session_and_thread_lookups_go_through_the_cache(ctx):
    def in_a_request():
        with (
            ctx.server.app_context(),
            ctx.server.test_request_context(),
        ):  # a fresh flask.g, like a new request
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
