"""What an analyst hit (issue 31), each point at its cause, with the callbacks called directly."""

from __future__ import annotations

from sqlalchemy import select

from callbacks import goals as goals_cb
from dashboard.data.models import Goal
from dashboard.extensions import db
from dashboard.forms.goals import SIM_FORM
from engine.goals import Goal as EngineGoal
from engine.goals import solve_monthly_saving
from tests import reference
from tests.callbacks.test_pages import find, form, held, households, text_of, triggered


def test_walk001_saving_needed_answers_for_the_goals_on_screen_not_the_edited_form(app, signed_in):
    """Issue 31.1: evaluate with inflation 3.5 %, change inflation to 1 % without evaluating, solve: the
    answer is the 3.5 % run's (the table and URL on screen), and says what it assumed."""
    mine, _ = households()
    household = mine[0].id
    with signed_in(app):
        values, ids = form(SIM_FORM, paths=2000, inflation=3.5, probability=80.0)
        out = triggered("goals-run.n_clicks", goals_cb.render_goals, 1, None, household, values, ids, 0)
        scenario = out[4]
        assert "inflation=3.5" in scenario
        edited, _ = form(SIM_FORM, paths=2000, inflation=1.0, probability=80.0)
        with db.session() as session:
            goal = session.scalars(
                select(Goal).where(Goal.household_id == household).order_by(Goal.target_date)
            ).first()
        solved = goals_cb.solve_saving(1, goal.id, household, scenario, edited, ids)
    holdings = held(household)
    months = (goal.target_date.year - 2018) * 12 + goal.target_date.month - 4
    target = EngineGoal(goal.name, goal.target_amount, months, goal.current_amount, goal.monthly_contribution)
    at_run = solve_monthly_saving(reference.firm_model(holdings), target, 0.8, 2000, 42, 0.035, 0.005)
    edited_form = solve_monthly_saving(reference.firm_model(holdings), target, 0.8, 2000, 42, 0.01, 0.005)
    assert at_run.monthly_saving != edited_form.monthly_saving
    shown = find(solved, "goals-solved-saving").children
    assert shown == f"${at_run.monthly_saving:,.0f}", (shown, at_run, edited_form)
    said = text_of(solved)
    assert "on the same 2,000 paths as the goals on screen" in said
    assert "inflation 3.5%" in said and "firm assumptions" in said and "seed 42" in said
    # nothing evaluated yet: the solve says to evaluate first
    with signed_in(app):
        nothing = goals_cb.solve_saving(1, goal.id, household, None, edited, ids)
    assert "Run the goals first" in text_of(nothing)


def test_walk002_black_litterman_draws_everything_on_the_posterior(app, signed_in):
    """Issue 31.2: with views, the optimal portfolio came from the posterior while the frontier, the
    assets and the current portfolio used the historical estimate, so the recommendation plotted far
    below the frontier. Now one set of returns: the optimum (max Sharpe on the posterior) lies on the
    frontier drawn, each asset sits at its posterior return, and the caption says which returns."""
    import numpy as np

    from callbacks import optimisation as opt_cb
    from dashboard.forms.optimisation import FORM as OPT_FORM

    mine, _ = households()
    tickers = ["AAPL", "AMD", "FB", "SPY", "XOM", "JPM"]
    with signed_in(app):
        values, ids = form(
            OPT_FORM,
            universe="custom",
            tickers=tickers,
            returns_model="mean_historical",
            objective="black_litterman",
            views="AMD -10 80; FB>SPY 3 50",
        )
        out = triggered("opt-run.n_clicks", opt_cb.run_optimisation, 1, None, mine[0].id, values, ids)
    notes, figure, alert = out[5], out[8], out[3]
    assert alert is None, text_of(alert)
    traces = {t["name"]: t for t in figure["data"]}
    line, optimal = traces["Efficient frontier"], traces["Optimal (objective)"]
    vol, ret = optimal["x"][0], optimal["y"][0]
    # the frontier's return at the optimum's volatility (linear between its points): the optimum is on it
    order = np.argsort(line["x"])
    on_line = float(np.interp(vol, np.array(line["x"])[order], np.array(line["y"])[order]))
    assert abs(on_line - ret) < 0.002, (vol, ret, on_line)
    # the optimum is the max-Sharpe point of the frontier drawn
    sharpe = (np.array(line["y"]) - 0.02) / np.array(line["x"])
    assert (ret - 0.02) / vol >= sharpe.max() - 0.005
    # each asset at its posterior return: AMD's view of -10 % pulls it below its 2013-2018 history
    assets = dict(zip(traces["Assets"]["text"], traces["Assets"]["y"], strict=True))
    history = reference.bundled_prices(["AMD"], "2013-04-11")["AMD"]
    years = (history.index[-1] - history.index[0]).days / 365.25
    growth = (history.iloc[-1] / history.iloc[0]) ** (1 / years) - 1  # the historical CAGR, from the prices
    assert growth > 0.2 and assets["AMD"] < 0.0
    assert "Black-Litterman posterior expected returns" in text_of(notes)
    assert "your 2 views" in text_of(notes)


