"""The optimisation form: universe, history, models, objective, constraints, views; and the request it makes.

Sector limits and Black-Litterman views are typed as text and parsed here,
with the message shown beside their field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dashboard.analytics.requests import OptimisationRequest
from dashboard.data.securities import SECTORS, SECURITIES, sector_of
from dashboard.forms.fields import (
    CHOICE,
    DATE,
    INTEGER,
    MULTI,
    NUMBER,
    SECTOR_OF,
    SECURITY_CHOICES,
    TEXT,
    Field,
    Form,
    FormErrors,
    source,
)
from dashboard.forms.simulation import FIRM, assumptions_field

if TYPE_CHECKING:
    from dashboard.services.assumptions import AssumptionsRef
    from dashboard.services.households import Portfolio

OBJECTIVES = (
    ("max_sharpe", "Max Sharpe ratio"),
    ("min_volatility", "Min volatility"),
    ("efficient_risk", "Efficient risk (target volatility)"),
    ("efficient_return", "Efficient return (target return)"),
    ("max_quadratic_utility", "Max quadratic utility"),
    ("hrp", "Hierarchical risk parity"),
    ("black_litterman", "Black-Litterman with views"),
)
OBJECTIVE_LABELS = dict(OBJECTIVES)
MAX_VIEWS = 20
FORM = Form(
    "opt",
    (
        Field(
            "universe",
            "Assets",
            CHOICE,
            "holdings",
            choices=(("holdings", "The household's holdings"), ("custom", "Chosen below")),
        ),
        Field(
            "tickers",
            "Chosen assets",
            MULTI,
            [],
            required=False,
            choices=tuple((t, f"{t} · {name}") for t, (name, _) in SECURITIES.items()),
            source=SECURITY_CHOICES,
        ),
        Field("start", "History from", DATE, "2013-04-11", required=False),
        Field("end", "History to", DATE, None, required=False),
        Field(
            "returns_model",
            "Expected returns",
            CHOICE,
            FIRM,
            choices=(
                (FIRM, "Firm assumptions"),
                ("mean_historical", "Historical mean (CAGR)"),
                ("ema", "Historical, exponentially weighted"),
                ("capm", "Historical CAPM vs SPY"),
            ),
            help="Firm assumptions: the firm's forecasts; the others estimate from the history below.",
        ),
        assumptions_field(),
        Field(
            "risk_model",
            "Risk model",
            CHOICE,
            "ledoit_wolf",
            choices=(
                ("sample", "Sample covariance"),
                ("ledoit_wolf", "Ledoit-Wolf shrinkage"),
                ("exponential", "Exponential"),
            ),
        ),
        Field("objective", "Objective", CHOICE, "max_sharpe", choices=OBJECTIVES),
        Field("risk_free_rate", "Risk-free rate", NUMBER, 2.0, -10, 50, percent=True),
        Field("target_volatility", "Target volatility", NUMBER, None, 0.1, 100, required=False, percent=True),
        Field("target_return", "Target return", NUMBER, None, -100, 100, required=False, percent=True),
        Field("risk_aversion", "Risk aversion", NUMBER, 1.0, 0.01, 100),
        Field("min_weight", "Min weight", NUMBER, 0.0, -100, 100, percent=True),
        Field("max_weight", "Max weight", NUMBER, 100.0, -100, 100, percent=True),
        Field("sector_max", "Max per sector", NUMBER, None, 1, 100, required=False, percent=True),
        Field(
            "sector_limits",
            "Sector limits",
            TEXT,
            "",
            required=False,
            help="e.g. Energy<=20; Financials>=10 (percent)",
        ),
        Field(
            "views",
            "Black-Litterman views",
            TEXT,
            "",
            required=False,
            help="One per line or ';': AAPL 12 60 (12 % a year, 60 % confident); AAPL>GE 3 50",
        ),
        Field("bl_objective", "Optimise the posterior for", CHOICE, "max_sharpe", choices=OBJECTIVES[:5]),
        Field("cash", "Cash to allocate ($)", NUMBER, 100_000.0, 1, 1e10),
        Field("points", "Frontier points", INTEGER, 40, 5, 100),
    ),
)

_LIMIT = re.compile(r"^\s*(?P<sector>[A-Za-z &]+?)\s*(?P<op><=|>=)\s*(?P<value>\d+(\.\d+)?)\s*%?\s*$")
_VIEW = re.compile(
    r"^\s*(?P<asset>[A-Z]{1,6})(\s*>\s*(?P<versus>[A-Z]{1,6}))?\s+(?P<value>-?\d+(\.\d+)?)\s*%?"
    r"(\s+(?P<confidence>\d+(\.\d+)?)\s*%?)?\s*$"
)


@dataclass(frozen=True)
class Scenario:
    """What the form asks for: the request, the household's current weights among its assets, a
    description, and the firm's set the result is compared with (None: none in force)."""

    request: OptimisationRequest
    current: dict[str, float] | None
    described: str
    points: int
    cash: float
    assumptions: int | None = None


def _items(text: str) -> list[str]:
    return [part for line in (text or "").splitlines() for part in line.split(";") if part.strip()]


