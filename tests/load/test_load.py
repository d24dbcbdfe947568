"""The load suite in ``make test``: the production configuration (gunicorn, the real Redis, a Celery worker)
under a short locust run, while a real Chromium uses it.

While locust's stress users run (no think time: the server is saturated), every page loads and becomes
interactive in the browser (its analysis drawn, a run answered), and a large transaction list (100,000
rows in one account) pages, sorts and filters on the server. Then the locust run must end with no
failure, and a second identical run of an analysis must be served from the cache, which the metrics
show (hits up, nothing computed again).
"""

from __future__ import annotations

import csv
import json
import subprocess
import time
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from dashboard.data.db import make_engine
from dashboard.settings import PROJECT_ROOT
from harness.dash_client import signed_opener
from loadtest import run
from tests.conftest import ADMIN, unavailable
from tests.integration.test_page_weight import CHART_PAGES
from tests.integration.test_pages import click

pytestmark = [
    pytest.mark.browser,
    pytest.mark.redis,
    pytest.mark.slow,
    pytest.mark.usefixtures("browser_ready"),
]

REDIS_URL = "redis://127.0.0.1:6379/11"
USERS = 10
# The run lasts until the browser walks are done (then it is stopped, and its stats written): at least
# MIN_RUN_S, at most DURATION_S (the walks must end inside it, signing in included, on a busy machine).
MIN_RUN_S = 30
DURATION_S = 150
HEAVY_TRANSACTIONS = 100_000
HEAVY_HOUSEHOLD = 1  # the seed puts the business account with the heavy transactions in the first one
# page -> (run button, what shows that its results are drawn); charts are counted from CHART_PAGES
PAGES = {
    "/": (None, "#overview-transactions .ag-row"),
    "/goals": ("#goals-run", "#goals-content table"),
    "/optimisation": ("#opt-run", "#opt-frontier .main-svg"),
    "/monte-carlo": ("#mc-run", "#mc-probability"),
    "/risk": ("#risk-run", "#risk-var"),
    "/diversification": ("#div-run", "#div-heatmap .main-svg"),
    "/retirement": ("#ret-run", "#ret-success"),
    "/tax": ("#tax-run", "#tax-lots"),
    "/threads": (None, "#threads-list"),
    "/operations": (None, "#perf-cache"),
}
GRID = "#overview-transactions"
SUMMARY = f"{GRID} .ag-paging-row-summary-panel"
BUSY = "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length"
CALLBACKS_SENT = (
    "performance.setResourceTimingBufferSize(5000); return performance.getEntriesByType('resource')"
    ".filter(e => e.name.includes('_dash-update-component') && e.responseEnd > 0).length"
)
ALERTS = "return Array.from(document.querySelectorAll('.page-alert.alert-danger')).map(a => a.textContent)"


