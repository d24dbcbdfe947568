"""The client report as one component tree: the printable page shows it, and the PDF is laid out from
it (``dashboard/printing.py`` writes it as HTML, each chart drawn as SVG from the same figure).

Sections reuse the pages' own tables and figure builders, so the report prints what each page shows
for the same run. Every chart has a caption saying what it shows with its headline numbers.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import backtest as bt_parts
from components import optimisation as opt_parts
from components import risk as risk_parts
from components import tax as tax_parts
from components.formatting import money, percent
from components.goals import probability_figure
from components.ids import REPORT
from components.monte_carlo import fan_chart
from components.overview import allocation_figure
from components.retirement import wealth_figure
from components.tables import scrolling
from dashboard.forms.report import SECTION_TITLES

REPORT_FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
STRATEGIES = {
    "constant_real": "constant real amount (the 4 % rule)",
    "constant_percentage": "constant percentage of wealth",
    "guardrails": "guardrails (Guyton-Klinger)",
    "vpw": "variable percentage withdrawal (VPW)",
}
OBJECTIVES = {
    "max_sharpe": "the highest Sharpe ratio",
    "min_volatility": "the lowest volatility",
    "efficient_risk": "the highest return for a target volatility",
    "efficient_return": "the lowest volatility for a target return",
    "max_quadratic_utility": "the highest risk-adjusted utility",
    "hrp": "hierarchical risk parity",
    "black_litterman": "Black-Litterman with the adviser's views",
}


def run_label(run, thread_title: str) -> str:
    """A saved run as the composer lists it."""
    figures = ", ".join(f"{k.replace('_', ' ')} {_short(v)}" for k, v in list(run.summary.items())[:2])
    return f"#{run.id} · {thread_title} · {run.created_at:%d %b %Y}" + (f" · {figures}" if figures else "")


def _short(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)[:30]


def pdf_ready(href: str, filename: str, size: int, seconds: float) -> dbc.Alert:
    """The finished PDF's link, with its size and how long it took."""
    return dbc.Alert(
        [
            html.A(f"Download {filename}", href=href, id=REPORT.PDF_LINK, download=filename),
            f" ({size / 1024 / 1024:.1f} MB, made in {seconds:.1f} s; kept for a day).",
        ],
        color="success",
        className="small py-2",
    )


# -- charts -------------------------------------------------------------------------------------------


def _printable(figure: dict) -> dict:
    """A page's figure as the report draws it: white, the report's font, no hover labels."""
    layout = dict(figure.get("layout") or {})
    layout.update(
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        font={**(layout.get("font") or {}), "family": REPORT_FONT},
        hovermode=False,
    )
    return {**figure, "layout": layout}


def chart(chart_id: str, figure: dict, summary: str) -> html.Figure:
    """A chart and its caption (the text alternative: what it shows, with its headline numbers)."""
    figure = _printable(figure)
    height = figure["layout"].get("height") or 360
    return html.Figure(
        [
            dcc.Graph(
                id=chart_id,
                figure=figure,
                config={"staticPlot": True, "displayModeBar": False, "responsive": True},
                style={"height": f"{height}px"},
            ),
            html.Figcaption(summary, className="small text-muted"),
        ],
        className="report-figure",
    )


def figures_of(tree) -> dict[str, tuple[dict, str]]:
    """Every chart in a report tree, by its id: (its figure, its caption), what the PDF draws."""
    found: dict[str, tuple[dict, str]] = {}

    def walk(node):
        if isinstance(node, list | tuple):
            for child in node:
                walk(child)
        elif isinstance(node, html.Figure) and "report-figure" in (node.className or ""):
            graph, caption = node.children
            found[graph.id] = (graph.figure, caption.children)
        elif hasattr(node, "children"):
            walk(node.children)

    walk(tree)
    return found


# -- pieces ---------------------------------------------------------------------------------------------


