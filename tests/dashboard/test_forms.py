"""The one validation boundary: forms turn raw values (browser, URL, tampered requests) into typed requests."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.analytics.requests import OptimisationRequest, SimulationRequest
from dashboard.errors import InvalidInput
from dashboard.forms import monte_carlo, optimisation, retirement
from dashboard.forms.fields import FormErrors
from dashboard.services.assumptions import AssumptionsRef
from dashboard.services.households import Portfolio

HELD = Portfolio(("AAPL", "XOM", "JPM"), (0.5, 0.3, 0.2), (500.0, 300.0, 200.0), 1000.0, 50.0, None)
NOTHING = Portfolio((), (), (), 0.0, 50.0, None)
# a set of the firm's assumptions as the forms see it (the services' AssumptionsRef)
SET = AssumptionsRef(
    7, "House view", dt.date(2018, 4, 11), 0.031, 0.02, "test", "test", dt.datetime(2018, 4, 11), None
)


def scenario(assumptions=SET, **raw):
    return optimisation.scenario(optimisation.FORM.clean(raw), HELD, "The Smiths", assumptions)


@pytest.mark.parametrize(
    "raw,field,message",
    [
        ({"universe": "custom", "tickers": []}, "tickers", "at least two"),
        (
            {"universe": "custom", "tickers": ["AAPL", "<script>"]},
            "tickers",
            "Not a choice for chosen assets: <script>",
        ),
        ({"universe": "custom", "tickers": ["AAPL"] * 50}, "tickers", "choose at most 40 (50 chosen)"),
        ({"objective": "moon"}, "objective", "objective"),
        ({"risk_free_rate": "abc"}, "risk_free_rate", "must be a number"),
        ({"risk_free_rate": float("nan")}, "risk_free_rate", "must be a number"),
        ({"start": "2018-01-01", "end": "2017-01-01"}, "end", "after History from"),
        ({"start": "yesterday"}, "start", "date"),
        ({"sector_limits": "Crypto<=20"}, "sector_limits", "Unknown sector"),
        ({"views": "GE 10 50"}, "views", "not among the chosen assets"),
        ({"views": "AAPL 900 50"}, "views", "between -100 % and 200 %"),
        ({"min_weight": 50, "max_weight": 10}, "max_weight", "at least the min weight"),
    ],
)
def test_form001_bad_optimisation_forms_name_the_field(raw, field, message):
    with pytest.raises(FormErrors) as caught:
        scenario(**raw)
    assert message in caught.value.errors[field]
    assert isinstance(caught.value, InvalidInput)  # shown as the analyst's message, never a server fault


def test_form002_a_good_optimisation_form_is_the_typed_request():
    made = scenario(objective="min_volatility", views="AAPL 12 60; AAPL>XOM 3", sector_limits="Energy<=20")
    request = made.request
    # the firm's assumptions by default, the set named in the request (its cache key)
    assert request.returns_model == "firm" and request.assumptions == SET.id and made.assumptions == SET.id
    historical = scenario(returns_model="mean_historical").request
    assert historical.assumptions is None  # a historical estimate does not depend on the set
    with pytest.raises(FormErrors) as caught:
        scenario(assumptions=None)
    assert "No firm assumptions are in force" in caught.value.errors["returns_model"]
    assert scenario(assumptions=None, returns_model="capm").assumptions is None
    assert isinstance(request, OptimisationRequest) and request.tickers == HELD.tickers
    assert request.views == (("AAPL", 0.12, 0.6, None), ("AAPL", 0.03, 0.5, "XOM"))
    assert request.sector_upper == (("Energy", 0.2),)  # only sectors in the universe
    assert request.risk_free_rate == pytest.approx(0.02) and made.points == 40
    assert made.current == dict(zip(HELD.tickers, HELD.weights, strict=True))
    from dashboard.cache import make_key

    assert make_key("optimisation", request.key())  # primitives only: a valid cache key


@pytest.mark.parametrize(
    "raw,field,message",
    [
        ({"model": "quantum"}, "model", "Choose one of the options for model."),
        ({"paths": 10**8}, "paths", "between 100 and"),
        ({"paths": True}, "paths", "must be a whole number"),
        ({"years": 0}, "years", "between 1 and 100"),
        ({"seed": -3}, "seed", "between 0 and"),
    ],
)
def test_form003_bad_simulation_forms_name_the_field(raw, field, message):
    with pytest.raises(FormErrors) as caught:
        monte_carlo.FORM.clean(raw)
    assert message in caught.value.errors[field]


def test_form004_one_way_to_a_simulation_request():
    request = monte_carlo.request(monte_carlo.FORM.clean({"years": 10, "seed": 5}), HELD, "The Smiths", SET)
    assert isinstance(request, SimulationRequest)
    # the default: the holdings under the firm's set, its inflation; no history window
    assert request.model == "firm" and request.assumptions == SET.id and request.start is None
    assert request.tickers == HELD.tickers and sum(request.weights) == 1.0
    assert request.initial == 1000.0 and request.months == 120 and request.inflation == pytest.approx(0.031)
    historical = monte_carlo.request(
        monte_carlo.FORM.clean({"model": "parametric", "inflation": 2.5}), HELD, "The Smiths", None
    )
    assert historical.start == "2008-04-11" and historical.assumptions is None
    assert historical.inflation == pytest.approx(0.025)
    with pytest.raises(FormErrors) as caught:  # inflation left to a set when there is none
        monte_carlo.request(monte_carlo.FORM.clean({"model": "parametric"}), HELD, "The Smiths", None)
    assert "Enter inflation" in caught.value.errors["inflation"]
    gbm = monte_carlo.request(monte_carlo.FORM.clean({"model": "gbm"}), NOTHING, "The Smiths", SET)
    assert gbm.tickers == () and gbm.mu == pytest.approx(0.07)
    with pytest.raises(FormErrors, match="holds no securities"):
        monte_carlo.request(monte_carlo.FORM.clean({}), NOTHING, "The Smiths", SET)
    plan = retirement.request(retirement.FORM.clean({}), HELD, "The Smiths", SET)
    assert plan.model.tickers == HELD.tickers and plan.plan["savings"] == 1050.0
    assert plan.model.assumptions == SET.id and plan.plan["inflation"] == pytest.approx(0.031)
    with pytest.raises(FormErrors) as caught:
        retirement.request(retirement.FORM.clean({"current_age": 70, "retirement_age": 65}), HELD, "x", SET)
    assert "retirement_age" in caught.value.errors


def test_form004b_fields_of_another_model_are_neither_shown_nor_read():
    """Issue 28.4: the GBM's inputs belong to the GBM; with another model a bad value there stops nothing
    and is not part of the run (the page hides them)."""
    clean = monte_carlo.FORM.clean({"model": "firm", "mu": "not a number", "block": 0})
    assert clean["mu"] == pytest.approx(0.07) and clean["block"] == 12  # the defaults, not the junk
    with pytest.raises(FormErrors) as caught:
        monte_carlo.FORM.clean({"model": "gbm", "mu": "not a number"})
    assert "mu" in caught.value.errors
    from components.forms import form_fields

    boxes = {c.id["index"]: c for c in form_fields(monte_carlo.FORM, {"model": "firm"})}
    assert "d-none" in boxes["mu"].className and "d-none" in boxes["start"].className
    assert "d-none" not in boxes["distribution"].className and "d-none" not in boxes["paths"].className
    boxes = {c.id["index"]: c for c in form_fields(monte_carlo.FORM, {"model": "gbm"})}
    assert "d-none" not in boxes["mu"].className and "d-none" in boxes["distribution"].className


def test_form005_links_round_trip_the_form():
    form = monte_carlo.FORM
    search = form.to_query({"seed": 9, "inflation": 3.5, "initial": None}, 12)
    assert search == "?household=12&inflation=3.5&seed=9"  # in the form's field order
    from dashboard.forms.fields import parse_search

    clean = form.clean(parse_search(search))
    assert clean["seed"] == 9 and clean["inflation"] == pytest.approx(0.035) and clean["initial"] is None


def test_form010_messages_say_what_is_wrong_in_the_pages_words():
    """Issue 16.9: an empty number box (the browser sends nothing for typed text or 5.5 in a whole-number
    box) asks for a number; bounds are written as on the page, never 1e+06."""
    from dashboard.forms.fields import INTEGER, NUMBER, Field, validate

    seed = Field("seed", "Seed", INTEGER, 0, 0, 2**31 - 1)
    paths = Field("paths", "Paths", INTEGER, 10_000, 100, 1_000_000)
    rate = Field("rate", "Rate", NUMBER, 1.0, 0.5, 2.5)
    assert validate([paths], {"paths": None})[1]["paths"] == "Enter a whole number for paths."
    assert validate([rate], {"rate": None})[1]["rate"] == "Enter a number for rate."
    assert validate([paths], {"paths": 5})[1]["paths"] == "Paths must be between 100 and 1,000,000."
    assert validate([seed], {"seed": -1})[1]["seed"] == "Seed must be between 0 and 2,147,483,647."
    assert validate([rate], {"rate": 3})[1]["rate"] == "Rate must be between 0.5 and 2.5."


def test_form011_a_link_with_bad_values_keeps_them_marked_not_replaced_by_defaults():
    """Issue 16.6: the values stay as the link gave them (so the run refuses them), each with a message."""
    from dashboard.forms.optimisation import FORM

    values, errors = FORM.from_query({"objective": "bogus", "risk_free_rate": "abc", "tickers": "AAPL,FOO"})
    assert values["objective"] == "bogus" and values["risk_free_rate"] == "abc"
    assert values["tickers"] == ["AAPL", "FOO"]
    assert set(errors) == {"objective", "risk_free_rate", "tickers"}
    assert errors["tickers"] == "From the link: Not a choice for chosen assets: FOO."
    assert FORM.read_raw(values)[1].keys() == errors.keys()  # the run refuses exactly those
    good, none = FORM.from_query({"objective": "min_volatility", "risk_free_rate": "3"})
    assert not none and good["objective"] == "min_volatility" and good["risk_free_rate"] == 3.0