def test_walk003_threads_show_labels_and_figures_as_their_pages_do(app, signed_in):
    """Issue 31.5: threads showed internal codes (max_sharpe, constant_real), numbers without separators
    (10000) and other precision than the pages (1.31 where the page says 1.3)."""
    import callbacks
    from callbacks.diversification import PAGE as DIV_PAGE
    from callbacks.optimisation import PAGE as OPT_PAGE
    from callbacks.retirement import PAGE as RET_PAGE
    from components.ids import DIV
    from components.threads import comparison
    from dashboard.services.access import current_user
    from dashboard.services.threads import create_thread, household_threads, save_run

    mine, _ = households()
    household = mine[0]
    runs = ((OPT_PAGE, {}), (RET_PAGE, {"paths": 10_000}), (DIV_PAGE, {}))
    with signed_in(app):
        user = current_user()
        thread = create_thread(household.id, user.id, "Review")
        for page, changes in runs:
            clean = page.form.clean({f.name: f.default for f in page.form.fields} | changes)
            out = page.result(clean, household)
            seed, summary = page.summarise(out, clean)
            query = page.form.canonical_query(clean, household.id)
            save_run(household.id, user.id, thread, page.key, query, seed, summary, None)
            if page is DIV_PAGE:
                drawn = DIV_PAGE.render(out)
        saved = [r for t in household_threads(household.id) if t.id == thread for r in t.items]
        shown = text_of(comparison(saved, callbacks.THREADS.names))
    assert "max_sharpe" not in shown and "Max Sharpe ratio" in shown
    assert "constant_real" not in shown and "Constant real amount (4 % rule)" in shown
    assert "10,000" in shown and "10000" not in shown
    # the diversification figures with the page's own precision: the page's text, verbatim
    for card in (DIV.EFFECTIVE_BETS, DIV.EFFECTIVE_HOLDINGS, DIV.HHI):
        page_text = text_of(find(drawn, card))
        number = next(w for w in page_text.split() if w.replace(".", "").isdigit())
        assert f" {number} " in f" {shown} ", (number, shown)


def test_walk004_messages_say_what_is_wrong_in_words(app, signed_in):
    """Issue 31.7: a binary file named .csv echoed its control characters into the message; a wash-sale
    note read "85 of 1.201e+04 shares replaced"; Cornish-Fisher VaR said "n/a" with no reason (and nan
    in the CSV)."""
    import base64
    import datetime as dt
    from types import SimpleNamespace

    import numpy as np

    from components import risk as risk_parts
    from components import tax as tax_parts
    from dashboard.errors import InvalidInput
    from dashboard.forms.statement import decode_upload
    from engine.risk import var_table

    binary = b"PK\x03\x04\x14\x00\x06\x00date,amount\n"
    upload = "data:text/csv;base64," + base64.b64encode(binary).decode()
    try:
        decode_upload(upload, "statement.csv")
        raise AssertionError("a binary file was read as a statement")
    except InvalidInput as error:
        message = str(error)
    assert "not a text CSV file: line 1 holds a control character" in message
    assert not any(ord(ch) < 32 for ch in message)

    lot = SimpleNamespace(quantity=12_010.0)
    purchase = SimpleNamespace(date=dt.date(2018, 3, 1), account="IRA")
    candidate = SimpleNamespace(
        wash_sale=True,
        replaced_shares=85.0,
        lot_gain=SimpleNamespace(lot=lot),
        replacements=[SimpleNamespace(shares=85.0, purchase=purchase, basis_added=120.0)],
    )
    note = text_of(tax_parts._wash_detail(candidate))
    assert "85 of 12,010 shares replaced: 85 bought 2018-03-01 in IRA" in note and "e+" not in note

    # returns so skewed that the Cornish-Fisher expansion is not a quantile function
    returns = np.zeros(500)
    returns[::50] = 0.4
    returns[1::7] = -0.001
    rows = var_table(returns)
    undefined = [r for r in rows if r.method == "cornish_fisher"]
    assert undefined and all(r.var != r.var and "skewness" in r.note for r in undefined)
    report = SimpleNamespace(
        var=rows,
        stress=[],
        **dict.fromkeys(("annual_return", "volatility", "sharpe", "sortino", "beta", "max_drawdown"), 0.1),
    )
    shown = text_of(risk_parts.var_table(report))
    assert "not defined*" in shown and "Cornish-Fisher is not defined for these returns" in shown
    header, csv = risk_parts.csv_rows(report)
    cf = [row for row in csv if str(row[1]).startswith("cornish_fisher")]
    assert header[-1] == "note" and all(row[2] == "" and "skewness" in row[4] for row in cf)
    assert not any(isinstance(v, float) and v != v for row in csv for v in row)