def _facts(rows: list[tuple[str, str]], table_id: str | None = None) -> dbc.Table:
    """Key figures as a two-column table (label, value)."""
    body = [
        html.Tr(
            [
                html.Th(label, scope="row", className="fw-normal"),
                html.Td(value, className="text-end fw-semibold"),
            ]
        )
        for label, value in rows
    ]
    table = dbc.Table(html.Tbody(body), size="sm", className="report-facts")
    if table_id is not None:
        table.id = table_id
    return table


def _section(key: str, title: str, source: str | None, body: list, printed: bool, link: str | None = None):
    intro = []
    if source is not None:
        shown = [f"Shows {source}."]
        if link is not None and not printed:
            shown += [" ", dcc.Link("Open it on its page", href=link)]
        intro.append(html.P(shown, className="small text-muted report-source"))
    return html.Section(
        [html.H2(title, id=f"report-{key}"), *intro, *body],
        className="report-section",
        **{"aria-labelledby": f"report-{key}"},
    )


def _link(shown) -> str:
    paths = {
        "backtest": "/backtest",
        "risk": "/risk",
        "opt": "/optimisation",
        "goalsim": "/goals",
        "mc": "/monte-carlo",
        "ret": "/retirement",
        "tax": "/tax",
    }
    return dash.get_relative_path(paths[shown.page]) + shown.scenario


# -- the sections ---------------------------------------------------------------------------------------


def cover(report) -> html.Header:
    c = report.composition
    parts = []
    if report.logo:
        parts.append(html.Img(src=report.logo, alt=report.firm_name, className="report-logo"))
    parts += [
        html.P(report.firm_name, className="report-firm"),
        html.H1(c.title, className="report-title"),
        html.P(
            ["Prepared for the ", html.Span(report.household.name, className="report-household")],
            className="report-for",
        ),
        _facts(
            [
                ("Prepared by", report.analyst),
                ("Report date", f"{c.date:%d %B %Y}"),
                (
                    "Market data as of",
                    f"{report.prices_as_of.date:%d %B %Y}" if report.prices_as_of.date else "—",
                ),
                ("Firm assumptions in force", report.assumptions.label if report.assumptions else "none"),
            ],
            REPORT.COVER_FACTS,
        ),
    ]
    if c.note:
        parts.append(
            html.Div(
                [html.H2("A note from your adviser", className="h6"), html.P(c.note, className="report-note")]
            )
        )
    parts.append(
        html.P(
            "The projections and backtests in this review are hypothetical illustrations, not guarantees: "
            "see Methodology and disclosures.",
            className="small text-muted",
        )
    )
    return html.Header(parts, className="report-cover")


def contents(report) -> html.Nav:
    entries = [(key, SECTION_TITLES[key]) for key in report.composition.sections]
    entries.append(("methodology", "Methodology and disclosures"))
    return html.Nav(
        [
            html.H2("Contents", id="report-contents"),
            html.Ol(
                [
                    html.Li(html.A(title, href=f"#report-{key}", className="report-toc"))
                    for key, title in entries
                ]
            ),
        ],
        className="report-contents",
        **{"aria-labelledby": "report-contents"},
    )


