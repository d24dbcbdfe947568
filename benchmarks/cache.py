"""Cached vs uncached engine calls through the facade, server side, on the real Redis and the local cache."""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.common import median_ms, p95_ms, timings
from dashboard.settings import PROJECT_ROOT, Settings
from harness.tables import table

REDIS_URL = "redis://127.0.0.1:6379/14"


def _app(redis_url: str | None, folder: Path):
    from callbacks import UI
    from dashboard.data import demo, migrate
    from dashboard.data.db import make_engine
    from dashboard.factory import create_app

    settings = Settings.for_tests(
        folder, market_data_path=PROJECT_ROOT / "data" / "market", redis_url=redis_url
    )
    migrate.upgrade(settings)
    engine = make_engine(settings.database_url)
    demo.seed(engine, settings.market_data_path, households=2, transactions_per_account=1)
    engine.dispose()
    return create_app(settings, ui=UI)


def run() -> None:
    import redis

    from dashboard.analytics.optimisation import optimise
    from dashboard.analytics.requests import OptimisationRequest, SimulationRequest
    from dashboard.analytics.simulation import simulate
    from dashboard.extensions import cache
    from dashboard.factory import shutdown

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).flushdb()
        backends = {"redis": REDIS_URL, "local (diskcache)": None}
    except redis.RedisError:
        print("\nRedis not reachable on 127.0.0.1:6379: measuring the local cache only")
        backends = {"local (diskcache)": None}
    tickers = [
        "GOOG",
        "AAPL",
        "FB",
        "BABA",
        "AMZN",
        "GE",
        "AMD",
        "WMT",
        "BAC",
        "GM",
        "T",
        "UAA",
        "SHLD",
        "XOM",
        "RRC",
        "BBY",
        "MA",
        "PFE",
        "JPM",
        "SBUX",
    ]
    rows = []
    for name, url in backends.items():
        with tempfile.TemporaryDirectory() as tmp:
            app = _app(url, Path(tmp))
            with app.server.app_context():
                request = OptimisationRequest(tickers=tuple(tickers), objective="max_sharpe")
                sim = SimulationRequest(
                    model="gbm", months=360, paths=10_000, seed=1, monthly_contribution=1000.0, target=2e6
                )
                cache.invalidate(operation="optimisation")
                cache.invalidate(operation="market_data")
                cache.invalidate(operation="monte_carlo")
                # uncached: statistics from prices (read from the database) + optimisation, every time
                uncached = timings(lambda r=request: optimise(r, refresh=True), repeats=9, warmup=1)
                cached = timings(lambda r=request: optimise(r), repeats=200, warmup=5)
                mc_uncached = timings(lambda s=sim: simulate(s, refresh=True), repeats=7, warmup=1)
                mc_cached = timings(lambda s=sim: simulate(s), repeats=200, warmup=5)
            shutdown(app)
            rows.append(
                [
                    f"{name}: max Sharpe, 20 assets, incl. statistics from prices",
                    median_ms(uncached),
                    median_ms(cached),
                    p95_ms(cached),
                    median_ms(uncached) / median_ms(cached),
                ]
            )
            rows.append(
                [
                    f"{name}: Monte Carlo 10,000 x 360",
                    median_ms(mc_uncached),
                    median_ms(mc_cached),
                    p95_ms(mc_cached),
                    median_ms(mc_uncached) / median_ms(mc_cached),
                ]
            )
    table(
        "Cached engine facade, server side (targets: cached p50 <= 2 ms, ratio >= 50x)",
        ["operation", "uncached p50 ms", "cached p50 ms", "cached p95 ms", "ratio x"],
        rows,
    )
