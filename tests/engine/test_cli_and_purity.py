"""The engine's command line and its import purity."""

import json
import subprocess
import sys

import pytest

from dashboard.settings import PROJECT_ROOT


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "engine", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )


def test_eng001_importing_the_engine_pulls_in_no_ui_framework():
    code = (
        "import sys, engine, engine.data, engine.optimize, engine.frontier, engine.montecarlo, engine.goals,"
        " engine.retirement, engine.risk, engine.diversification, engine.tax, engine.cli, engine.errors;"
        " from engine.optimize import estimate; import pandas as pd;"
        " estimate(pd.read_csv('data/market/stock_prices.csv', index_col='date', parse_dates=['date']).iloc[-300:, :4]);"
        " bad = sorted(m for m in sys.modules if m.split('.')[0] in ('dash', 'flask', 'plotly', 'werkzeug'));"
        " print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_eng002_optimize_reference_values_as_json():
    out = run("optimize", "--objective", "max_sharpe", "--risk-free-rate", "0.02")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["expected_return"] == pytest.approx(0.30478, abs=5e-5)
    assert result["sharpe"] == pytest.approx(1.28477, abs=5e-5)
    assert sum(result["weights"].values()) == pytest.approx(1.0)


def test_eng003_simulate_frontier_risk_retirement_as_json():
    sim = json.loads(
        run(
            "simulate",
            "--model",
            "gbm",
            "--initial",
            "100000",
            "--years",
            "10",
            "--paths",
            "2000",
            "--seed",
            "3",
            "--target",
            "150000",
            "--monthly-contribution",
            "200",
        ).stdout
    )
    assert 0 < sim["probability_of_success"] < 1 and sim["seed"] == 3
    again = json.loads(
        run(
            "simulate",
            "--model",
            "gbm",
            "--initial",
            "100000",
            "--years",
            "10",
            "--paths",
            "2000",
            "--seed",
            "3",
            "--target",
            "150000",
            "--monthly-contribution",
            "200",
        ).stdout
    )
    assert again == sim
    frontier = json.loads(run("frontier", "--points", "5", "--tickers", "AAPL,XOM,JPM").stdout)
    assert len(frontier["points"]) == 5
    risk = json.loads(
        run("risk", "--tickers", "AAPL,XOM", "--weights", "AAPL=0.5,XOM=0.5", "--mc-paths", "5000").stdout
    )
    assert {row["method"] for row in risk["var"]} == {
        "historical",
        "parametric",
        "cornish_fisher",
        "monte_carlo",
    }
    plan_args = ("--current-age", "60", "--retirement-age", "65", "--savings", "800000", "--paths", "1000")
    retirement = json.loads(run("retirement", *plan_args, "--spending", "40000").stdout)
    assert 0 <= retirement["success_rate"] <= 1
    # with the solve-for: the plan's figures and the solved spending of the engine's two calls
    from engine.montecarlo import ReturnModel
    from engine.retirement import RetirementPlan, simulate_retirement, solve_spending

    solved = json.loads(run("retirement", *plan_args, "--solve-success", "0.9").stdout)
    plan = RetirementPlan(60, 65, 95, 800_000.0, inflation=0.02)
    alone = simulate_retirement(ReturnModel.gbm(0.06, 0.12), plan, 1000, 0)
    assert solved["success_rate"] == alone.success_rate
    assert (
        solved["solved_spending"] == solve_spending(ReturnModel.gbm(0.06, 0.12), plan, 0.9, 1000, 0).__dict__
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (
            ["optimize", "--objective", "efficient_risk", "--target-volatility", "15"],
            "looks like a percentage",
        ),
        (["optimize", "--objective", "max_sharpe", "--tickers", "NOPE"], "unknown ticker"),
        (["optimize", "--objective", "sideways"], "invalid choice"),
        (["simulate", "--initial", "-1", "--years", "5"], "initial wealth"),
        (["simulate", "--initial", "1000", "--years", "5", "--paths", "0"], "paths"),
        (["optimize", "--objective", "max_sharpe", "--prices", "/nonexistent.csv"], "no such prices file"),
        (["risk", "--start", "not-a-date"], "not a date"),
    ],
)
def test_eng004_bad_input_exits_2_with_one_clear_line(args, message):
    out = run(*args)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
