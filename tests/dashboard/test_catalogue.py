"""Imported prices are usable (issue 25.6): a ticker a price import added is a choice on Optimisation,
can be held (a statement import) and so analysed on Risk and the Overview, and is a ticker the Backtest
accepts; where a model needs what an import cannot carry (Black-Litterman's capitalisation) the page
says so instead of failing."""

from __future__ import annotations

import numpy as np
import pytest

from callbacks import optimisation as opt_cb
from callbacks.risk import PAGE as RISK_PAGE
from components.forms import form_fields
from dashboard.forms import backtest as backtest_form
from dashboard.forms.optimisation import FORM as OPT_FORM
from dashboard.services import catalogue, prices
from dashboard.services.households import snapshot
from dashboard.services.imports import import_statement
from tests.callbacks.test_pages import find, form, households, text_of, triggered

TICKER = "NEWCO"


@pytest.fixture
def ctx(app, signed_in):
    with signed_in(app):  # the demo analyst, as the callbacks see her
        yield app


def _import_newco() -> None:
    """Five years of a made-up security's closes on the bundled trading days (a seeded random walk)."""
    days = prices.read_prices(["AAPL"], "2013-01-02", "2018-04-11").index
    steps = np.random.default_rng(7).normal(0.0004, 0.015, len(days))
    closes = 40 * np.exp(np.cumsum(steps))
    text = "date,ticker,close\n" + "".join(
        f"{d:%Y-%m-%d},{TICKER},{c:.4f}\n" for d, c in zip(days, closes, strict=True)
    )
    report = prices.import_prices(prices.parse_price_file(text), "newco.csv", "test")
    assert report.new_securities == (TICKER,)


def _options(component, found=None) -> list:
    """Every option value of every control in a component tree."""
    found = [] if found is None else found
    if isinstance(component, list):
        for child in component:
            _options(child, found)
        return found
    options = getattr(component, "options", None)
    if isinstance(options, list):
        found += [o["value"] if isinstance(o, dict) else o for o in options]
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and hasattr(child, "to_plotly_json"):
            _options(child, found)
    return found


def test_cat001_an_imported_ticker_is_a_choice_and_runs_on_optimisation(ctx):
    mine, _ = households()
    assert TICKER not in OPT_FORM.by_name["tickers"].allowed()
    _import_newco()
    assert TICKER in OPT_FORM.by_name["tickers"].allowed()  # within the market version: no restart
    assert TICKER in _options(form_fields(OPT_FORM, {}))  # what the page draws
    assert catalogue.sector_of(TICKER) == catalogue.UNCLASSIFIED

    values, ids = form(
        OPT_FORM, universe="custom", tickers=["AAPL", "XOM", TICKER], returns_model="mean_historical"
    )
    out = triggered("opt-run.n_clicks", opt_cb.run_optimisation, 1, None, mine[0].id, values, ids)
    alert, tables = out[3], out[7]
    assert alert is None, text_of(alert)
    assert TICKER in text_of(find(tables, "opt-weights"))
    assert catalogue.UNCLASSIFIED in text_of(find(tables, "opt-weights"))

    # Black-Litterman's prior needs a capitalisation an import does not carry: said, not a failure
    values, ids = form(
        OPT_FORM,
        universe="custom",
        tickers=["AAPL", TICKER],
        returns_model="mean_historical",
        objective="black_litterman",
    )
    out = triggered("opt-run.n_clicks", opt_cb.run_optimisation, 1, None, mine[0].id, values, ids)
    assert f"{TICKER} has none (imported prices carry no shares outstanding)" in text_of(out[3])


def test_cat002_an_imported_ticker_can_be_held_and_analysed(ctx):
    mine, _ = households()
    household = mine[0]
    account = snapshot(household).accounts[0]
    statement = f"ticker,quantity,cost_per_share,acquired_on\n{TICKER},100,35.5,2016-03-01\n"
    refused = import_statement(household, account.id, "holdings", statement, "holdings.csv")
    assert not refused.ok and f"'{TICKER}' is not a known security" in refused.errors[0].message

    _import_newco()
    result = import_statement(household, account.id, "holdings", statement, "holdings.csv")
    assert result.ok and result.imported == 1
    held = {p.ticker: p for p in snapshot(household).positions}
    assert held[TICKER].sector == catalogue.UNCLASSIFIED and held[TICKER].quantity == 100

    clean = RISK_PAGE.form.defaults()
    report, described = RISK_PAGE.result(clean, household)
    assert f"{len(held)} holdings" in described and report.volatility > 0

    # the Backtest takes it in custom weights and as a benchmark
    assert backtest_form.parse_weights(f"{TICKER} 60, AAPL 40", "custom", "Custom weights") == {
        TICKER: 0.6,
        "AAPL": 0.4,
    }
    with pytest.raises(backtest_form.FormErrors, match="NOPE is not in the catalogue"):
        backtest_form.parse_weights("NOPE 100", "custom", "Custom weights")