def summary(report, printed: bool):
    snap = report.snapshot
    by_sector = snap.allocation_by("sector")
    by_security = snap.allocation_by("ticker")
    total = sum(by_security.values()) or 1.0
    largest = max(by_sector, key=by_sector.get) if by_sector else "—"
    holdings = scrolling(
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th("Holding"),
                            html.Th("Value", className="text-end"),
                            html.Th("Share", className="text-end"),
                        ]
                    )
                ),
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(name),
                                html.Td(money(value), className="text-end"),
                                html.Td(percent(value / total), className="text-end"),
                            ]
                        )
                        for name, value in by_security.items()
                    ]
                ),
            ],
            size="sm",
            id=REPORT.HOLDINGS,
        ),
        "Holdings",
    )
    accounts = scrolling(
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th(h, className="text-end" if h in ("Invested", "Cash", "Value") else None)
                            for h in ("Account", "Institution", "Invested", "Cash", "Value")
                        ]
                    )
                ),
                html.Tbody(
                    [
                        html.Tr(
                            [
                                html.Td(a.name),
                                html.Td(a.institution),
                                html.Td(money(a.invested), className="text-end"),
                                html.Td(money(a.cash), className="text-end"),
                                html.Td(money(a.value), className="text-end"),
                            ]
                        )
                        for a in snap.accounts
                    ]
                    + [
                        html.Tr(
                            [
                                html.Td("Total", colSpan=4, className="fw-semibold"),
                                html.Td(money(snap.net_worth), className="text-end fw-semibold"),
                            ]
                        )
                    ]
                ),
            ],
            size="sm",
            id=REPORT.ACCOUNTS,
        ),
        "Accounts",
    )
    body = [
        _facts(
            [
                ("Net worth", money(snap.net_worth)),
                ("Invested", money(snap.invested)),
                ("Cash", money(snap.cash)),
                ("Valued on", f"{snap.as_of:%d %B %Y}" if snap.as_of else "—"),
            ],
            REPORT.NET_WORTH,
        ),
        chart(
            REPORT.chart("allocation"),
            allocation_figure(by_sector, "Allocation by sector"),
            f"Allocation by sector, cash included: the largest is {largest}, "
            f"{percent(by_sector.get(largest, 0) / (sum(by_sector.values()) or 1))} of {money(snap.net_worth)}.",
        ),
        html.H3("Holdings", className="h6"),
        holdings,
        html.H3("Accounts", className="h6"),
        accounts,
    ]
    return _section("summary", SECTION_TITLES["summary"], None, body, printed)


def performance(shown, printed: bool):
    result, _described, _rolling = shown.out
    first = result.portfolios[0]
    stats = first.statistics
    benchmark = result.benchmark
    growth = (
        f"Growth of {money(result.settings.initial)} invested: {first.name} ends at {money(stats['final_value'])}"
        + (
            f", {benchmark.name} at {money(benchmark.statistics['final_value'])}"
            if benchmark is not None
            else ""
        )
        + f" ({result.window.first:%b %Y} to {result.window.last:%b %Y})."
    )
    body = [
        html.P(bt_parts.window_text(result), className="small"),
        chart(REPORT.chart("growth"), bt_parts.growth_figure(result), growth),
        html.H3("Statistics", className="h6"),
        bt_parts.statistics_table(result),
        html.H3("Calendar-year returns", className="h6"),
        bt_parts.annual_table(result),
        html.P(
            "Past performance is not a guarantee of future results. A backtest is hypothetical: it applies "
            "today's choice of weights to the past, with the benefit of hindsight.",
            className="small text-muted",
        ),
    ]
    return _section("performance", SECTION_TITLES["performance"], shown.source, body, printed, _link(shown))


def risk(shown, printed: bool):
    report, _described = shown.out
    beta = f"{report.beta:.2f}" if report.beta is not None else "—"
    body = [
        html.P(
            f"Daily returns {report.start:%d %b %Y} to {report.end:%d %b %Y} ({report.observations:,}), at today's weights.",
            className="small",
        ),
        _facts(
            [
                ("Annual return", percent(report.annual_return)),
                ("Volatility", percent(report.volatility)),
                ("Sharpe ratio", f"{report.sharpe:.2f}"),
                ("Sortino ratio", f"{report.sortino:.2f}"),
                ("Beta vs SPY", beta),
                ("Max drawdown", percent(report.max_drawdown)),
            ],
            REPORT.RISK_FACTS,
        ),
        chart(
            REPORT.chart("drawdown"),
            risk_parts.drawdown_figure(report),
            f"Fall from the running peak over the window; the deepest was {percent(report.max_drawdown)}.",
        ),
        html.H3("Value at risk and expected shortfall (one day)", className="h6"),
        risk_parts.var_table(report),
        html.H3("Historical stress windows, today's weights", className="h6"),
        risk_parts.stress_table(report),
    ]
    return _section("risk", SECTION_TITLES["risk"], shown.source, body, printed, _link(shown))


