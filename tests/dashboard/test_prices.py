"""Price import for operators: validated whole, transactional, idempotent, new tickers become
securities, cached results of older prices never served again, and the as-of date follows."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from dashboard.data.models import Price, PriceImport, Security
from dashboard.errors import InvalidInput
from dashboard.extensions import cache, db
from dashboard.services import prices
from dashboard.services.households import snapshot
from dashboard.settings import PROJECT_ROOT
from tests.integration.test_pages import my_household

BUNDLED_END = dt.date(2018, 4, 11)
STOCKS = ("GOOG", "AAPL", "FB", "BABA", "AMZN", "GE", "AMD", "WMT", "BAC", "GM", "T", "UAA", "SHLD")
STOCKS += ("XOM", "RRC", "BBY", "MA", "PFE", "JPM", "SBUX")  # SPY runs to 2019 already


def _counts() -> tuple[int, int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Price)),
            session.scalar(select(func.count()).select_from(Security)),
            session.scalar(select(func.count()).select_from(PriceImport)),
        )


def _wide_file(days: list[dt.date], tickers=STOCKS, scale: float = 1.0) -> str:
    """A wide file (like the bundled ones): every ticker's last bundled close times ``scale``, per day."""
    last = prices.read_prices(list(tickers), None, BUNDLED_END.isoformat()).ffill().iloc[-1]
    lines = ["date," + ",".join(tickers)]
    for i, day in enumerate(days):
        lines.append(f"{day}," + ",".join(f"{last[t] * scale * (1 + 0.001 * i):.4f}" for t in tickers))
    return "\n".join(lines) + "\n"


GOOD = "2019-01-03,AAPL,151\n"  # a good line beside each bad one: the file is refused whole


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("ticker,date,close\nAAPL,2019-01-02,150\n", "first column is date"),
        ("date,ticker,close\n2019-02-30,AAPL,150\n" + GOOD, "line 2: '2019-02-30' is not a date"),
        ("date,ticker,close\n02/01/2019,AAPL,150\n" + GOOD, "is not a date (YYYY-MM-DD)"),
        ("date,ticker,close\n2999-01-02,AAPL,150\n" + GOOD, "in the future"),
        ("date,ticker,close\n2019-01-02,aapl,150\n" + GOOD, "'aapl' is not a ticker"),
        ("date,ticker,close\n2019-01-02,AAPL,-1\n" + GOOD, "AAPL close '-1' is not a positive number"),
        ("date,ticker,close\n2019-01-02,AAPL,0\n" + GOOD, "not a positive number"),
        ("date,ticker,close\n2019-01-02,AAPL,nan\n" + GOOD, "not a positive number"),
        (
            "date,ticker,close\n2019-01-02,AAPL,1\n2019-01-02,AAPL,1\n" + GOOD,
            "line 3: AAPL on 2019-01-02 again (first on line 2)",
        ),
        ("date,ticker,close\n2019-01-02,AAPL\n" + GOOD, "line 2: 2 values, the header has 3"),
        ("date,AAPL,AAPL\n2019-01-02,1,2\n", "A ticker appears twice"),
        ("date,AAPL,bad name\n2019-01-02,1,2\n", "not a ticker: 'bad name'"),
        ("date,ticker,close\n", "holds no prices"),
        ("", "first column is date"),
    ],
)
def test_pr001_a_bad_file_is_refused_whole_and_says_why(app, text, said):
    before = _counts()
    with pytest.raises(InvalidInput) as refused:
        prices.import_prices(prices.parse_price_file(text), "bad.csv", "test")
    assert said in str(refused.value)
    assert _counts() == before  # nothing written, not even the good line