@pytest.fixture(scope="module")
def under_load(tmp_path_factory):
    import redis

    if not run.LOCUST.exists():
        unavailable(f"locust is not installed ({run.LOCUST}): run `make setup`")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        unavailable(f"Redis at {REDIS_URL} is not reachable: {error}")
    out = tmp_path_factory.mktemp("load")
    args = run.parse(
        [
            *("--users", str(USERS), "--spawn-rate", str(USERS), "--duration", f"{DURATION_S}s"),
            *("--redis-url", REDIS_URL, "--out", str(out)),
        ]
    )
    with (
        run.production(args, heavy_transactions=HEAVY_TRANSACTIONS) as (base, settings),
        open(out / "locust.log", "wb") as log,
    ):
        process = subprocess.Popen(
            run.locust_command(base, args),
            cwd=PROJECT_ROOT,
            env=run.locust_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield SimpleNamespace(
                base=base, settings=settings, locust=process, out=out, started=time.monotonic()
            )
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(60)


def _still_loaded(load) -> None:
    assert load.locust.poll() is None, "locust ended before the browser was done: not measured under load"


def _shown(dash_duo, selector: str, timeout: float) -> None:
    """Until ``selector`` is on the page; if it never comes, fail with what the browser shows instead
    (its address, title, alerts, text and console), the only evidence a CI run leaves."""
    from selenium.common.exceptions import TimeoutException

    try:
        dash_duo.wait_for_element(selector, timeout=timeout)
    except TimeoutException:
        driver = dash_duo.driver
        text = driver.execute_script("return document.body ? document.body.innerText : ''") or ""
        raise AssertionError(
            f"{selector} did not appear in {timeout} s; the browser is at {driver.current_url} "
            f"({driver.title!r}), busy callbacks {driver.execute_script(BUSY)}, "
            f"alerts {driver.execute_script(ALERTS)}, console {dash_duo.get_logs()}, text {text[:600]!r}"
        ) from None


def _settled(dash_duo, timeout: float = 60) -> None:
    """Until no Dash callback is in flight on the page."""
    deadline = time.monotonic() + timeout
    time.sleep(0.3)
    while dash_duo.driver.execute_script(BUSY):
        assert time.monotonic() < deadline, "the page kept loading"
        time.sleep(0.2)


def _charts(dash_duo, charts: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while (
        dash_duo.driver.execute_script("return document.querySelectorAll('.js-plotly-plot .main-svg').length")
        < charts
    ):
        assert time.monotonic() < deadline, f"{charts} charts were not drawn"
        time.sleep(0.2)


def test_load001_every_page_loads_and_answers_in_the_browser_under_load(dash_duo, under_load):
    dash_duo.sign_in(under_load.base, ADMIN)  # every page, the Operations page too
    dash_duo.driver.get(under_load.base + "/")
    _shown(dash_duo, "#shell-household-select", timeout=60)
    timings = {}
    for path, (run_button, result) in PAGES.items():
        started = time.monotonic()
        dash_duo.driver.get(f"{under_load.base}{path}?household={HEAVY_HOUSEHOLD}")
        _shown(dash_duo, result, timeout=90)
        _charts(dash_duo, CHART_PAGES.get(path, 0))
        loaded = time.monotonic() - started
        if run_button is not None:  # interactive: a run goes to the server and is answered
            started = time.monotonic()
            sent = dash_duo.driver.execute_script(CALLBACKS_SENT)
            click(dash_duo, run_button)
            _settled(dash_duo)
            assert dash_duo.driver.execute_script(CALLBACKS_SENT) > sent, f"{path}: the run was not sent"
            dash_duo.wait_for_element(result, timeout=60)
            timings[path] = (loaded, time.monotonic() - started)
        else:
            _settled(dash_duo)
            timings[path] = (loaded, None)
        assert dash_duo.driver.execute_script(ALERTS) == [], path
    _still_loaded(under_load)
    for path, (loaded, ran) in timings.items():
        print(
            f"under load: {path} drawn in {loaded:.1f} s"
            + (f", a run answered in {ran:.1f} s" if ran else "")
        )
    assert dash_duo.get_logs() == []


def _summary(dash_duo, contains: str, timeout: float = 60) -> str:
    dash_duo.wait_for_contains_text(SUMMARY, contains, timeout=timeout)
    deadline = time.monotonic() + timeout
    # the grid says "of more" until the first block's row count arrives
    while " of " not in (text := dash_duo.find_element(SUMMARY).text) or text.endswith(" of more"):
        assert time.monotonic() < deadline, text
        time.sleep(0.2)
    return text


def _cells(dash_duo, column: str) -> list[str]:
    return dash_duo.driver.execute_script(
        f"return Array.from(document.querySelectorAll('{GRID} .ag-center-cols-container .ag-row'))"
        ".sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')))"
        f".map(r => (r.querySelector(\"[col-id='{column}']\") || {{}}).textContent)"
    )


def _number(text: str) -> float:
    return float(text.replace(",", "").replace("$", "").replace("\u2212", "-").strip())


def test_load002_a_large_transaction_list_pages_sorts_and_filters_under_load(dash_duo, under_load):
    engine = make_engine(under_load.settings.database_url)
    with engine.connect() as conn:
        scope = "FROM transactions t JOIN accounts a ON a.id = t.account_id WHERE a.household_id = :h"
        total = conn.execute(sa.text(f"SELECT count(*) {scope}"), {"h": HEAVY_HOUSEHOLD}).scalar_one()
        lowest = conn.execute(sa.text(f"SELECT min(t.amount) {scope}"), {"h": HEAVY_HOUSEHOLD}).scalar_one()
        groceries = conn.execute(
            sa.text(f"SELECT count(*) {scope} AND lower(t.category) = 'groceries'"), {"h": HEAVY_HOUSEHOLD}
        ).scalar_one()
    engine.dispose()
    assert total > HEAVY_TRANSACTIONS
    dash_duo.sign_in(under_load.base)
    dash_duo.driver.get(f"{under_load.base}/?household={HEAVY_HOUSEHOLD}")
    _shown(dash_duo, f"{GRID} .ag-row", timeout=90)
    assert _summary(dash_duo, "1 to 50") == f"1 to 50 of {total:,}"
    # pages: the next block comes from the server
    click(dash_duo, f"{GRID} .ag-paging-button[aria-label='Next Page']")
    _summary(dash_duo, "51 to 100")
    click(dash_duo, f"{GRID} .ag-paging-button[aria-label='Last Page']")
    last_from = (total - 1) // 50 * 50 + 1
    _summary(dash_duo, f"{last_from:,} to {total:,}")
    # sorts: the amount column, ascending, over all 100,000+ rows (the server sorts, not the page)
    click(dash_duo, f"{GRID} .ag-header-cell[col-id='amount'] .ag-header-cell-label")
    _summary(dash_duo, "1 to 50")
    deadline = time.monotonic() + 60
    while not (amounts := [a for a in _cells(dash_duo, "amount") if a]) or _number(
        amounts[0]
    ) != pytest.approx(float(lowest), abs=0.01):
        assert time.monotonic() < deadline, f"sorted by amount, the first row is {amounts[:1]}, not {lowest}"
        time.sleep(0.3)
    assert [_number(a) for a in amounts] == sorted(_number(a) for a in amounts)
    # filters: category equals Groceries, counted by the server
    dash_duo.driver.execute_script(
        "const api = dash_ag_grid.getApi('overview-transactions');"
        "api.setFilterModel({category: {filterType: 'text', type: 'equals', filter: 'Groceries'}});"
    )
    assert _summary(dash_duo, f"of {groceries:,}").endswith(f"of {groceries:,}")
    categories = [c for c in _cells(dash_duo, "category") if c]
    assert categories and set(categories) == {"Groceries"}
    _still_loaded(under_load)
    assert dash_duo.get_logs() == []


def _locust_finished(load) -> int:
    """End the run (at least ``MIN_RUN_S`` after it started; SIGTERM: locust stops its users, checks its
    thresholds and writes its stats, as at the end of its duration) and wait for its exit code."""
    if load.locust.poll() is None:
        time.sleep(max(0.0, MIN_RUN_S - (time.monotonic() - load.started)))
        load.locust.terminate()
    return load.locust.wait(120)


def test_load003_the_short_locust_run_ends_with_no_failure(under_load):
    code = _locust_finished(under_load)
    log = (under_load.out / "locust.log").read_text()
    with open(under_load.out / "load_stats.csv") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    print(
        f"short load run: {total['Request Count']} requests, {float(total['Requests/s']):.0f} req/s, "
        f"p50 {total['50%']} ms, p95 {total['95%']} ms, {total['Failure Count']} failures"
    )
    assert int(total["Request Count"]) > 500, log[-2000:]
    assert int(total["Failure Count"]) == 0, (under_load.out / "load_failures.csv").read_text()
    assert code == 0, log[-2000:]
    tasks = {name.split(":")[0] for name in rows if name != "Aggregated"}
    assert len([n for n in rows if n != "Aggregated"]) >= 15 and {"risk", "optimisation", "goals"} <= tasks
    # every user's sign-in conversation, tries included, kept beside the reports and summarised
    sign_ins = json.loads((under_load.out / "load_sign_ins.json").read_text())
    assert len(sign_ins) == USERS and all(r["signed_in"] and r["tries"] >= 1 for r in sign_ins), sign_ins
    line = run.sign_in_summary(under_load.out / "load_sign_ins.json")
    assert line.startswith(f"sign-ins: {USERS} of {USERS} users signed in; until signed in p50 "), line


def _cache(base: str) -> dict:
    with signed_opener(base).open(base + "/api/v1/performance-metrics/report?window=all", timeout=30) as r:
        return json.loads(r.read())["cache"]["operations"]


WATCHED = ("answer", "rendered", "risk")


def _settled_counts(base: str) -> dict:
    """The counters of the watched cache operations once every worker has flushed (they flush every
    second; other operations, such as the sessions the browser's own requests read, keep moving)."""
    previous = None
    for _ in range(20):
        time.sleep(1.5)
        operations = _cache(base)
        counts = {name: operations.get(name, {}) for name in WATCHED}
        if counts == previous:
            return counts
        previous = counts
    return previous


def test_load004_a_second_identical_run_is_served_from_the_cache(dash_duo, under_load):
    _locust_finished(under_load)  # a quiet server: the counters move for this browser only
    dash_duo.sign_in(under_load.base)
    dash_duo.driver.get(f"{under_load.base}/risk?household={HEAVY_HOUSEHOLD}&seed=4242")
    dash_duo.wait_for_element("#risk-var", timeout=60)
    _settled(dash_duo)
    first = dash_duo.find_element("#risk-var").text
    before = _settled_counts(under_load.base)
    click(dash_duo, "#risk-run")  # the same scenario again
    _settled(dash_duo)
    after = _settled_counts(under_load.base)
    assert dash_duo.find_element("#risk-var").text == first
    answer_before, answer_after = before.get("answer", {}), after.get("answer", {})
    assert answer_after.get("hits", 0) >= answer_before.get("hits", 0) + 1  # the response sent before
    rendered_before, rendered_after = before.get("rendered", {}), after.get("rendered", {})
    assert rendered_after.get("computes", 0) == rendered_before.get("computes", 0)  # nothing rendered again
    assert after.get("risk", {}).get("computes", 0) == before.get("risk", {}).get("computes", 0)
    # and the Performance page shows the cache at work
    dash_duo.sign_in(under_load.base, ADMIN)  # the Operations page is the admin's
    dash_duo.driver.get(f"{under_load.base}/operations")
    dash_duo.wait_for_contains_text("#perf-cache", "rendered", timeout=30)
    assert dash_duo.get_logs() == []
