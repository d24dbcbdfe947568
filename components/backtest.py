"""Backtest: panels from an ``engine.backtest.Backtest`` (window, statistics side by side, growth, annual
returns, drawdowns, rolling returns, drawdown episodes)."""

from __future__ import annotations

import math

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.formatting import money, percent
from components.graphs import MONEY_TICKS, graph
from components.ids import BT
from components.tables import scrolling

# Okabe-Ito: told apart with colour-vision deficiency; the benchmark is also dashed
COLOURS = ("#0072B2", "#D55E00", "#009E73")
BENCHMARK_COLOUR = "#555555"
METHOD_PATH = "/backtest/method"
EPISODES_SHOWN = 5


def _series(result) -> list:
    """(portfolio result, colour, dashed) for the portfolios, then the benchmark."""
    rows = [(p, COLOURS[i % len(COLOURS)], False) for i, p in enumerate(result.portfolios)]
    if result.benchmark is not None:
        rows.append((result.benchmark, BENCHMARK_COLOUR, True))
    return rows


def _line(name: str, colour: str, dashed: bool) -> dict:
    return {"color": colour, "width": 1.6, **({"dash": "dash"} if dashed else {})}


def _layout(title: str, height: int, **extra) -> dict:
    return {
        "title": {"text": title, "font": {"size": 15}, "x": 0.02},
        "height": height,
        "margin": {"l": 60, "r": 10, "t": 40, "b": 30},
        "legend": {"orientation": "h", "y": -0.15},
        "hovermode": "x unified",
        **extra,
    }


def _month_end_lines(result, values_of, hover: str) -> list[dict]:
    """One line per portfolio (and the benchmark) over the window's month-ends."""
    dates = [d.date().isoformat() for d in result.window.dates]
    return [
        {
            "type": "scatter",
            "mode": "lines",
            "name": p.name,
            "x": dates,
            "y": values_of(p),
            "line": _line(p.name, colour, dashed),
            "hovertemplate": hover,
        }
        for p, colour, dashed in _series(result)
    ]


def growth_figure(result, log: bool = False) -> dict:
    traces = _month_end_lines(result, lambda p: [round(float(v), 2) for v in p.values], "%{y:$,.0f}")
    axis = {**MONEY_TICKS, "type": "log" if log else "linear"}
    return {"data": traces, "layout": _layout("Value at each month-end", 340, yaxis=axis)}


def annual_figure(result) -> dict:
    traces = [
        {
            "type": "bar",
            "name": p.name,
            "x": [str(y) for y in p.annual_returns],
            "y": [round(r, 6) for r in p.annual_returns.values()],
            "marker": {"color": colour},
            "hovertemplate": "%{y:.1%}",
        }
        for p, colour, _ in _series(result)
    ]
    return {
        "data": traces,
        "layout": _layout("Calendar-year returns", 300, barmode="group", yaxis={"tickformat": ".0%"}),
    }


def underwater_figure(result) -> dict:
    traces = _month_end_lines(result, lambda p: [round(float(v), 6) for v in p.underwater], "%{y:.1%}")
    return {
        "data": traces,
        "layout": _layout("Drawdown from the running peak", 300, yaxis={"tickformat": ".0%"}),
    }


def rolling_figure(result, window: int) -> dict:
    traces = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": p.name,
            "x": [m for m, _ in p.rolling[window]],
            "y": [round(v, 6) for _, v in p.rolling[window]],
            "line": _line(p.name, colour, dashed),
            "hovertemplate": "%{y:.1%}",
        }
        for p, colour, dashed in _series(result)
    ]
    title = f"Rolling {window}-month returns" + (", annualised" if window > 12 else "")
    return {"data": traces, "layout": _layout(title, 300, yaxis={"tickformat": ".0%"})}


