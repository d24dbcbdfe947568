"""The backtest against an independent computation written here from the formulas in docs/backtest.md.

The reference below is plain Python over lists (month-end closes by pandas' own
grouping, values month by month, every statistic from its definition); it shares
no code with ``engine.backtest``.
"""

from __future__ import annotations

import math
import statistics as pystats

import numpy as np
import pandas as pd
import pytest

from engine.backtest import (
    Allocation,
    BacktestInputError,
    Settings,
    backtest,
    drawdown_episodes,
    max_drawdown,
    sortino_ratio,
    ulcer_index,
)

RULES = ("none", "monthly", "quarterly", "annual", "bands")
W = {"A": 0.5, "B": 0.3, "C": 0.2}


@pytest.fixture(scope="module")
def prices() -> pd.DataFrame:
    """Three assets and a benchmark, business days 1999-11-01 to 2006-06-30 (a Friday, so June is whole),
    with a crash in 2002 deep enough to show drawdowns and depletions."""
    days = pd.bdate_range("1999-11-01", "2006-06-30")
    rng = np.random.default_rng(7)
    drift = np.array([0.0004, 0.0002, 0.0001, 0.0003])
    vol = np.array([0.02, 0.012, 0.006, 0.011])
    shocks = rng.standard_normal((len(days), 4)) * vol + drift
    shocks[(days >= "2002-03-01") & (days < "2002-10-01")] -= np.array([0.004, 0.002, 0.0, 0.002])
    levels = 50 * np.exp(np.cumsum(shocks, axis=0))
    return pd.DataFrame(levels, index=days, columns=["A", "B", "C", "SPY"])


# -- the reference -----------------------------------------------------------------------------------


def ref_month_closes(prices: pd.DataFrame, start: str, end: str) -> tuple[list[str], list[dict]]:
    by_month = prices.groupby([prices.index.year, prices.index.month]).last()
    labels = [f"{y:04d}-{m:02d}" for y, m in by_month.index]
    first = labels.index(start) - 1  # the base: the month before the start
    last = labels.index(end)
    rows = [dict(by_month.iloc[i]) for i in range(first, last + 1)]
    return labels[first : last + 1], rows


def ref_value(labels, closes, weights, initial, rule, band=None, flow=0.0, annual=False, growth=0.0, fee=0.0):
    """Values after each month's flow, the flows made, the time-weighted returns, and the month it ran out."""
    holdings = {t: initial * w for t, w in weights.items()}
    values, flows, returns = [initial], [0.0], []
    first_flow = None
    out_in = None
    n = len(labels) - 1
    for t in range(1, n + 1):
        month = int(labels[t][5:])
        for ticker in holdings:
            holdings[ticker] *= closes[t][ticker] / closes[t - 1][ticker]
            holdings[ticker] *= (1 - fee) ** (1 / 12)
        value = sum(holdings.values())
        returns.append(value / values[-1] - 1)
        made = 0.0
        if flow and t < n and (not annual or month == 12):
            if first_flow is None:
                first_flow = t
            made = flow * (1 + growth) ** ((t - first_flow) / 12)
            if made < 0 and -made >= value:
                flows.append(-value)
                values.append(0.0)
                out_in = labels[t]
                break
            if made > 0:
                for ticker in holdings:
                    holdings[ticker] += made * weights[ticker]
            else:
                for ticker in holdings:
                    holdings[ticker] *= (value + made) / value
            value += made
        flows.append(made)
        values.append(value)
        due = {
            "none": False,
            "monthly": True,
            "quarterly": month in (3, 6, 9, 12),
            "annual": month == 12,
            "bands": band is not None and max(abs(holdings[k] / value - weights[k]) for k in holdings) > band,
        }[rule]
        if due and t < n:
            holdings = {k: value * w for k, w in weights.items()}
    return values, flows, returns, out_in


def ref_statistics(returns: list[float], rf_annual: float) -> dict:
    rf = (1 + rf_annual) ** (1 / 12) - 1
    n = len(returns)
    index = [1.0]
    for r in returns:
        index.append(index[-1] * (1 + r))
    sd = pystats.stdev(returns)
    excess = [r - rf for r in returns]
    peak, falls = 0.0, []
    for level in index:
        peak = max(peak, level)
        falls.append(level / peak - 1)
    annualised = index[-1] ** (12 / n) - 1
    mdd = -min(falls)
    return {
        "annualised_return": annualised,
        "volatility": sd * math.sqrt(12),
        "sharpe": 12 * pystats.fmean(excess) / (math.sqrt(12) * sd),
        "sortino": 12
        * pystats.fmean(excess)
        / (math.sqrt(12) * math.sqrt(pystats.fmean([min(e, 0) ** 2 for e in excess]))),
        "max_drawdown": mdd,
        "calmar": annualised / mdd,
        "ulcer_index": math.sqrt(pystats.fmean([(100 * f) ** 2 for f in falls])),
        "best_month": max(returns),
        "worst_month": min(returns),
        "positive_months": sum(r > 0 for r in returns) / n,
    }


