"""Engine benchmarks against docs/product.md §9: optimisation, frontier, Monte Carlo, retirement solve-for."""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.common import median_ms, timings
from dashboard.settings import PROJECT_ROOT
from harness.tables import table

MARKET = PROJECT_ROOT / "data" / "market"


def universe(n: int) -> pd.DataFrame:
    """The 20 bundled stocks since 2014 (all trading); beyond 20, deterministic blends of them plus noise."""
    prices = pd.read_csv(MARKET / "stock_prices.csv", parse_dates=["date"], index_col="date").loc[
        "2014-10-01":
    ]
    if n <= prices.shape[1]:
        return prices.iloc[:, :n]
    rng = np.random.default_rng(30)
    daily = prices.pct_change().iloc[1:]
    extra = {}
    for k in range(n - prices.shape[1]):
        i, j = rng.choice(prices.shape[1], size=2, replace=False)
        blend = 0.5 * daily.iloc[:, i] + 0.5 * daily.iloc[:, j] + rng.normal(0, 0.004, len(daily))
        extra[f"SYN{k}"] = 100 * (1 + blend).cumprod()
    synthetic = pd.DataFrame(extra, index=daily.index)
    return prices.iloc[1:].join(synthetic)


def run() -> None:
    from engine.backtest import Allocation, Settings, backtest
    from engine.frontier import efficient_frontier, naive_frontier
    from engine.montecarlo import CashFlows, ReturnModel, simulate
    from engine.optimize import estimate, optimize
    from engine.retirement import RetirementPlan, solve_spending

    rows = []
    for n in (20, 30):
        prices = universe(n)
        stats = estimate(prices)
        for objective in ("max_sharpe", "min_volatility"):
            samples = timings(
                lambda o=objective, s=stats: optimize(s, o, risk_free_rate=0.02), repeats=15, warmup=2
            )
            rows.append([f"{objective}, {n} assets, warm", median_ms(samples), "<= 25 ms"])
        samples = timings(
            lambda p=prices: optimize(estimate(p), "max_sharpe", risk_free_rate=0.02), repeats=7
        )
        rows.append([f"max_sharpe incl. statistics from prices, {n} assets", median_ms(samples), "-"])
    table("Optimisation (median of repeats)", ["operation", "ms", "target"], rows)

    stats = estimate(universe(30))
    fast = timings(lambda: efficient_frontier(stats, 50), repeats=9, warmup=1)
    frontier = efficient_frontier(stats, 50)
    naive = timings(lambda: naive_frontier(stats, frontier.returns[:-1]), repeats=3, warmup=0)
    fast_ms, naive_ms = median_ms(fast), median_ms(naive) * 50 / 49
    table(
        "Efficient frontier, 50 points, 30 assets",
        ["implementation", "ms", "target"],
        [
            ["one problem re-solved (ours)", fast_ms, "<= 150 ms"],
            ["fresh PyPortfolioOpt optimiser per point", naive_ms, "-"],
            ["ratio naive / ours", naive_ms / fast_ms, ">= 5x"],
        ],
    )

    flows = CashFlows(
        1_000_000,
        monthly_contribution=1_500,
        monthly_withdrawal=500,
        withdrawal_start_month=120,
        inflation=0.025,
        annual_fee=0.005,
    )
    weights = np.full(20, 1 / 20)
    stats20 = estimate(universe(20))
    models = {
        "gbm": ReturnModel.gbm(0.07, 0.15),
        "parametric normal, monthly rebalance": ReturnModel.parametric(weights, stats20.mu, stats20.cov),
        "parametric lognormal, 20 assets": ReturnModel.parametric(
            weights, stats20.mu, stats20.cov, "lognormal"
        ),
    }
    rows = []
    for name, model in models.items():
        for months in (360, 600):
            if "lognormal" in name and months == 600:
                continue
            seeds = iter(range(100))
            samples = timings(
                lambda m=model, t=months, s=seeds: simulate(m, flows, t, 10_000, next(s), 2e6),
                repeats=9 if "lognormal" not in name else 3,
                warmup=1,
            )
            rows.append(
                [
                    f"{name}, 10,000 x {months}",
                    median_ms(samples),
                    "<= 100 ms" if months == 360 and "lognormal" not in name else "-",
                ]
            )
    table("Monte Carlo with cash flows and percentiles (median)", ["run", "ms", "target"], rows)

    prices = pd.read_csv(MARKET / "stock_prices.csv", parse_dates=["date"], index_col="date")
    spy = pd.read_csv(MARKET / "spy_prices.csv", parse_dates=["date"], index_col="date")
    prices = prices.join(spy, how="left")
    mixes = [
        {"AAPL": 0.3, "XOM": 0.3, "JPM": 0.2, "PFE": 0.2},
        {"GE": 0.25, "WMT": 0.25, "T": 0.25, "BAC": 0.25},
        {"AMD": 0.2, "BBY": 0.2, "AAPL": 0.2, "XOM": 0.2, "PFE": 0.2},
    ]
    portfolios = [Allocation.of(f"P{i}", mix) for i, mix in enumerate(mixes)]
    rows = []
    for rule in ("monthly", "quarterly", "bands"):
        settings = Settings(
            start="1990-01-01", rebalance=rule, band=0.05, cash_flow=1_000, inflation=0.025, fee=0.005
        )
        result = backtest(prices, portfolios, None, settings)
        assert result.window.count == 339  # 28 years and 3 months
        samples = timings(lambda s=settings: backtest(prices, portfolios, None, s), repeats=15, warmup=2)
        rows.append(
            [
                f"3 portfolios x {result.window.count} months, {rule}, monthly contributions",
                median_ms(samples),
                "<= 20 ms" if rule == "monthly" else "-",
            ]
        )
    table("Backtest, warm (median)", ["run", "ms", "target"], rows)

    plan = RetirementPlan(
        55,
        65,
        95,
        1_000_000,
        monthly_contribution=2_000,
        annual_spending=60_000,
        annual_pension=20_000,
        pension_start_age=67,
    )
    samples = timings(
        lambda: solve_spending(ReturnModel.gbm(0.06, 0.12), plan, 0.9, 10_000, seed=1), repeats=3
    )
    table(
        "Retirement",
        ["operation", "ms"],
        [["solve highest spending at 90 % success, 10,000 paths x 40 y", median_ms(samples)]],
    )

    # a Risk page run computed anew: 8 holdings since 2016, stress windows over their whole history
    from engine.risk import risk_report, stress_tests, var_table

    full = pd.read_csv(MARKET / "stock_prices.csv", parse_dates=["date"], index_col="date")
    full = full[["AAPL", "GE", "WMT", "BAC", "XOM", "JPM", "AMZN", "GOOG"]]
    spy = pd.read_csv(MARKET / "spy_prices.csv", parse_dates=["date"], index_col="date")["SPY"]
    window, weights = full.loc["2016-01-04":], np.full(8, 1 / 8)
    daily = window.pct_change().iloc[1:].to_numpy()
    rows = [
        [
            "risk report (metrics, VaR by four methods with 100,000 Monte Carlo paths, 7 stress windows)",
            median_ms(timings(lambda: risk_report(window, weights, spy, 0.02, 100_000, 1, full), repeats=9)),
        ],
        [
            "  of which VaR and CVaR",
            median_ms(
                timings(lambda: var_table(daily @ weights, asset_returns=daily, weights=weights), repeats=9)
            ),
        ],
        [
            "  of which stress windows",
            median_ms(timings(lambda: stress_tests(full, weights, spy), repeats=9)),
        ],
    ]
    table("Risk, 8 assets (median)", ["operation", "ms"], rows)
