"""Command line: ``python -m engine optimize|frontier|simulate|risk|retirement|backtest ...`` -> JSON on stdout.

Bad input prints one clear line on stderr and exits with 2; the engine's own
messages are the ones an analyst would see in the app.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from engine.backtest import FREQUENCIES, REBALANCE_RULES
from engine.errors import EngineError
from engine.montecarlo import DISTRIBUTIONS, MODELS
from engine.optimize import FROM_PRICES, RETURNS_MODELS, RISK_MODELS
from engine.retirement import STRATEGIES

DEFAULT_PRICES = Path(__file__).resolve().parent.parent / "data" / "market" / "stock_prices.csv"
DEFAULT_BENCHMARK = Path(__file__).resolve().parent.parent / "data" / "market" / "spy_prices.csv"


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would exit with 2 and usage; keep one clear line
        raise UsageError(message)


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        result = args.run(args)
    except (UsageError, EngineError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = json.dumps(_jsonable(result), indent=2, allow_nan=False)
    try:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head: the reader has what it wanted
        sys.stderr.close()
    return 0


# -- inputs ------------------------------------------------------------------------


def _load_prices(args) -> pd.DataFrame:
    path = Path(args.prices)
    try:
        frame = pd.read_csv(path, parse_dates=["date"], index_col="date")
    except FileNotFoundError:
        raise UsageError(f"no such prices file: {path}") from None
    except (ValueError, pd.errors.ParserError) as error:
        raise UsageError(
            f"cannot read {path} as prices (a 'date' column and one column per ticker): {error}"
        ) from None
    frame = (
        frame.apply(pd.to_numeric, errors="coerce")
        if not all(frame.dtypes.map(pd.api.types.is_numeric_dtype))
        else frame
    )
    if args.tickers:
        tickers = [t.strip() for t in args.tickers.split(",") if t.strip()]
        missing = [t for t in tickers if t not in frame.columns]
        if missing:
            raise UsageError(
                f"unknown ticker(s) {', '.join(missing)}; the file has {', '.join(frame.columns)}"
            )
        frame = frame[tickers]
    frame = frame.loc[args.start : args.end] if (args.start or args.end) else frame
    frame = frame.dropna(axis=0, how="all")
    if frame.empty:
        raise UsageError("no prices in the chosen date range")
    return frame


def _load_benchmark(args, index) -> pd.Series | None:
    path = Path(getattr(args, "benchmark_prices", None) or args.benchmark)
    if not path.exists():
        return None
    series = pd.read_csv(path, parse_dates=["date"], index_col="date").iloc[:, 0]
    return series


def _date(raw: str) -> str:
    try:
        pd.Timestamp(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a date (YYYY-MM-DD)") from None
    return raw


def _weights(raw: str | None, tickers) -> np.ndarray:
    if not raw:
        return np.full(len(tickers), 1.0 / len(tickers))
    parts = {}
    for item in raw.split(","):
        if "=" not in item:
            raise UsageError("weights look like AAPL=0.5,MSFT=0.5")
        name, value = item.split("=", 1)
        try:
            parts[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"weight for {name} is not a number") from None
    missing = [t for t in tickers if t not in parts]
    extra = [t for t in parts if t not in tickers]
    if missing or extra:
        raise UsageError(f"weights must name exactly the tickers {', '.join(tickers)}")
    return np.array([parts[t] for t in tickers])


def _common_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--prices", default=str(DEFAULT_PRICES), help="CSV: date column, one column per ticker")
    p.add_argument(
        "--benchmark", default=str(DEFAULT_BENCHMARK), help="CSV with date and the benchmark (SPY)"
    )
    p.add_argument("--tickers", help="comma-separated subset of the file's tickers")
    p.add_argument("--start", type=_date)
    p.add_argument("--end", type=_date)


def _stats_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--returns-model", default="mean_historical", choices=RETURNS_MODELS)
    p.add_argument("--risk-model", default="sample", choices=RISK_MODELS)
    p.add_argument("--risk-free-rate", type=float, default=0.0)
    p.add_argument("--min-weight", type=float, default=0.0)
    p.add_argument("--max-weight", type=float, default=1.0)


# -- commands ------------------------------------------------------------------------


def _statistics(args):
    from engine.optimize import estimate

    prices = _load_prices(args)
    benchmark = _load_benchmark(args, prices.index) if args.returns_model == "capm" else None
    return prices, estimate(
        prices, args.returns_model, args.risk_model, benchmark=benchmark, risk_free_rate=args.risk_free_rate
    )


def run_optimize(args):
    from engine.optimize import optimize

    prices, stats = _statistics(args)
    result = optimize(
        stats,
        args.objective,
        risk_free_rate=args.risk_free_rate,
        target_volatility=args.target_volatility,
        target_return=args.target_return,
        risk_aversion=args.risk_aversion,
        bounds=(args.min_weight, args.max_weight),
        returns=prices.pct_change().iloc[1:],
    )
    return result.as_dict()


def run_frontier(args):
    from engine.frontier import efficient_frontier

    _, stats = _statistics(args)
    return efficient_frontier(
        stats, args.points, risk_free_rate=args.risk_free_rate, bounds=(args.min_weight, args.max_weight)
    ).as_dict()


def run_simulate(args):
    from engine.montecarlo import CashFlows, ReturnModel, simulate

    if args.model == "gbm":
        model = ReturnModel.gbm(args.mu, args.sigma)
    else:
        prices = _load_prices(args)
        weights = _weights(args.weights, list(prices.columns))
        if args.model == "parametric":
            model = ReturnModel.parametric_from_prices(
                weights, prices, args.distribution, args.rebalance_months
            )
        else:
            model = ReturnModel.bootstrap_from_prices(
                weights, prices, args.block_months, args.rebalance_months
            )
    flows = CashFlows(
        args.initial,
        args.monthly_contribution,
        args.monthly_withdrawal,
        args.withdrawal_rate,
        args.withdrawal_start_month,
        args.inflation,
        args.fee,
    )
    months = _months(args.years)
    result = simulate(model, flows, months, args.paths, args.seed, args.target)
    return result.as_dict(include_paths=args.paths_output)


def run_risk(args):
    from engine.risk import risk_report

    prices = _load_prices(args)
    weights = _weights(args.weights, list(prices.columns))
    benchmark = _load_benchmark(args, prices.index)
    full = _load_prices(argparse.Namespace(**{**vars(args), "start": None, "end": None}))
    report = risk_report(
        prices, weights, benchmark, args.risk_free_rate, args.mc_paths, args.seed, stress_prices=full
    )
    return report.as_dict(include_series=args.series)


def run_retirement(args):
    from engine.montecarlo import ReturnModel
    from engine.retirement import RetirementPlan, simulate_and_solve, simulate_retirement

    model = ReturnModel.gbm(args.mu, args.sigma)
    plan = RetirementPlan(
        current_age=args.current_age,
        retirement_age=args.retirement_age,
        end_age=args.end_age,
        savings=args.savings,
        monthly_contribution=args.monthly_contribution,
        annual_spending=args.spending,
        annual_pension=args.pension,
        pension_start_age=args.pension_start_age,
        inflation=args.inflation,
        annual_fee=args.fee,
        strategy=args.strategy,
        withdrawal_rate=args.withdrawal_rate,
        vpw_real_return=args.vpw_real_return,
        spending_floor=args.spending_floor,
    )
    if args.solve_success is None:
        return simulate_retirement(model, plan, args.paths, args.seed).as_dict()
    result, solution = simulate_and_solve(model, plan, args.solve_success, args.paths, args.seed)
    return {**result.as_dict(), "solved_spending": solution.__dict__}


def run_backtest(args):
    from engine.backtest import Allocation, Settings, backtest

    everything = _load_prices(
        argparse.Namespace(**{**vars(args), "tickers": None, "start": None, "end": None})
    )
    benchmark_file = _load_benchmark(args, everything.index)
    if benchmark_file is not None and benchmark_file.name not in everything.columns:
        everything = everything.join(benchmark_file, how="left")
    tickers = _ticker_list(args.tickers) or (_ticker_list_of_weights(args.weights) if args.weights else [])
    if not tickers:
        raise UsageError("name the portfolio's --tickers (and --weights, default equal)")
    unknown = [t for t in tickers if t not in everything.columns]
    if unknown:
        raise UsageError(
            f"unknown ticker(s) {', '.join(unknown)}; the files have {', '.join(everything.columns)}"
        )
    weights = _weights(args.weights, tickers)
    portfolio = Allocation.of("Portfolio", dict(zip(tickers, weights.tolist(), strict=True)))
    benchmark = None
    if args.benchmark_ticker.lower() != "none":
        mix = args.benchmark_ticker
        names = _ticker_list_of_weights(mix) if "=" in mix else [mix.strip()]
        missing = [t for t in names if t not in everything.columns]
        if missing:
            raise UsageError(f"no prices for the benchmark's {', '.join(missing)}")
        parts = _weights(mix, names) if "=" in mix else np.array([1.0])
        benchmark = Allocation.of("Benchmark", dict(zip(names, parts.tolist(), strict=True)), "benchmark")
    settings = Settings(
        start=args.start,
        end=args.end,
        initial=args.initial,
        rebalance=args.rebalance,
        band=None if args.band is None else args.band / 100.0,
        cash_flow=args.contribution,
        frequency=args.contribution_frequency,
        inflation=args.inflation,
        fee=args.fee,
        risk_free_rate=args.risk_free_rate,
        rolling=tuple(_whole_list(args.rolling, "--rolling")),
        late_assets="leave_out" if args.leave_out_late else "refuse",
    )
    needed = list(dict.fromkeys([*tickers, *(benchmark.weights if benchmark else [])]))
    result = backtest(everything[needed], [portfolio], benchmark, settings)
    out = result.portfolios[0].as_dict(series=True)
    out["window"] = result.window.as_dict()
    out["notes"] = list(result.notes)
    out["benchmark"] = None if result.benchmark is None else result.benchmark.as_dict(series=False)
    return out


def _ticker_list(raw: str | None) -> list[str]:
    return [t.strip() for t in (raw or "").split(",") if t.strip()]


def _ticker_list_of_weights(raw: str) -> list[str]:
    return [item.split("=", 1)[0].strip() for item in raw.split(",") if item.strip()]


def _whole_list(raw: str, what: str) -> list[int]:
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"{what} takes whole numbers of months, e.g. 12,36,60") from None


def _months(years: float) -> int:
    months = years * 12
    if not math.isfinite(months) or months < 1 or abs(months - round(months)) > 1e-9:
        raise UsageError("--years must be a positive number of whole months (e.g. 30 or 2.5)")
    return int(round(months))


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m engine", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("optimize", help="optimal weights for an objective")
    _common_options(p)
    _stats_options(p)
    p.add_argument(
        "--objective",
        required=True,
        choices=FROM_PRICES,  # Black-Litterman needs views and market capitalisations: not offered here
    )
    p.add_argument("--target-volatility", type=float)
    p.add_argument("--target-return", type=float)
    p.add_argument("--risk-aversion", type=float, default=1.0)
    p.set_defaults(run=run_optimize)

    p = sub.add_parser("frontier", help="efficient frontier points")
    _common_options(p)
    _stats_options(p)
    p.add_argument("--points", type=int, default=50)
    p.set_defaults(run=run_frontier)

    p = sub.add_parser("simulate", help="Monte Carlo wealth simulation")
    _common_options(p)
    p.add_argument("--model", default="gbm", choices=MODELS)
    p.add_argument("--initial", type=float, required=True)
    p.add_argument("--years", type=float, required=True)
    p.add_argument("--paths", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--mu", type=float, default=0.07, help="annual drift (gbm)")
    p.add_argument("--sigma", type=float, default=0.15, help="annual volatility (gbm)")
    p.add_argument("--weights", help="TICKER=W,... (parametric, bootstrap; default equal)")
    p.add_argument("--distribution", default="normal", choices=DISTRIBUTIONS)
    p.add_argument("--rebalance-months", type=int, default=1)
    p.add_argument("--block-months", type=int, default=12)
    p.add_argument("--target", type=float, help="ending wealth in today's money")
    p.add_argument("--monthly-contribution", type=float, default=0.0)
    p.add_argument("--monthly-withdrawal", type=float, default=0.0)
    p.add_argument("--withdrawal-rate", type=float, default=0.0, help="annual fraction of wealth")
    p.add_argument("--withdrawal-start-month", type=int, default=0)
    p.add_argument("--inflation", type=float, default=0.0)
    p.add_argument("--fee", type=float, default=0.0, help="annual fee, fraction")
    p.add_argument("--paths-output", action="store_true", help="include the percentile paths")
    p.set_defaults(run=run_simulate)

    p = sub.add_parser("risk", help="risk metrics, VaR/CVaR and stress tests for weights")
    _common_options(p)
    p.add_argument("--weights", help="TICKER=W,... (default equal)")
    p.add_argument("--risk-free-rate", type=float, default=0.0)
    p.add_argument("--mc-paths", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--series", action="store_true", help="include the drawdown series")
    p.set_defaults(run=run_risk)

    p = sub.add_parser("retirement", help="retirement plan success and spending")
    p.add_argument("--current-age", type=int, required=True)
    p.add_argument("--retirement-age", type=int, required=True)
    p.add_argument("--end-age", type=int, default=95)
    p.add_argument("--savings", type=float, required=True)
    p.add_argument("--monthly-contribution", type=float, default=0.0)
    p.add_argument("--spending", type=float, help="annual, today's money (default: 4 % rule)")
    p.add_argument("--pension", type=float, default=0.0)
    p.add_argument("--pension-start-age", type=int)
    p.add_argument(
        "--strategy",
        default="constant_real",
        choices=STRATEGIES,
    )
    p.add_argument("--withdrawal-rate", type=float, default=0.04)
    p.add_argument("--vpw-real-return", type=float, default=0.04)
    p.add_argument("--spending-floor", type=float, default=0.0)
    p.add_argument("--mu", type=float, default=0.06)
    p.add_argument("--sigma", type=float, default=0.12)
    p.add_argument("--inflation", type=float, default=0.02)
    p.add_argument("--fee", type=float, default=0.0)
    p.add_argument("--paths", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--solve-success", type=float, help="also solve the highest spending at this success rate")
    p.set_defaults(run=run_retirement)

    p = sub.add_parser("backtest", help="how fixed target weights would have done, month-end to month-end")
    p.add_argument("--prices", default=str(DEFAULT_PRICES), help="CSV: date column, one column per ticker")
    p.add_argument(
        "--benchmark-prices",
        dest="benchmark_prices",
        default=str(DEFAULT_BENCHMARK),
        help="CSV with date and a benchmark column (SPY)",
    )
    p.add_argument("--tickers", help="comma-separated tickers of the portfolio")
    p.add_argument("--weights", help="TICKER=W,... summing to 1 (default equal)")
    p.add_argument("--start", type=_date, help="its month is the first (default: the earliest all can start)")
    p.add_argument("--end", type=_date, help="its month is the last (default: the last whole month)")
    p.add_argument("--initial", type=float, default=10_000.0)
    p.add_argument("--rebalance", default="annual", choices=REBALANCE_RULES)
    p.add_argument("--band", type=float, help="bands: percentage points of drift that trigger a rebalance")
    p.add_argument("--contribution", type=float, default=0.0, help="per period; negative: a withdrawal")
    p.add_argument("--contribution-frequency", default="monthly", choices=FREQUENCIES)
    p.add_argument("--inflation", type=float, default=0.0, help="annual growth of the contribution")
    p.add_argument("--fee", type=float, default=0.0, help="annual fee (expense ratio), fraction")
    p.add_argument(
        "--benchmark", dest="benchmark_ticker", default="SPY", help="a ticker, a mix TICKER=W,..., or none"
    )
    p.add_argument("--risk-free-rate", type=float, default=0.0)
    p.add_argument("--rolling", default="12,36,60", help="rolling windows in months")
    p.add_argument(
        "--leave-out-late",
        action="store_true",
        help="leave out assets with no price before the start (the rest scaled to 100 %%) instead of refusing",
    )
    p.set_defaults(run=run_backtest)
    return parser


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