def ref_relative(r: list[float], b: list[float], rf_annual: float) -> dict:
    rf = (1 + rf_annual) ** (1 / 12) - 1
    er, eb = [x - rf for x in r], [x - rf for x in b]
    slope, intercept = np.polyfit(eb, er, 1)  # least squares of excess on excess
    corr = pystats.correlation(er, eb)

    def geo(xs):
        return math.prod(1 + x for x in xs) ** (1 / len(xs)) - 1

    up = [i for i, x in enumerate(b) if x > 0]
    down = [i for i, x in enumerate(b) if x < 0]
    active = [x - y for x, y in zip(r, b, strict=True)]
    te = pystats.stdev(active) * math.sqrt(12)
    return {
        "beta": slope,
        "alpha": 12 * intercept,
        "correlation": corr,
        "r_squared": corr**2,
        "upside_capture": geo([r[i] for i in up]) / geo([b[i] for i in up]),
        "downside_capture": geo([r[i] for i in down]) / geo([b[i] for i in down]),
        "tracking_error": te,
        "information_ratio": 12 * pystats.fmean(active) / te,
    }


def ref_irr(values: list[float], flows: list[float]) -> float:
    """Annualised monthly IRR by bisection on the investor's cash flows."""
    cash = [-values[0]] + [-f for f in flows[1:]]
    cash[-1] += values[-1]

    def npv(rate):
        return sum(c / (1 + rate) ** t for t, c in enumerate(cash))

    low, high = -0.5, 0.5
    for _ in range(200):
        mid = (low + high) / 2
        if (npv(low) > 0) == (npv(mid) > 0):
            low = mid
        else:
            high = mid
    return (1 + (low + high) / 2) ** 12 - 1


def _close(actual, expected, rel=1e-9, abs_=1e-12):
    assert actual == pytest.approx(expected, rel=rel, abs=abs_)


# -- the check values from the literature --------------------------------------------------------------


def test_bt001_sortino_ulcer_and_drawdown_check_values():
    annual = np.array([17, 15, 23, -5, 12, 9, 13, -4]) / 100
    # Sortino & Price: the downside deviation keeps above-target periods as zeros: sqrt((25 + 16) / 8) %
    assert math.sqrt(np.mean(np.minimum(annual, 0) ** 2)) == pytest.approx(0.022638, abs=1e-6)
    assert sortino_ratio(annual, 0.0, 1) == pytest.approx(4.4173, abs=1e-4)
    path = np.array([100, 120, 90, 130]) / 100
    assert max_drawdown(path) == pytest.approx(0.25)
    assert ulcer_index(path) == pytest.approx(12.5)  # percent, population mean (Martin)


# -- every rule, with and without cash flows ------------------------------------------------------------


CASES = [
    (rule, flows)
    for rule in RULES
    for flows in (
        {},
        {"cash_flow": 250.0},
        {"cash_flow": 3000.0, "frequency": "annual", "inflation": 0.03},
        {"cash_flow": -60.0, "fee": 0.01},
    )
]