def _number(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if kind == "percent":
        return percent(value, 2)
    if kind == "money":
        return money(value)
    if kind == "ratio":
        return f"{value:.2f}"
    return str(value)


# (key, label, format, relative to the benchmark)
STATISTICS = (
    ("final_value", "Final value", "money", False),
    ("total_contributions", "Contributions", "money", False),
    ("total_withdrawals", "Withdrawals", "money", False),
    ("cagr", "CAGR", "percent", False),
    ("mwr", "Money-weighted return (IRR)", "percent", False),
    ("annualised_return", "Time-weighted return, annualised", "percent", False),
    ("volatility", "Volatility", "percent", False),
    ("sharpe", "Sharpe ratio", "ratio", False),
    ("sortino", "Sortino ratio", "ratio", False),
    ("max_drawdown", "Max drawdown", "percent", False),
    ("calmar", "Calmar ratio", "ratio", False),
    ("ulcer_index", "Ulcer index", "ratio", False),
    ("best_year", "Best year", "percent", False),
    ("worst_year", "Worst year", "percent", False),
    ("best_month", "Best month", "percent", False),
    ("worst_month", "Worst month", "percent", False),
    ("positive_months", "Positive months", "percent", False),
    ("beta", "Beta", "ratio", True),
    ("alpha", "Alpha (annualised)", "percent", True),
    ("correlation", "Correlation", "ratio", True),
    ("r_squared", "R²", "ratio", True),
    ("upside_capture", "Upside capture", "percent", True),
    ("downside_capture", "Downside capture", "percent", True),
    ("tracking_error", "Tracking error", "percent", True),
    ("information_ratio", "Information ratio", "ratio", True),
)


def shown_statistics(result) -> list[tuple[str, str, str, bool]]:
    """The rows the statistics table has for this backtest: flows' rows only with flows, CAGR only without,
    the money-weighted return only with, the benchmark-relative rows only with a benchmark."""
    flows = any(p.statistics["cagr"] is None for p in result.portfolios)
    rows = []
    for key, label, kind, relative in STATISTICS:
        if relative and result.benchmark is None:
            continue
        if (
            key in ("cagr",)
            and flows
            or key in ("mwr", "total_contributions", "total_withdrawals")
            and not flows
        ):
            continue
        if key == "total_withdrawals" and not any(p.statistics[key] for p in result.portfolios):
            continue
        if key == "total_contributions" and not any(p.statistics[key] for p in result.portfolios):
            continue
        rows.append((key, label, kind, relative))
    return rows


def statistic(p, key: str):
    if key in p.statistics:
        return p.statistics[key]
    return (p.relative or {}).get(key)


def statistics_table(result) -> dbc.Table:
    columns = _series(result)
    header = html.Thead(
        html.Tr(
            [html.Th("Statistic", scope="col")]
            + [html.Th(p.name, scope="col", className="text-end") for p, _, _ in columns]
        )
    )
    body = []
    for key, label, kind, relative in shown_statistics(result):
        cells = [html.Th(label, scope="row", className="fw-normal")]
        for p, _, _ in columns:
            value = None if relative and p is result.benchmark else statistic(p, key)
            cells.append(html.Td(_number(value, kind), className="text-end", **{"data-key": key}))
        body.append(html.Tr(cells))
    return scrolling(
        dbc.Table([header, html.Tbody(body)], size="sm", id=BT.STATISTICS), "Backtest statistics"
    )


def annual_table(result) -> dbc.Table:
    columns = _series(result)
    years = list(dict.fromkeys(y for p, _, _ in columns for y in p.annual_returns))
    partial = set(result.portfolios[0].partial_years)
    header = html.Thead(
        html.Tr(
            [html.Th("Year", scope="col")]
            + [html.Th(p.name, scope="col", className="text-end") for p, _, _ in columns]
        )
    )
    body = [
        html.Tr(
            [html.Th(f"{y}{' (part)' if y in partial else ''}", scope="row", className="fw-normal")]
            + [
                html.Td(_number(p.annual_returns.get(y), "percent"), className="text-end")
                for p, _, _ in columns
            ]
        )
        for y in years
    ]
    return scrolling(dbc.Table([header, html.Tbody(body)], size="sm", id=BT.ANNUAL_TABLE), "Annual returns")


def drawdowns_table(result) -> dbc.Table:
    header = html.Thead(
        html.Tr(
            [
                html.Th(h, scope="col")
                for h in (
                    "Portfolio",
                    "Peak",
                    "Trough",
                    "Recovered",
                    "Depth",
                    "Length (months)",
                    "Months to recover",
                )
            ]
        )
    )
    body = [
        html.Tr(
            [
                html.Td(p.name),
                html.Td(d.peak),
                html.Td(d.trough),
                html.Td(d.recovery or "not yet"),
                html.Td(percent(d.depth), className="text-end"),
                html.Td(str(d.length), className="text-end"),
                html.Td(
                    "—" if d.months_to_recover is None else str(d.months_to_recover), className="text-end"
                ),
            ]
        )
        for p, _, _ in _series(result)
        for d in p.drawdowns[:EPISODES_SHOWN]
    ]
    return scrolling(dbc.Table([header, html.Tbody(body)], size="sm", id=BT.DRAWDOWNS), "Largest drawdowns")


def window_text(result) -> str:
    w = result.window
    s = result.settings
    rule = {
        "none": "never rebalanced",
        "monthly": "rebalanced monthly",
        "quarterly": "rebalanced quarterly",
        "annual": "rebalanced each December",
    }.get(s.rebalance) or f"rebalanced when a weight drifts more than {s.band * 100:g} points"
    text = (
        f"{w.first.strftime('%B %Y')} to {w.last.strftime('%B %Y')}, {w.count} months: valued from the close of "
        f"{w.dates[0]:%Y-%m-%d} to the close of {w.dates[-1]:%Y-%m-%d}, {money(s.initial)} at the start, {rule}"
    )
    if s.cash_flow:
        what = "contributed" if s.cash_flow > 0 else "withdrawn"
        every = "each month" if s.frequency == "monthly" else "each December"
        grown = f", growing {s.inflation * 100:g} % a year" if s.inflation else ""
        text += f"; {money(abs(s.cash_flow))} {what} {every}{grown}"
    if s.fee:
        text += f"; a fee of {s.fee * 100:g} % a year"
    if result.benchmark is not None:
        text += f"; benchmark {result.benchmark.name} (rebalanced monthly, no fee)"
    return text + "."


def weights_text(result) -> str:
    return " · ".join(
        f"{p.name}: "
        + ", ".join(f"{t} {w * 100:.1f} %" for t, w in sorted(p.weights.items(), key=lambda kv: -kv[1])[:8])
        + (" …" if len(p.weights) > 8 else "")
        for p in result.portfolios
    )


def results_panel(result, described: str, rolling: int) -> html.Div:
    notes = [html.Li(n) for n in result.notes]
    return html.Div(
        [
            html.P(
                [
                    f"{described}. {window_text(result)} ",
                    dcc.Link("How each figure is computed", href=METHOD_PATH),
                    ".",
                ],
                className="small text-muted",
                id=BT.WINDOW,
            ),
            html.P(weights_text(result), className="small text-muted"),
            html.Ul(notes, className="small text-warning-emphasis") if notes else None,
            html.H2("Statistics", className="h6 mt-2"),
            statistics_table(result),
            dbc.Switch(id=BT.LOG_SCALE, label="Log scale", value=False, className="small mb-0"),
            graph(BT.GROWTH, growth_figure(result)),
            graph(BT.ANNUAL, annual_figure(result)),
            graph(BT.UNDERWATER, underwater_figure(result)),
            graph(BT.ROLLING, rolling_figure(result, rolling)),
            html.H2("Calendar-year returns", className="h6 mt-2"),
            annual_table(result),
            html.H2("Deepest drawdowns", className="h6 mt-2"),
            drawdowns_table(result),
            html.P(
                "Past performance, computed from historical prices, does not predict future returns. "
                "No taxes or trading costs are counted; dividends only as far as the prices include them.",
                className="small text-muted",
            ),
        ]
    )


def csv_rows(result) -> tuple[list[str], list[list]]:
    rows: list[list] = []
    for p, _, _ in _series(result):
        for key, _, _, _ in shown_statistics(result):
            value = statistic(p, key)
            if value is not None:
                rows.append(["statistic", p.name, key, value])
        rows += [["annual_return", p.name, str(y), r] for y, r in p.annual_returns.items()]
        rows += [
            ["month", p.name, m, None if math.isnan(r) else r]
            for m, r in zip(p.months[1:], p.returns, strict=True)
        ]
        rows += [["value", p.name, m, float(v)] for m, v in zip(p.months, p.values, strict=True)]
    return ["section", "portfolio", "name", "value"], rows
