"""Tax rules at their edges: the holding period as a date rule, wash sales share for share and by
identity, and harvesting savings as the change in this year's tax (issue 15, defects 2-4)."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import errors
from engine.tax import Lot, Purchase, TaxPosition, is_long_term, tax_report, tax_year

D = dt.date


@pytest.mark.parametrize(
    ("bought", "sold", "days", "long"),
    [
        # common years: exactly one year is short-term, one day more is long-term
        (D(2021, 3, 10), D(2022, 3, 10), 365, False),
        (D(2021, 3, 10), D(2022, 3, 11), 366, True),
        (D(2021, 2, 28), D(2022, 2, 28), 365, False),
        (D(2021, 2, 28), D(2022, 3, 1), 366, True),
        # bought 28 February before a leap day: the first year runs to 29 February
        (D(2023, 2, 28), D(2024, 2, 28), 365, False),
        (D(2023, 2, 28), D(2024, 2, 29), 366, False),
        (D(2023, 2, 28), D(2024, 3, 1), 367, True),
        # bought on the leap day: the period starts 1 March, so 1 March next year is long-term
        (D(2024, 2, 29), D(2025, 2, 28), 365, False),
        (D(2024, 2, 29), D(2025, 3, 1), 366, True),
        (D(2020, 2, 29), D(2021, 3, 1), 366, True),
        # bought 28 February of a leap year: the period starts on the leap day
        (D(2024, 2, 28), D(2025, 2, 28), 366, False),
        (D(2024, 2, 28), D(2025, 3, 1), 367, True),
        # bought 1 March: 366 days across a leap day is still exactly one year
        (D(2023, 3, 1), D(2024, 3, 1), 366, False),
        (D(2023, 3, 1), D(2024, 3, 2), 367, True),
        (D(2024, 3, 1), D(2025, 3, 1), 365, False),
        (D(2024, 3, 1), D(2025, 3, 2), 366, True),
        # sold on the leap day
        (D(2023, 2, 27), D(2024, 2, 28), 366, True),
        (D(2023, 2, 27), D(2024, 2, 27), 365, False),
        # across the new year
        (D(2022, 12, 31), D(2023, 12, 31), 365, False),
        (D(2022, 12, 31), D(2024, 1, 1), 366, True),
    ],
)
def test_tax003_holding_period_is_a_date_rule(bought, sold, days, long):
    assert (sold - bought).days == days
    assert is_long_term(bought, sold) is long
    report = tax_report([Lot(1, "X", bought, 10, 100.0)], {"X": 90.0}, sold, min_loss=0)
    assert report.lots[0].term == ("long" if long else "short")


@settings(max_examples=300, deadline=None)
@given(st.dates(D(1990, 1, 1), D(2060, 12, 31)), st.integers(300, 430))
def test_tax004_holding_period_matches_the_anniversary_rule_away_from_february(bought, held):
    """Away from 28/29 February, 'more than one year' is 'sold after the purchase's anniversary'."""
    if bought.month == 2 and bought.day >= 28:
        return
    sold = bought + dt.timedelta(days=held)
    assert is_long_term(bought, sold) == (sold > bought.replace(year=bought.year + 1))


AS_OF = D(2018, 4, 11)


def test_tax005_wash_sale_disallows_share_for_share_and_moves_the_basis():
    lot = Lot(1, "XOM", D(2016, 6, 1), 2000, 90.0, "Taxable")
    bought = Purchase("XOM", D(2018, 3, 30), 40, "IRA")
    report = tax_report([lot], {"XOM": 75.0}, AS_OF, [bought], 0.35, 0.15)
    (c,) = report.candidates
    assert c.wash_sale and c.replaced_shares == 40
    assert c.disallowed_loss == pytest.approx(40 * 15)
    assert c.allowed_loss == pytest.approx(1960 * 15)
    (r,) = c.replacements
    assert r.purchase == bought and r.shares == 40 and r.basis_added == pytest.approx(600)
    # enough replacement shares disallow the whole loss, never more
    more = tax_report([lot], {"XOM": 75.0}, AS_OF, [Purchase("XOM", D(2018, 4, 1), 5000, "IRA")])
    assert more.candidates[0].disallowed_loss == pytest.approx(2000 * 15)
    assert more.candidates[0].allowed_loss == 0 and more.estimated_savings == pytest.approx(0)


def test_tax006_window_edges_and_only_the_same_security():
    lot = Lot(1, "XOM", D(2016, 6, 1), 100, 90.0)
    for day, inside in (
        (D(2018, 3, 12), True),
        (D(2018, 3, 11), False),
        (D(2018, 5, 11), True),
        (D(2018, 5, 12), False),
    ):
        report = tax_report([lot], {"XOM": 75.0}, AS_OF, [Purchase("XOM", day, 10)])
        assert report.candidates[0].wash_sale is inside, day
    other = tax_report([lot], {"XOM": 75.0}, AS_OF, [Purchase("CVX", D(2018, 4, 1), 10)])
    assert not other.candidates[0].wash_sale