def test_pr002_import_is_transactional_idempotent_and_adds_securities(app):
    household = my_household()
    before_prices, before_securities, _ = _counts()
    old = snapshot(household)
    assert old.as_of == BUNDLED_END
    days = [dt.date(2018, 4, 12), dt.date(2018, 4, 13), dt.date(2018, 4, 16)]
    text = _wide_file(days)
    long = "date,ticker,close\n" + "".join(f"{d},NEWCO,{10 + i}\n" for i, d in enumerate(days))
    report = prices.import_prices(prices.parse_price_file(text), "wide.csv", "test")
    assert report.added == len(days) * len(STOCKS) and report.replaced == 0 and report.version == 1
    second = prices.import_prices(prices.parse_price_file(long), "long.csv", "test")
    assert second.new_securities == ("NEWCO",) and second.version == 2
    assert _counts() == (before_prices + len(days) * (len(STOCKS) + 1), before_securities + 1, 2)

    again = prices.import_prices(prices.parse_price_file(text), "wide.csv", "test")
    assert (again.added, again.replaced, again.unchanged, again.version) == (0, 0, len(days) * len(STOCKS), 2)
    assert again.message.startswith("Nothing new")

    # a different price for a day already held is refused (nothing written) unless replace
    changed = text.replace(text.splitlines()[1].split(",")[1], "1.2345", 1)
    with pytest.raises(InvalidInput, match="prices differ from those held: GOOG on 2018-04-12"):
        prices.import_prices(prices.parse_price_file(changed), "fix.csv", "test")
    assert _counts()[2] == 2
    fixed = prices.import_prices(prices.parse_price_file(changed), "fix.csv", "test", replace=True)
    assert fixed.replaced == 1 and fixed.version == 3

    # the cached snapshot of the old prices is never served again: valued on the new last day
    new = snapshot(household)
    assert new.as_of == days[-1] and new.net_worth != old.net_worth
    as_of = prices.prices_as_of()
    assert as_of.date == days[-1] and as_of.label == "Prices as of 16 Apr 2018"