def _weights_figure(rows) -> dict:
    rows = sorted(rows, key=lambda r: -r[2])
    return {
        "data": [
            {
                "type": "bar",
                "name": "Current",
                "x": [r[0] for r in rows],
                "y": [round(r[3] or 0.0, 6) for r in rows],
                "marker": {"color": "#9aa5b1"},
            },
            {
                "type": "bar",
                "name": "Proposed",
                "x": [r[0] for r in rows],
                "y": [round(r[2], 6) for r in rows],
                "marker": {"color": "#033c73"},
            },
        ],
        "layout": {
            "title": {"text": "Current and proposed weights", "font": {"size": 15}},
            "barmode": "group",
            "yaxis": {"tickformat": ".0%"},
            "legend": {"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right", "yanchor": "bottom"},
            "height": 320,
            "margin": {"l": 50, "r": 10, "t": 50, "b": 40},
        },
    }


def proposal(shown, weight_rows, printed: bool):
    out = shown.out
    optimal, current = out.optimal, out.current_performance
    request = out.scenario.request
    largest = max(optimal.weights, key=optimal.weights.get)
    body = [
        html.P(
            f"{out.scenario.described}: weights for {OBJECTIVES.get(request.objective, request.objective)}, "
            f"expected returns from {'the firm' + chr(39) + 's assumptions' if request.returns_model == 'firm' else 'history (' + request.returns_model.replace('_', ' ') + ')'}, "
            f"risk from the {request.risk_model.replace('_', '-')} covariance.",
            className="small",
        ),
        opt_parts.comparison_table(optimal, current),
        chart(
            REPORT.chart("weights"),
            _weights_figure(weight_rows),
            f"Current and proposed weight of each asset; the largest proposed is {largest} at {percent(optimal.weights[largest])}.",
        ),
        html.H3("Proposed weights", className="h6"),
        opt_parts.weights_table(weight_rows, REPORT.WEIGHTS),
        html.H3(f"What {money(out.scenario.cash)} buys at the latest prices", className="h6"),
        opt_parts.allocation_table(out.allocation, out.prices),
    ]
    return _section("proposal", SECTION_TITLES["proposal"], shown.source, body, printed, _link(shown))


def goals(goals_shown, mc_shown, savings: dict, printed: bool):
    evaluation = goals_shown.out
    probability = goals_shown.clean["probability"]
    by_goal = evaluation.by_goal()
    rows = []
    for g in evaluation.goals:
        result, saving = by_goal.get(g.id), savings.get(g.id)
        rows.append(
            html.Tr(
                [
                    html.Td(g.name),
                    html.Td(g.priority.capitalize()),
                    html.Td(money(g.target_amount), className="text-end"),
                    html.Td(g.target_date.strftime("%b %Y")),
                    html.Td(percent(result.probability) if result else "—", className="text-end fw-semibold"),
                    html.Td(money(saving.monthly_saving) if saving else "—", className="text-end"),
                ]
            )
        )
    table = scrolling(
        dbc.Table(
            [
                html.Thead(
                    html.Tr(
                        [
                            html.Th("Goal"),
                            html.Th("Priority"),
                            html.Th("Target", className="text-end"),
                            html.Th("By"),
                            html.Th("Probability", className="text-end"),
                            html.Th(f"Monthly saving for {percent(probability, 0)}", className="text-end"),
                        ]
                    )
                ),
                html.Tbody(rows or [html.Tr(html.Td("No goals recorded.", colSpan=6))]),
            ],
            size="sm",
            id=REPORT.GOALS,
        ),
        "Goals and their probabilities",
    )
    body = [
        html.P(
            f"Each goal on {evaluation.model.paths:,} simulated paths (seed {evaluation.model.seed}), in today's "
            f"money, inflation {percent(evaluation.model.inflation)}, fee {percent(evaluation.model.fee)} a year.",
            className="small",
        ),
        table,
    ]
    if evaluation.goals:
        best = max(evaluation.goals, key=lambda g: by_goal[g.id].probability)
        body.append(
            chart(
                REPORT.chart("goals"),
                probability_figure(evaluation.goals, by_goal),
                f"Probability of reaching each goal; the highest is {best.name} at {percent(by_goal[best.id].probability)}.",
            )
        )
    if mc_shown is not None:
        result, _described, _basis = mc_shown.out
        body += [
            html.H3("The portfolio's wealth over time", className="h6"),
            html.P(f"Shows {mc_shown.source}.", className="small text-muted report-source"),
            _facts(
                [
                    ("Probability of success", percent(result.probability_of_success)),
                    ("Median ending wealth (today's $)", money(result.ending_wealth_percentiles[50])),
                    ("Paths, years, seed", f"{result.paths:,}, {result.months // 12}, {result.seed}"),
                ],
                REPORT.MC_FACTS,
            ),
            chart(
                REPORT.chart("fan"),
                fan_chart(result),
                f"Wealth in today's money, percentile bands over {result.months // 12} years: the median path ends at "
                f"{money(result.ending_wealth_percentiles[50])}, the 5th percentile at {money(result.ending_wealth_percentiles[5])}.",
            ),
        ]
    return _section("goals", SECTION_TITLES["goals"], goals_shown.source, body, printed, _link(goals_shown))