@pytest.mark.parametrize(("rule", "flows"), CASES, ids=[f"{r}-{i % 4}" for i, (r, _) in enumerate(CASES)])
def test_bt002_values_returns_and_statistics_match_the_reference(prices, rule, flows):
    settings = Settings(
        start="2000-03-15",
        end="2006-05-31",
        initial=10_000.0,
        rebalance=rule,
        band=0.04 if rule == "bands" else None,
        risk_free_rate=0.02,
        **flows,
    )
    result = backtest(prices, [Allocation.of("Mix", W)], Allocation("SPY", {"SPY": 1.0}), settings)
    labels, closes = ref_month_closes(prices, "2000-03", "2006-05")
    values, made, returns, out_in = ref_value(
        labels,
        closes,
        W,
        10_000.0,
        rule,
        band=0.04 if rule == "bands" else None,
        flow=flows.get("cash_flow", 0.0),
        annual=flows.get("frequency") == "annual",
        growth=flows.get("inflation", 0.0),
        fee=flows.get("fee", 0.0),
    )
    mix = result.portfolios[0]
    assert list(mix.months) == labels
    assert out_in is None and mix.depleted is None
    np.testing.assert_allclose(mix.values, values, rtol=1e-10)
    np.testing.assert_allclose(mix.flows, made, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(mix.returns, returns, rtol=1e-9, atol=1e-13)
    expected = ref_statistics(returns, 0.02)
    for key, value in expected.items():
        _close(mix.statistics[key], value)
    assert mix.statistics["final_value"] == pytest.approx(values[-1], rel=1e-10)
    if flows:
        assert mix.statistics["cagr"] is None
        _close(mix.statistics["mwr"], ref_irr(values, made), rel=1e-6)
    else:
        assert mix.statistics["mwr"] is None
        _close(mix.statistics["cagr"], (values[-1] / values[0]) ** (12 / len(returns)) - 1)
    # the benchmark: the same amount and flows, rebalanced monthly, no fee
    b_values, _, b_returns, _ = ref_value(
        labels,
        closes,
        {"SPY": 1.0},
        10_000.0,
        "monthly",
        flow=flows.get("cash_flow", 0.0),
        annual=flows.get("frequency") == "annual",
        growth=flows.get("inflation", 0.0),
    )
    np.testing.assert_allclose(result.benchmark.values, b_values, rtol=1e-10)
    for key, value in ref_relative(returns, b_returns, 0.02).items():
        _close(mix.relative[key], value, rel=1e-7)
    # calendar years: 2000 from March (partial), 2006 to May (partial)
    years = {}
    for label, r in zip(labels[1:], returns, strict=True):
        years[int(label[:4])] = years.get(int(label[:4]), 1.0) * (1 + r)
    assert mix.annual_returns == pytest.approx({y: g - 1 for y, g in years.items()}, rel=1e-9)
    assert mix.partial_years == (2000, 2006)
    assert mix.statistics["best_year"] == pytest.approx(max(g - 1 for g in years.values()))
    assert mix.statistics["worst_year"] == pytest.approx(min(g - 1 for g in years.values()))


def test_bt003_rebalancing_rules_differ_where_they_should(prices):
    def run(rule, band=None):
        settings = Settings(start="2000-01-01", end="2006-06-30", rebalance=rule, band=band)
        return backtest(prices, [Allocation.of("Mix", W)], None, settings).portfolios[0]

    counts = {rule: run(rule, 0.04 if rule == "bands" else None).rebalances for rule in RULES}
    months = 78
    assert counts["monthly"] == months - 1  # every month-end inside the window
    assert counts["quarterly"] == 26 - 1 and counts["annual"] == 6  # the last month-end (June 2006) excluded
    assert counts["none"] == 0 and 0 < counts["bands"] < counts["monthly"]
    assert len({round(run(r, 0.04).values[-1], 6) for r in RULES}) == len(RULES)


def test_bt004_a_withdrawal_larger_than_the_portfolio_ends_it_at_zero_and_says_when(prices):
    settings = Settings(
        start="2000-01-01", end="2006-06-30", initial=10_000, cash_flow=-400, rebalance="none"
    )
    result = backtest(prices, [Allocation.of("Mix", W)], None, settings)
    mix = result.portfolios[0]
    labels, closes = ref_month_closes(prices, "2000-01", "2006-06")
    values, made, returns, out_in = ref_value(labels, closes, W, 10_000.0, "none", flow=-400)
    assert out_in is not None and mix.depleted == out_in
    assert mix.values[-1] == 0 and mix.statistics["final_value"] == 0
    t = labels.index(out_in)
    np.testing.assert_allclose(mix.values[: t + 1], values[: t + 1], rtol=1e-10)
    assert np.isnan(mix.returns[t:]).all() and not np.isnan(mix.returns[:t]).any()
    assert any(out_in[:4] in note and "ran out" in note for note in result.notes)
    _close(mix.statistics["mwr"], ref_irr(values, made), rel=1e-6)
    for key, value in ref_statistics(returns, 0.0).items():
        _close(mix.statistics[key], value)


def test_bt005_rolling_returns_and_drawdown_episodes(prices):
    settings = Settings(start="2000-01-01", end="2006-06-30", rebalance="monthly", rolling=(12, 36))
    mix = backtest(prices, [Allocation.of("Mix", W)], None, settings).portfolios[0]
    r = list(mix.returns)
    for k in (12, 36):
        expected = [
            (mix.months[i + k], math.prod(1 + x for x in r[i : i + k]) ** (12 / k) - 1)
            for i in range(len(r) - k + 1)
        ]
        assert [m for m, _ in mix.rolling[k]] == [m for m, _ in expected]
        np.testing.assert_allclose([v for _, v in mix.rolling[k]], [v for _, v in expected], rtol=1e-9)
    # episodes on a hand-made index: two falls, the second not recovered
    labels = ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"]
    index = np.array([1.0, 1.1, 0.99, 0.88, 1.1, 1.2, 0.9, 1.0])
    first, second = sorted(drawdown_episodes(labels, index), key=lambda d: d.peak)
    assert (first.peak, first.start, first.trough, first.recovery) == ("m1", "m2", "m3", "m4")
    assert first.depth == pytest.approx(0.2) and first.length == 3 and first.months_to_recover == 1
    assert (second.peak, second.trough, second.recovery, second.months_to_recover) == ("m5", "m6", None, None)
    assert second.depth == pytest.approx(0.25) and second.length == 2
    assert [d.depth for d in drawdown_episodes(labels, index)] == pytest.approx([0.25, 0.2])
    assert mix.drawdowns[0].depth == pytest.approx(mix.statistics["max_drawdown"])


def test_bt006_real_prices_buy_and_hold_is_the_price_ratio(stock_prices, spy):
    prices = stock_prices[["AAPL", "XOM"]].join(spy, how="left")
    settings = Settings(start="2006-01-01", initial=10_000, rebalance="none")
    result = backtest(
        prices, [Allocation.of("AAPL", {"AAPL": 1.0})], Allocation("SPY", {"SPY": 1.0}), settings
    )
    window = result.window
    assert (str(window.first), str(window.last)) == ("2006-01", "2018-03")  # April 2018 is not whole
    assert window.dates[0] == pd.Timestamp("2005-12-30") and window.dates[-1] == pd.Timestamp("2018-03-29")
    aapl = stock_prices["AAPL"]
    ratio = aapl.loc["2018-03-29"] / aapl.loc["2005-12-30"]
    assert result.portfolios[0].statistics["final_value"] == pytest.approx(10_000 * ratio, rel=1e-12)
    assert result.portfolios[0].statistics["cagr"] == pytest.approx(ratio ** (12 / 147) - 1, rel=1e-12)
    spy_ratio = spy.loc["2018-03-29"] / spy.loc["2005-12-30"]
    assert result.benchmark.statistics["final_value"] == pytest.approx(10_000 * spy_ratio, rel=1e-12)


@pytest.mark.parametrize(
    ("portfolio", "settings", "field", "words"),
    [
        ({"A": 0.5, "B": 0.45}, {}, "weights", ["95.00 %", "5.00 points short"]),
        ({"A": 0.6, "B": 0.45}, {}, "weights", ["105.00 %", "5.00 points over"]),
        (W, {"start": "2004-01-01", "end": "2003-06-30"}, "end", ["before the end"]),
        (W, {"start": "2005-01-01", "end": "2006-03-31"}, "rolling", ["15 months", "60-month"]),
        (W, {"rebalance": "bands", "band": 0.0}, "band", ["more than 0"]),
        (W, {"rebalance": "bands", "band": -0.02}, "band", ["more than 0"]),
        (W, {"start": "1999-11-01"}, "start", ["earliest start is December 1999"]),
        (W, {"end": "2006-07-31"}, "end", ["last whole month is June 2006"]),
    ],
)
def test_bt007_bad_input_names_its_field(prices, portfolio, settings, field, words):
    with pytest.raises(BacktestInputError) as caught:
        backtest(prices, [Allocation.of("Mix", portfolio)], None, Settings(**settings))
    assert caught.value.field == field
    for word in words:
        assert word in str(caught.value)


def test_bt008_a_ticker_without_prices_in_part_of_the_window_is_named_not_dropped(prices):
    late = prices.copy()
    late.loc[:"2003-05-14", "C"] = np.nan  # C lists in mid-May 2003
    with pytest.raises(BacktestInputError) as caught:
        backtest(late, [Allocation.of("Mix", W)], None, Settings(start="2002-01-01"))
    assert caught.value.field == "start"
    assert "C has prices only from May 2003" in str(caught.value) and "June 2003" in str(caught.value)
    # with no start asked for, the window begins in the first month C can be valued from, and says so
    result = backtest(late, [Allocation.of("Mix", W)], None, Settings(rolling=(12,)))
    assert str(result.window.first) == "2003-06" and result.window.limited_by == "C"
    assert any("C has no earlier month-end price" in note for note in result.notes)


def test_bt009_the_command_line_prints_the_statistics_as_json(capsys, stock_prices, spy):
    from engine.cli import main

    assert (
        main(
            [
                "backtest",
                "--tickers",
                "AAPL,XOM",
                "--weights",
                "AAPL=0.6,XOM=0.4",
                "--start",
                "2006-01-01",
                "--rebalance",
                "monthly",
                "--risk-free-rate",
                "0.01",
            ]
        )
        == 0
    )
    out = __import__("json").loads(capsys.readouterr().out)
    keys = {
        "final_value",
        "cagr",
        "volatility",
        "sharpe",
        "sortino",
        "max_drawdown",
        "calmar",
        "ulcer_index",
        "best_year",
        "worst_year",
        "annual_returns",
        "monthly_returns",
        "rolling",
        "drawdowns",
        "beta",
        "alpha",
        "correlation",
        "r_squared",
        "upside_capture",
        "downside_capture",
        "tracking_error",
        "information_ratio",
        "benchmark",
    }
    assert keys <= set(out) and "mwr" not in out
    assert out["window"]["first_month"] == "2006-01" and out["window"]["last_month"] == "2018-03"
    monthly = (
        stock_prices[["AAPL", "XOM"]].groupby([stock_prices.index.year, stock_prices.index.month]).last()
    )
    monthly = monthly.loc[(2005, 12) : (2018, 3)]
    r = ((monthly / monthly.shift(1)).iloc[1:].to_numpy() @ np.array([0.6, 0.4])) - 1
    assert [m["return"] for m in out["monthly_returns"]] == pytest.approx(list(r), rel=1e-9)
    assert out["cagr"] == pytest.approx(np.prod(1 + r) ** (12 / len(r)) - 1, rel=1e-9)
    s = spy.groupby([spy.index.year, spy.index.month]).last().loc[(2005, 12) : (2018, 3)].to_numpy()
    b = s[1:] / s[:-1] - 1
    assert out["benchmark"]["cagr"] == pytest.approx((s[-1] / s[0]) ** (12 / len(b)) - 1, rel=1e-9)
    assert out["beta"] == pytest.approx(ref_relative(list(r), list(b), 0.01)["beta"], rel=1e-7)
    assert main(["backtest", "--tickers", "AAPL", "--start", "2006-01-01", "--contribution", "100"]) == 0
    flows = __import__("json").loads(capsys.readouterr().out)
    assert "mwr" in flows and "cagr" not in flows and flows["total_contributions"] == pytest.approx(100 * 146)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tickers", "AAPL,XOM", "--weights", "AAPL=0.6,XOM=0.3"], "10.00 points short of 100 %"),
        (["--tickers", "AAPL,FB", "--start", "2006-01-01"], "FB has prices only from May 2012"),
        (["--tickers", "AAPL", "--rebalance", "bands", "--band", "0"], "more than 0 percentage points"),
        (["--tickers", "AAPL", "--start", "2016-01-01", "--end", "2015-01-01"], "before the end"),
        (["--tickers", "AAPL", "--start", "2016-01-01", "--end", "2017-01-01"], "60-month rolling window"),
        (["--tickers", "NOPE"], "unknown ticker"),
    ],
)
def test_bt010_command_line_bad_input_exits_2_with_one_line(capsys, args, message):
    from engine.cli import main

    assert main(["backtest", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_bt011_assets_listed_after_the_start_left_out_when_asked_and_said_so(prices):
    late = prices.copy()
    late.loc[:"2003-05-14", "C"] = np.nan
    settings = Settings(start="2002-01-01", rebalance="monthly", late_assets="leave_out", rolling=(12,))
    result = backtest(late, [Allocation.of("Mix", W)], None, settings)
    mix = result.portfolios[0]
    assert mix.left_out == {"C": 0.2} and mix.weights == pytest.approx({"A": 0.5 / 0.8, "B": 0.3 / 0.8})
    assert any(
        "left out C (20.0 %, prices from May 2003)" in n and "scaled from 80.0 %" in n for n in result.notes
    )
    labels, closes = ref_month_closes(late, "2002-01", "2006-06")
    values, _, _, _ = ref_value(labels, closes, {"A": 0.625, "B": 0.375}, 10_000.0, "monthly")
    np.testing.assert_allclose(mix.values, values, rtol=1e-10)
    with pytest.raises(BacktestInputError, match="none of its assets"):
        backtest(late, [Allocation.of("C only", {"C": 1.0})], None, settings)