def parse_sector_limits(text: str, sector_max: float | None) -> tuple[dict, dict]:
    """``Energy<=20; Financials>=10`` -> (lower, upper) fractions by sector; FormErrors names the bad part."""
    lower: dict[str, float] = {}
    upper: dict[str, float] = dict.fromkeys(SECTORS, sector_max) if sector_max is not None else {}
    for item in _items(text):
        found = _LIMIT.match(item)
        if not found:
            raise FormErrors({"sector_limits": f"Cannot read {item.strip()[:40]!r}: write e.g. Energy<=20."})
        sector = next((s for s in SECTORS if s.lower() == found["sector"].strip().lower()), None)
        if sector is None:
            raise FormErrors(
                {
                    "sector_limits": f"Unknown sector {found['sector'].strip()[:30]!r}; "
                    f"sectors: {', '.join(SECTORS)}."
                }
            )
        value = float(found["value"]) / 100
        if value > 1:
            raise FormErrors({"sector_limits": f"The limit for {sector} must be at most 100 %."})
        (upper if found["op"] == "<=" else lower)[sector] = value
    return lower, upper


def parse_views(text: str, tickers: tuple[str, ...]) -> tuple[tuple[str, float, float, str | None], ...]:
    """``AAPL 12 60; AAPL>GE 3 50`` -> (asset, annual return, confidence, versus) on the chosen assets."""
    views = []
    items = _items(text)
    if len(items) > MAX_VIEWS:
        raise FormErrors({"views": f"Give at most {MAX_VIEWS} views."})
    for item in items:
        found = _VIEW.match(item)
        if not found:
            raise FormErrors(
                {
                    "views": f"Cannot read the view {item.strip()[:40]!r}: write e.g. AAPL 12 60 or AAPL>GE 3 50."
                }
            )
        for name in (found["asset"], found["versus"]):
            if name is not None and name not in tickers:
                raise FormErrors({"views": f"A view names {name}, which is not among the chosen assets."})
        value = float(found["value"]) / 100
        confidence = float(found["confidence"]) / 100 if found["confidence"] else 0.5
        if not -1.0 <= value <= 2.0:
            raise FormErrors({"views": f"The view on {found['asset']} must be between -100 % and 200 %."})
        if not 0.01 <= confidence <= 1.0:
            raise FormErrors({"views": f"The confidence on {found['asset']} must be between 1 % and 100 %."})
        views.append((found["asset"], value, confidence, found["versus"]))
    return tuple(views)


def scenario(
    clean: dict, portfolio: Portfolio, household_name: str, assumptions: AssumptionsRef | None = None
) -> Scenario:
    """The optimisation ``clean`` values ask for, on the household's holdings or the chosen assets;
    ``assumptions``: the firm's set (needed for the firm's expected returns)."""
    held = dict(zip(portfolio.tickers, portfolio.weights, strict=True))
    if clean["universe"] == "holdings":
        tickers = tuple(portfolio.tickers)
        if len(tickers) < 2:
            raise FormErrors(
                {"universe": f"{household_name} holds fewer than two securities; choose the assets instead."}
            )
        described = f"{household_name}'s {len(tickers)} holdings"
    else:
        tickers = tuple(clean["tickers"])
        if len(tickers) < 2:
            raise FormErrors({"tickers": "Choose at least two assets."})
        described = f"{len(tickers)} chosen assets"
    if clean["start"] and clean["end"] and clean["start"] >= clean["end"]:
        raise FormErrors({"end": "History to must be after History from."})
    if clean["min_weight"] > clean["max_weight"]:
        raise FormErrors({"max_weight": "Max weight must be at least the min weight."})
    if clean["returns_model"] == FIRM and assumptions is None:
        raise FormErrors({"returns_model": "No firm assumptions are in force; choose a historical estimate."})
    lower, upper = parse_sector_limits(clean["sector_limits"], clean["sector_max"])
    sector = source(SECTOR_OF, sector_of)
    in_universe = {sector(t) for t in tickers}
    request = OptimisationRequest(
        tickers=tickers,
        start=clean["start"],
        end=clean["end"],
        objective=clean["objective"],
        returns_model=clean["returns_model"],
        assumptions=assumptions.id if clean["returns_model"] == FIRM else None,
        risk_model=clean["risk_model"],
        risk_free_rate=clean["risk_free_rate"],
        target_volatility=clean["target_volatility"],
        target_return=clean["target_return"],
        risk_aversion=clean["risk_aversion"],
        min_weight=clean["min_weight"],
        max_weight=clean["max_weight"],
        sector_lower=tuple(sorted((s, v) for s, v in lower.items() if s in in_universe)),
        sector_upper=tuple(sorted((s, v) for s, v in upper.items() if s in in_universe)),
        views=parse_views(clean["views"], tickers),
        bl_objective=clean["bl_objective"],
    )
    overlap = {t: w for t, w in held.items() if t in tickers}
    current = overlap if overlap and sum(overlap.values()) > 0 else None
    firm_set = None if assumptions is None else assumptions.id
    return Scenario(request, current, described, clean["points"], clean["cash"], firm_set)
