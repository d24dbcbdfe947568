"""The Backtest form: which portfolios (current holdings, a saved optimisation, custom weights), the
benchmark, the window, the amount and its cash flows, fee and rebalancing."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from dashboard.analytics.requests import BacktestRequest, exact_weights
from dashboard.data.securities import SECURITIES
from dashboard.forms.fields import (
    CHOICE,
    DATE,
    NUMBER,
    SECURITY_CHOICES,
    SELECT,
    TEXT,
    Field,
    Form,
    FormErrors,
    source,
)

if TYPE_CHECKING:
    from dashboard.services.households import Portfolio

REBALANCE = (
    ("none", "Never (buy and hold)"),
    ("monthly", "Monthly"),
    ("quarterly", "Quarterly (Mar, Jun, Sep, Dec)"),
    ("annual", "Annually (December)"),
    ("bands", "When a weight drifts past the band"),
)
ROLLING = (("12", "12 months"), ("36", "36 months"), ("60", "60 months"))
CURRENT = "Current holdings"
CUSTOM = "Custom"

FORM = Form(
    "backtest",
    (
        Field(
            "current", "Current holdings", CHOICE, "yes", choices=(("yes", "Include"), ("no", "Leave out"))
        ),
        Field(
            "saved",
            "Saved optimisation",
            SELECT,
            "",
            required=False,
            help="Its optimal weights, from a run saved to one of the household's threads.",
        ),
        Field(
            "custom",
            "Custom weights (%)",
            TEXT,
            "",
            required=False,
            help="Tickers and percentages summing to 100, e.g. AAPL 40, XOM 30, JPM 30.",
        ),
        Field(
            "benchmark",
            "Benchmark",
            TEXT,
            "SPY",
            required=False,
            help="A ticker, or a mix such as SPY 60, XOM 40 (rebalanced monthly). Blank: none.",
        ),
        Field(
            "start",
            "Start month",
            DATE,
            None,
            required=False,
            help="Blank: the earliest month all can start.",
        ),
        Field(
            "late_assets",
            "Assets listed after the start",
            CHOICE,
            "refuse",
            choices=(
                ("refuse", "Name them and run nothing"),
                ("leave_out", "Leave them out, scale the rest to 100 %"),
            ),
        ),
        Field("end", "End month", DATE, None, required=False, help="Blank: the last whole month of prices."),
        Field("initial", "Initial amount", NUMBER, 10_000, 1, 1e12),
        Field("rebalance", "Rebalance", CHOICE, "annual", choices=REBALANCE),
        Field("band", "Band (percentage points)", NUMBER, 5.0, None, 100, required=False, percent=True),
        Field(
            "cash_flow",
            "Contribution per period",
            NUMBER,
            0,
            -1e10,
            1e10,
            help="Negative for a withdrawal.",
        ),
        Field(
            "frequency",
            "Cash flow every",
            CHOICE,
            "monthly",
            choices=(("monthly", "Month"), ("annual", "Year (December)")),
        ),
        Field("inflation", "Cash flow growth a year", NUMBER, 0.0, -20, 100, percent=True),
        Field("fee", "Annual fee", NUMBER, 0.0, 0, 20, percent=True),
        Field("risk_free_rate", "Risk-free rate", NUMBER, 2.0, -10, 50, percent=True),
        Field("rolling", "Rolling window", CHOICE, "36", choices=ROLLING),
    ),
)

_PAIR = re.compile(r"^\s*([A-Za-z][A-Za-z0-9.\-]{0,9})\s*[=:\s]\s*([-+]?\d+(?:\.\d+)?)\s*%?\s*$")


def _catalogue() -> set[str]:
    """Every ticker in the catalogue (the bundled securities until the app registers the database's)."""
    bundled = tuple((t, t) for t in SECURITIES)
    return {t for t, _ in source(SECURITY_CHOICES, lambda: bundled)()}


def parse_weights(raw: str, field: str, what: str) -> dict[str, float]:
    """``"AAPL 40, XOM 60"`` (or ``AAPL=40``) as fractions by ticker; FormErrors naming the field otherwise:
    an unknown ticker, a repeated one, a bad number, or percentages not summing to 100 (by how much)."""
    weights: dict[str, float] = {}
    known = _catalogue()
    for part in [p for p in re.split(r"[,;\n]", raw) if p.strip()]:
        match = _PAIR.match(part)
        if not match:
            raise FormErrors(
                {
                    field: f"{what}: write each as a ticker and a percentage, e.g. AAPL 40 ({part.strip()[:30]!r})."
                }
            )
        ticker, value = match.group(1).upper(), float(match.group(2))
        if ticker not in known:
            raise FormErrors({field: f"{what}: {ticker} is not in the catalogue."})
        if ticker in weights:
            raise FormErrors({field: f"{what}: {ticker} appears twice."})
        if not 0 <= value <= 100:
            raise FormErrors({field: f"{what}: the weight of {ticker} must be between 0 and 100 %."})
        weights[ticker] = value
    if not weights:
        raise FormErrors({field: f"{what}: name at least one ticker and its percentage."})
    total = sum(weights.values())
    if abs(total - 100) > 1e-6:
        side = "short of" if total < 100 else "over"
        raise FormErrors(
            {field: f"{what}: the weights sum to {total:.2f} %, {abs(100 - total):.2f} points {side} 100 %."}
        )
    return {t: w / 100 for t, w in weights.items() if w > 0}


def request(
    clean: dict, portfolio: Portfolio, household_name: str, saved: tuple[str, dict[str, float]] | None
) -> BacktestRequest:
    """The backtest the form asks for: ``saved`` is the chosen optimisation's (name, weights), if any."""
    portfolios: list[tuple[str, dict[str, float]]] = []
    if clean["current"] == "yes":
        if not portfolio.tickers:
            raise FormErrors(
                {"current": f"{household_name} holds no securities: leave the current holdings out."}
            )
        portfolios.append((CURRENT, dict(zip(portfolio.tickers, portfolio.weights, strict=True))))
    if saved is not None:
        portfolios.append(saved)
    if (clean["custom"] or "").strip():
        portfolios.append((CUSTOM, parse_weights(clean["custom"], "custom", "Custom weights")))
    if not portfolios:
        raise FormErrors(
            {
                "current": "Choose at least one portfolio: the current holdings, a saved optimisation or custom weights."
            }
        )
    benchmark: dict[str, float] = {}
    name = ""
    raw = (clean["benchmark"] or "").strip()
    if raw:
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9.\-]{0,9}", raw):
            ticker = raw.upper()
            if ticker not in _catalogue():
                raise FormErrors({"benchmark": f"Benchmark: {ticker} is not in the catalogue."})
            benchmark, name = {ticker: 1.0}, ticker
        else:
            benchmark = parse_weights(raw, "benchmark", "Benchmark")
            name = " / ".join(f"{t} {w * 100:g}" for t, w in benchmark.items())
    if clean["start"] and clean["end"] and clean["start"][:7] > clean["end"][:7]:
        raise FormErrors({"end": "The end month must not be before the start month."})
    if clean["rebalance"] == "bands" and (clean["band"] is None or clean["band"] <= 0):
        raise FormErrors({"band": "The band must be more than 0 percentage points."})
    return BacktestRequest(
        portfolios=tuple((n, tuple(zip(w, exact_weights(w.values()), strict=True))) for n, w in portfolios),
        benchmark=tuple(zip(benchmark, exact_weights(benchmark.values()), strict=True)),
        benchmark_name=name,
        start=clean["start"],
        end=clean["end"],
        initial=clean["initial"],
        rebalance=clean["rebalance"],
        band=clean["band"] if clean["rebalance"] == "bands" else None,
        cash_flow=clean["cash_flow"],
        frequency=clean["frequency"],
        inflation=clean["inflation"],
        fee=clean["fee"],
        risk_free_rate=clean["risk_free_rate"],
        rolling=(int(clean["rolling"]),),
        late_assets=clean["late_assets"],
    )