def test_walk005_market_data_tells_an_analyst_what_she_can_do():
    """Issue 31.10 (in part): the analyst's Market data page showed an operator's command line."""
    from components.ids import MARKET
    from components.market_data import upload_section

    analyst = text_of(find(upload_section(1024, admin=False), MARKET.ANALYST_NOTE))
    assert "python -m" not in analyst and "ask one" in analyst and "Optimisation and Backtest" in analyst
    assert find(upload_section(1024, admin=True), MARKET.ANALYST_NOTE) is None


def test_walk006_a_cancelled_run_leaves_the_last_finished_one_on_screen(app, signed_in):
    """Issue 31.4: cancelling a 1,000,000-path run replaced the finished results with "cancelled", put the
    cancelled scenario in the URL, and Download said the result "is still running"."""
    from dash import no_update

    import callbacks
    from callbacks import monte_carlo as mc_cb
    from components.ids import MC
    from dashboard.forms.monte_carlo import FORM as MC_FORM

    mine, _ = households()
    household = mine[0].id
    with signed_in(app):
        values, ids = form(MC_FORM, paths=2_000, years=30, seed=5)
        *_, results, alert, search, job, scenario = triggered(
            "mc-run.n_clicks", mc_cb.run_simulation, 1, None, household, values, ids
        )
        assert alert is None and job is no_update and scenario == search and "paths=2000" in search
        download = callbacks.DOWNLOADS[mc_cb.PAGE.key]
        before, _ = triggered("mc-download-button.n_clicks", download, 1, scenario)
        large, ids = form(MC_FORM, paths=1_000_000, years=30, seed=5)
        *_, kept, waiting, new_search, job, new_scenario = triggered(
            "mc-run.n_clicks", mc_cb.run_simulation, 2, None, household, large, ids
        )
        # while it runs: the finished run stays on screen, in the address bar and in what Download reads
        assert job["form"]["paths"] == 1_000_000
        assert kept is no_update and new_search is no_update and new_scenario is no_update
        waiting = waiting.to_plotly_json()
        assert waiting["props"]["id"] == MC.WAITING
        assert job["cancels"] == 0  # the Cancel button's clicks before this job
        shown, said = triggered(
            "mc-cancel.n_clicks", mc_cb.watch_background_job, "running", 1, waiting, scenario, job
        )
        assert shown is no_update
        assert "The new simulation was cancelled" in text_of(said) and "last finished run" in text_of(said)
        # the cancelled job's end may reach the page before the click's answer: it says the same
        shown, said_by_end = triggered(
            "mc-job-state.data", mc_cb.watch_background_job, "ended", 1, waiting, scenario, job
        )
        assert shown is no_update and text_of(said_by_end) == text_of(said)
        # a job that ends without a result and without a click: its process died
        _, died = triggered(
            "mc-job-state.data",
            mc_cb.watch_background_job,
            "ended",
            1,
            waiting,
            scenario,
            {**job, "cancels": 1},
        )
        assert "stopped before finishing" in text_of(died) and "last finished run" in text_of(died)
        after, problem = triggered("mc-download-button.n_clicks", download, 1, scenario)
        assert problem is no_update and after == before  # the finished run's file, not "still running"