def retirement(shown, printed: bool):
    (result, solution), _described, _basis = shown.out
    plan = shown.clean
    facts = [
        ("Strategy", STRATEGIES.get(result.strategy, result.strategy)),
        ("Success rate", percent(result.success_rate)),
        ("Runs out of money", percent(result.depletion_rate)),
        ("Median wealth at the end (today's $)", money(result.median_ending_wealth)),
    ]
    if solution is not None:
        facts.append(
            (
                f"Highest spending at {percent(solution.target_success, 0)} success (a year, today's $)",
                money(solution.annual_spending),
            )
        )
    body = [
        html.P(
            f"Retiring at {plan['retirement_age']} from {plan['current_age']}, planning to {plan['end_age']}; "
            f"{result.paths:,} paths, seed {result.seed}.",
            className="small",
        ),
        _facts(facts, REPORT.RETIREMENT_FACTS),
        chart(
            REPORT.chart("retirement"),
            wealth_figure(result),
            f"Wealth in today's money by age, percentile bands; the median at {int(result.ages[-1])} is "
            f"{money(result.median_ending_wealth)}.",
        ),
    ]
    return _section("retirement", SECTION_TITLES["retirement"], shown.source, body, printed, _link(shown))


def tax(shown, printed: bool):
    report, _described = shown.out
    body = [
        _facts(
            [
                ("Unrealised short-term gain", money(report.short_term_gain)),
                ("Unrealised long-term gain", money(report.long_term_gain)),
                ("Estimated tax if all were sold", money(report.estimated_tax)),
                ("Harvesting candidates", f"{len(report.candidates)}"),
                ("Harvesting saves this year", money(report.estimated_savings)),
            ],
            REPORT.TAX_FACTS,
        ),
        html.H3("Tax-loss harvesting candidates (wash-sale checks)", className="h6"),
        tax_parts.candidates_table(report),
        html.P(
            "Estimates at the rates chosen on the Tax page; not tax advice. Wash sales are checked 30 days "
            "either side across every account of the household.",
            className="small text-muted",
        ),
    ]
    return _section("tax", SECTION_TITLES["tax"], shown.source, body, printed, _link(shown))