def test_tax007_own_purchase_is_known_by_identity_not_by_date_and_size():
    # a lot bought 10 days ago at a loss, and the same number of shares bought the same day in an IRA
    lot = Lot(7, "XOM", D(2018, 4, 1), 100, 90.0, "Taxable")
    own = Purchase("XOM", D(2018, 4, 1), 100, "Taxable", lot=7)
    ira = Purchase("XOM", D(2018, 4, 1), 100, "IRA")
    report = tax_report([lot], {"XOM": 75.0}, AS_OF, [own, ira])
    (c,) = report.candidates
    assert c.wash_sale and c.replaced_shares == 100 and c.conflicting_purchases == (ira,)
    # its own purchase alone is not a wash sale, whether listed or not
    assert not tax_report([lot], {"XOM": 75.0}, AS_OF, [own]).candidates[0].wash_sale
    assert not tax_report([lot], {"XOM": 75.0}, AS_OF).candidates[0].wash_sale


def test_tax008_replacement_shares_serve_loss_lots_earliest_first_once():
    lots = [
        Lot("b", "XOM", D(2017, 1, 5), 100, 95.0),
        Lot("a", "XOM", D(2016, 1, 5), 100, 90.0),
        Lot("gain", "XOM", D(2018, 3, 20), 30, 60.0),  # bought within the window at a gain: a replacement
    ]
    report = tax_report(lots, {"XOM": 75.0}, AS_OF, [Purchase("XOM", D(2018, 4, 2), 120, "IRA")], 0.37, 0.2)
    by_id = {c.lot_gain.lot.id: c for c in report.candidates}
    assert set(by_id) == {"a", "b"}
    # 30 shares of the gain lot (bought first) and 70 of the IRA purchase go to the earliest lot, a
    assert by_id["a"].replaced_shares == 100
    assert [(r.purchase.quantity, r.shares) for r in by_id["a"].replacements] == [(30, 30), (120, 70)]
    assert by_id["b"].replaced_shares == 50
    assert by_id["b"].disallowed_loss == pytest.approx(50 * 20) and by_id["b"].allowed_loss == pytest.approx(
        50 * 20
    )
    # loss lots sold in the same harvest are not each other's replacement shares
    pair = tax_report(lots[:2], {"XOM": 75.0}, AS_OF, [Purchase("XOM", D(2016, 1, 5), 100, lot="a")])
    assert not any(c.wash_sale for c in pair.candidates)


def test_tax009_savings_are_the_change_in_this_years_tax():
    loss = [Lot(1, "XOM", D(2018, 1, 2), 1000, 85.0)]  # 10,000 short-term loss at 75
    prices = {"XOM": 75.0}
    # nothing realised: 3,000 deducted from ordinary income, 7,000 carried forward
    plain = tax_report(loss, prices, AS_OF, short_term_rate=0.37, long_term_rate=0.2)
    assert plain.this_year.tax == 0 and plain.estimated_savings == pytest.approx(3000 * 0.37)
    assert plain.added_carryforward == pytest.approx(
        7000
    ) and plain.after_harvest.carryforward_short == pytest.approx(7000)
    # short-term gains realised this year absorb the whole loss
    gains = tax_report(
        loss,
        prices,
        AS_OF,
        short_term_rate=0.37,
        long_term_rate=0.2,
        position=TaxPosition(realised_short=20000),
    )
    assert gains.estimated_savings == pytest.approx(10000 * 0.37) and gains.added_carryforward == 0
    # long-term gains are offset across terms at the long-term rate
    lt = tax_report(
        loss,
        prices,
        AS_OF,
        short_term_rate=0.37,
        long_term_rate=0.2,
        position=TaxPosition(realised_long=6000),
    )
    assert lt.this_year.tax == pytest.approx(1200)
    assert lt.estimated_savings == pytest.approx(
        1200 + 3000 * 0.37
    ) and lt.added_carryforward == pytest.approx(1000)
    # a household already at a net loss with a carryover: harvesting saves nothing this year
    spent = TaxPosition(realised_short=-5000, carryover_short=2000)
    none = tax_report(loss, prices, AS_OF, short_term_rate=0.37, long_term_rate=0.2, position=spent)
    assert none.this_year.tax == pytest.approx(-3000 * 0.37) and none.this_year.carryforward == pytest.approx(
        4000
    )
    assert none.estimated_savings == pytest.approx(0) and none.added_carryforward == pytest.approx(10000)
    assert none.candidates[0].tax_savings == pytest.approx(0)
    with pytest.raises(errors.InvalidInputError, match="carryover"):
        tax_report(loss, prices, AS_OF, position=TaxPosition(carryover_long=-1))


def test_tax010_carryforward_keeps_its_character_short_term_deducted_first():
    year = tax_year(-1000, -5000, 0.37, 0.2)
    assert year.tax == pytest.approx(-3000 * 0.37)
    assert year.carryforward_short == 0 and year.carryforward_long == pytest.approx(3000)
    year = tax_year(-8000, 2000, 0.37, 0.2)  # netted across terms first
    assert year.carryforward_short == pytest.approx(3000) and year.carryforward_long == 0
    assert tax_year(500, 1000, 0.37, 0.2).tax == pytest.approx(500 * 0.37 + 1000 * 0.2)