def test_pr003_the_cli_imports_and_other_processes_see_it_within_the_version_ttl(app, tmp_path):
    settings = app.server.extensions["meridian.settings"]
    household = my_household()
    assert snapshot(household).as_of == BUNDLED_END  # cached in this "worker" (and its memory)
    days = [dt.date(2018, 4, 12), dt.date(2018, 4, 13)]
    path = tmp_path / "prices.csv"
    path.write_text(_wide_file(days, scale=1.5))
    env = {**os.environ, "DATABASE_URL": settings.database_url, "INSTANCE_PATH": str(settings.instance_path)}
    env.pop("REDIS_URL", None)

    def cli(*args):
        return subprocess.run(
            [sys.executable, "-m", "meridian", "prices", "import", *args],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = cli(str(path))
    assert done.returncode == 0, done.stderr
    assert f"{len(days) * len(STOCKS)} prices added" in done.stdout
    again = cli(str(path))
    assert again.returncode == 0 and "Nothing new" in again.stdout
    broken = tmp_path / "broken.csv"
    broken.write_text("date,ticker,close\n2018-04-17,AAPL,-3\n")
    refused = cli(str(broken))
    assert refused.returncode == 2 and "AAPL close '-3' is not a positive number" in refused.stderr
    missing = cli(str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr

    cache.market_version.forget()  # as if the version TTL (2 s) had passed in this worker
    fresh = snapshot(household)
    assert fresh.as_of == days[-1]


@pytest.mark.browser
@pytest.mark.usefixtures("browser_ready")
def test_pr004_every_page_shows_the_imported_prices_date(dash_duo, app):
    """Imported as an operator would; every page then says how current its prices are."""
    import dash

    from tests.integration.test_pages import open_page

    household = my_household()
    open_page(dash_duo, app, f"/?household={household.id}")
    dash_duo.wait_for_text_to_equal("#shell-prices", "Prices as of 11 Apr 2018", timeout=20)
    days = [dt.date(2018, 4, 12), dt.date(2018, 4, 13)]
    prices.import_prices(prices.parse_price_file(_wide_file(days)), "april.csv", "test")
    cache.market_version.forget()
    paths = sorted(p["path"] for p in dash.page_registry.values() if p.get("order") is not None)
    assert len(paths) >= 9
    for path in paths:
        open_page(dash_duo, app, f"{path}?household={household.id}")
        dash_duo.wait_for_text_to_equal("#shell-prices", "Prices as of 13 Apr 2018", timeout=20)
        assert "Every security has prices up to" in dash_duo.find_element("#shell-prices").get_attribute(
            "title"
        ) or ("Newest price" in dash_duo.find_element("#shell-prices").get_attribute("title"))
    assert dash_duo.get_logs() == []


def test_pr005_an_administrator_uploads_prices_an_analyst_cannot(app, signed_in):
    import base64

    from callbacks.market_data import upload_prices
    from tests.callbacks.test_pages import text_of, triggered

    text = _wide_file([dt.date(2018, 4, 12)])
    contents = "data:text/csv;base64," + base64.b64encode(text.encode()).decode()
    before = _counts()
    with signed_in(app):  # the demo analyst
        refused = triggered("market-upload.contents", upload_prices, contents, "april.csv", False)
    assert "Only administrators import prices." in text_of(refused[0]) and _counts() == before
    with signed_in(app, "admin@meridian.example"):
        bad = triggered(
            "market-upload.contents", upload_prices, contents.replace("base64,", "base64,!!"), "x.csv", False
        )
        assert "not valid base64" in text_of(bad[0]) and _counts() == before
        not_csv = triggered("market-upload.contents", upload_prices, contents, "prices.xlsx", False)
        assert "Upload a .csv file." in text_of(not_csv[0])
        done, history, as_of, cleared = triggered(
            "market-upload.contents", upload_prices, contents, "april.csv", False
        )
        assert f"{len(STOCKS)} prices added" in text_of(done) and cleared is None
        assert "admin:admin@meridian.example" in text_of(history) and "april.csv" in text_of(history)
        assert "Prices as of 12 Apr 2018" in text_of(as_of)
        again = triggered("market-upload.contents", upload_prices, contents, "april.csv", False)
        assert "Nothing new" in text_of(again[0])
    assert _counts()[2] == 1


@pytest.mark.browser
@pytest.mark.usefixtures("browser_ready")
def test_pr006_the_market_data_page_in_the_browser(dash_duo, app, tmp_path):
    """Every page's "Prices as of" links here; an analyst reads it, an administrator uploads a file."""
    from selenium.webdriver.common.by import By

    from tests.conftest import browser_sign_in
    from tests.integration.test_pages import open_page

    open_page(dash_duo, app, "/risk")
    dash_duo.wait_for_text_to_equal("#shell-prices", "Prices as of 11 Apr 2018", timeout=20)
    dash_duo.find_element("#shell-prices").click()
    dash_duo.wait_for_contains_text("#market-history", "No prices have been imported", timeout=20)
    assert (
        "Administrators import prices"
        in dash_duo.find_element("#market-upload")
        .find_element(By.XPATH, "ancestor::div[contains(@class, 'card')][1]")
        .text
    )  # analysts cannot upload: the control says so (and the server refuses them)
    dash_duo.driver.get(dash_duo.server_url + "/logout")  # a link asks first; the form signs out
    dash_duo.wait_for_element("#logout-submit", timeout=10).click()
    dash_duo.wait_for_element("#login-notice", timeout=10)
    browser_sign_in(dash_duo.driver, dash_duo.server_url, "admin@meridian.example")
    dash_duo.driver.get(dash_duo.server_url + "/market-data")
    path = tmp_path / "april.csv"
    path.write_text(_wide_file([dt.date(2018, 4, 12), dt.date(2018, 4, 13)]))
    dash_duo.wait_for_element("#market-upload input[type=file]", timeout=20).send_keys(str(path))
    dash_duo.wait_for_contains_text("#market-result", f"{2 * len(STOCKS)} prices added", timeout=30)
    dash_duo.wait_for_contains_text("#market-history", "april.csv", timeout=10)
    dash_duo.wait_for_contains_text("#market-as-of", "Prices as of 13 Apr 2018", timeout=10)
    assert dash_duo.get_logs() == []