def methodology(report, printed: bool):
    items = []
    shown = report.shown
    if report.assumptions is not None:
        items.append(
            html.Li(
                f"Forecasts use the firm's capital market assumptions unless a section says otherwise: "
                f"{report.assumptions.label}. They are the firm's long-run expectations of returns, volatilities "
                "and correlations, reviewed and versioned; each run names the set it used."
            )
        )
    for key, text in (
        (
            "mc",
            "Monte Carlo: monthly returns drawn for the household's holdings (rebalanced as stated), cash flows in today's money grown with inflation, a fee charged monthly; success means the stated target or never running out. Results vary with the random seed and the assumptions.",
        ),
        (
            "goalsim",
            "Goals: each goal's probability is the share of simulated paths whose real wealth at its date reaches its target, with its savings and monthly contributions; the saving needed is exact on the same paths.",
        ),
        (
            "ret",
            "Retirement: saving until retirement, then withdrawals by the stated strategy; success means the portfolio never runs out before the plan's end.",
        ),
        (
            "backtest",
            "Performance: the holdings' target weights valued at month-end closes over whole calendar months, rebalanced as stated, against the benchmark; time-weighted statistics (formulas in the firm's backtest documentation).",
        ),
        (
            "risk",
            "Risk: daily returns of today's weights over the window; value at risk by four methods; stress windows replay historical periods on today's weights.",
        ),
        (
            "opt",
            "Proposal: mean-variance optimisation (PyPortfolioOpt) of the stated objective, expected returns as stated, covariance from history; whole shares at the latest prices.",
        ),
        (
            "tax",
            "Tax: lots valued at the latest prices; short or long term by holding period; estimates at the stated rates.",
        ),
    ):
        if key in shown:
            items.append(html.Li(text))
    as_of = report.prices_as_of.date
    disclosures = [
        html.P(
            "IMPORTANT: The projections or other information generated by Meridian regarding the likelihood of "
            "various investment outcomes are hypothetical in nature, do not reflect actual investment results, "
            "and are not guarantees of future results. Results may vary with each use and over time, as "
            "assumptions, data and the random seed change.",
            className="fw-semibold",
        ),
        html.P(
            "Criteria and methodology: the simulations draw returns from the stated model (the firm's capital "
            "market assumptions, or history where a section says so) for the household's current holdings; "
            "they consider only those holdings and the stated cash flows, not other asset classes, taxes "
            "(except the Tax section), or changes in the household's situation. Limitations: returns may not "
            "follow the model's distribution; extreme events may be more frequent than simulated."
        ),
        html.P(
            "Universe of investments: the analyses consider the household's current holdings (and, for the "
            "proposal, the assets chosen for it) only; the tool selects among them by the stated objective "
            "and does not favour any security, issuer or product. Other investments not considered may have "
            "characteristics similar or superior to those analysed."
        ),
        html.P(
            "Past performance is not a guarantee of future results. Backtested performance is hypothetical, "
            "computed with the benefit of hindsight, and includes no trading costs or taxes."
        ),
        html.P(
            "Market data: daily adjusted closing prices"
            + (f" as of {as_of:%d %B %Y}" if as_of else "")
            + "; the bundled history is from the test resources of PyPortfolioOpt (MIT licence, "
            "© 2018 Robert Andrew Martin), with any prices the firm imported since."
        ),
        html.P(
            f"Prepared by {report.analyst} of {report.firm_name} on {report.generated:%d %B %Y}. Not tax or legal advice."
        ),
    ]
    body = [
        html.H3("How each figure was made", className="h6"),
        html.Ul(items),
        html.H3("Disclosures", className="h6"),
        *disclosures,
    ]
    return _section("methodology", "Methodology and disclosures", None, body, printed)


def document(report, printed: bool = False) -> html.Article:
    """The whole report: cover, contents, the chosen sections, methodology and disclosures."""
    shown = report.shown
    parts = [cover(report), contents(report)]
    for key in report.composition.sections:
        if key == "summary":
            parts.append(summary(report, printed))
        elif key == "performance":
            parts.append(performance(shown["backtest"], printed))
        elif key == "risk":
            parts.append(risk(shown["risk"], printed))
        elif key == "proposal":
            parts.append(proposal(shown["opt"], report.weight_rows, printed))
        elif key == "goals":
            parts.append(goals(shown["goalsim"], shown.get("mc"), report.savings, printed))
        elif key == "retirement":
            parts.append(retirement(shown["ret"], printed))
        elif key == "tax":
            parts.append(tax(shown["tax"], printed))
    parts.append(methodology(report, printed))
    return html.Article(parts, className="report", id=REPORT.ARTICLE, lang="en")