def test_walk007_every_csv_opens_with_its_scenario_and_headline_figures(app, signed_in):
    """Issue 31.6: opt-1.csv had no dates, objective, expected return, volatility or Sharpe; tax-1.csv had
    the lots but not the estimated tax or the rates. Every CSV now opens with what it is."""
    import csv
    import io

    import callbacks
    from callbacks.optimisation import PAGE as OPT_PAGE
    from callbacks.tax import PAGE as TAX_PAGE
    from tests.callbacks.test_pages import csv_table, shown

    mine, _ = households()
    household = mine[0]
    with signed_in(app):
        opt = callbacks.DOWNLOADS[OPT_PAGE.key](1, shown(OPT_PAGE.form, household.id))[0]
        tax = callbacks.DOWNLOADS[TAX_PAGE.key](1, shown(TAX_PAGE.form, household.id))[0]
        clean = OPT_PAGE.form.defaults()
        optimal = OPT_PAGE.result(clean, household).optimal
    for sent, page in ((opt, "Optimisation"), (tax, "Tax")):
        rows = list(csv.reader(io.StringIO(sent["content"])))
        context = dict(r[:2] for r in rows[: rows.index([])])
        assert context["Meridian"] == page and context["Household"] == household.name
        assert context["Prices"] == "Prices as of 11 Apr 2018"
        assert csv_table(sent["content"])[0][0] == "section" or page == "Tax"
        if page == "Optimisation":
            assert context["Objective"] == "Max Sharpe ratio" and context["History from"] == "2013-04-11"
            # the headline figures as the page writes them (one decimal percent, two-decimal Sharpe)
            assert context["Expected return"] == f"{optimal.expected_return * 100:.1f}%"
            assert context["Volatility"] == f"{optimal.volatility * 100:.1f}%"
            assert context["Sharpe"] == f"{optimal.sharpe:.2f}"
        else:
            assert "Estimated tax if all sold" in context
            assert any(k.startswith("Short-term") and v.endswith("%") for k, v in context.items())


def test_walk008_an_excel_workbook_beside_the_csv(app, signed_in):
    """Issue 31.6 (the rest): where a table has several parts, an Excel download beside the CSV: the
    scenario on a sheet of its own, then a sheet per part; text never becomes a formula."""
    import base64
    import io

    from dash import no_update
    from openpyxl import load_workbook

    import callbacks
    from callbacks.analysis import excel_workbook
    from callbacks.optimisation import PAGE as OPT_PAGE
    from tests.callbacks.test_pages import csv_table, shown

    mine, _ = households()
    with signed_in(app):
        scenario = shown(OPT_PAGE.form, mine[0].id)
        download = callbacks.DOWNLOADS[OPT_PAGE.key]
        sent, problem = triggered("opt-excel-button.n_clicks", download.excel, 1, scenario)
        csv_sent, _ = download(1, scenario)
    assert problem is no_update and sent["filename"].endswith(".xlsx") and sent["base64"]

    book = load_workbook(io.BytesIO(base64.b64decode(sent["content"])))
    assert book.sheetnames == ["About", "weights", "frontier"]
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True)}
    assert about["Meridian"] == "Optimisation" and about["Objective"] == "Max Sharpe ratio"
    weights = list(book["weights"].iter_rows(values_only=True))
    assert weights[0][0] == "asset_or_point"
    assert abs(sum(r[1] for r in weights[1:]) - 1) < 1e-6  # the optimal weights, as numbers
    # the same rows as the CSV's weights part
    table = [r for r in csv_table(csv_sent["content"]) if r[0] == "weights"]
    assert [r[1] for r in weights[1:]] == [float(r[2]) for r in table]
    assert len(list(book["frontier"].iter_rows())) == 1 + len(
        [r for r in csv_table(csv_sent["content"]) if r[0] == "frontier"]
    )
    hostile = excel_workbook("x", ["a", "b"], [['=HYPERLINK("http://x")', 1]], [["Meridian", "=1+1"]])
    reread = load_workbook(io.BytesIO(hostile))
    assert reread["Data"]["A2"].data_type == "s" and reread["Data"]["A2"].value.startswith("=HYPERLINK")
    assert reread["About"]["B1"].data_type == "s"
