"""Shared fixtures: isolated settings, seeded databases, the real services, the browser.

With ``CI=true`` nothing may skip: a missing Redis, PostgreSQL or Chromium
fails the test instead (see ``pytest_runtest_makereport``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from dashboard.data import demo, migrate
from dashboard.data.db import make_engine
from dashboard.settings import PROJECT_ROOT, Settings
from harness.serve import free_port, postgres_admin, postgres_database_url

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# pytest-xdist runs the suite in several processes (make test): each gets a Redis database of its own,
# since tests empty theirs (15 for the first or only one; 10-14 belong to load runs and benchmarks).
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_WORKER_INDEX = int(WORKER[2:]) if WORKER.startswith("gw") and WORKER[2:].isdigit() else 0
_REDIS_DATABASES = (15, 9, 8, 7, 6, 5, 4, 3)
REDIS_URL = os.environ.get(
    "TEST_REDIS_URL", f"redis://127.0.0.1:6379/{_REDIS_DATABASES[_WORKER_INDEX % len(_REDIS_DATABASES)]}"
)
# The PostgreSQL server of the tests: the database tests' second run (below), and the tests of PostgreSQL
# itself (``postgres_url``).
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CHROMIUM = os.environ.get("DASH_TEST_CHROMEPATH") or shutil.which("chromium") or "/usr/bin/chromium"
# A small but complete demo world: every kind of row, fast to copy.
TEST_HOUSEHOLDS = 8
TEST_TRANSACTIONS_PER_ACCOUNT = 30
# The demo analyst every test acts as unless it says otherwise (README: the demo users).
ANALYST = "analyst@meridian.example"
# The demo admin: the Operations page is theirs.
ADMIN = demo.ADMIN[0]
PASSWORD = demo.DEMO_PASSWORD


def sign_in(
    client, email: str = ANALYST, password: str = PASSWORD, prefix: str = "/", next_path=None, **kwargs
):
    """Sign ``client`` (a Flask test client, or a requests.Session with the server's URL as ``prefix``) in
    through the sign-in form, as a browser does, then to ``next_path``; the response. ``kwargs`` go with
    both requests (a test client's ``environ_base``, ``base_url``)."""
    from harness.dash_client import sign_in_through_form

    def page() -> str:
        get = client.get(f"{prefix}login", **kwargs)
        return get.get_data(as_text=True) if hasattr(get, "get_data") else get.text

    def post(form: dict):
        response = client.post(f"{prefix}login", data=form, **kwargs)
        return (response.get_data(as_text=True) if hasattr(response, "get_data") else response.text), response

    return sign_in_through_form(page, post, email, password, next_path or prefix)


def signed_client(app, email: str = ANALYST, password: str = PASSWORD):
    """A Flask test client of ``app`` signed in as ``email``."""
    client = app.server.test_client()
    from dashboard.extensions import SETTINGS_KEY

    prefix = app.server.extensions[SETTINGS_KEY].url_prefix
    response = sign_in(client, email, password, prefix)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    client.get(f"{prefix}login")  # a signed-in request hands out the callbacks' CSRF token
    token = client.get_cookie("_csrf_token", path=prefix)
    client.environ_base["HTTP_X_CSRFTOKEN"] = token.value  # as Dash's renderer sends it
    return client


@pytest.fixture
def signed_in():
    """``with signed_in(app, email):`` a request context in which ``email`` is the signed-in user
    (callbacks called directly, as the tests of callbacks do)."""
    import contextlib

    @contextlib.contextmanager
    def enter(app, email: str = ANALYST):
        import flask
        from flask_login import login_user
        from sqlalchemy import select

        from dashboard.data.models import User
        from dashboard.extensions import db
        from dashboard.identity import SessionUser

        with app.server.test_request_context():
            with db.session() as session:
                user = session.scalar(select(User).where(User.email == email))
                user_id, epoch = user.id, user.session_epoch
            login_user(SessionUser(user_id, epoch))
            try:
                yield
            finally:
                flask.g.pop("_login_user", None)

    return enter


def signed_session(base: str, email: str = ANALYST, password: str = PASSWORD):
    """A requests.Session signed in to the server at ``base`` (http://host:port, with its prefix)."""
    import requests

    session = requests.Session()
    response = sign_in(session, email, password, base.rstrip("/") + "/")
    assert response.status_code == 200 and "/login" not in response.url, response.text[:300]
    session.headers["X-CSRFToken"] = session.cookies.get("_csrf_token", "")  # as Dash's renderer sends it
    return session


@pytest.fixture(scope="session")
def kept_chromium():
    """The Chromium of this test process's browser tests, kept from one test to the next (a start costs
    ~0.8 s of CPU, 70-odd times a run): ``{"driver": ...}`` between tests, quit at the end."""
    kept: dict = {}
    yield kept
    driver = kept.pop("driver", None)
    if driver is not None:
        _quit(driver)


def _quit(driver) -> None:
    from selenium.common.exceptions import WebDriverException

    with contextlib.suppress(WebDriverException):
        driver.quit()


def _kept_browser(kept: dict, **kwargs):
    """dash.testing's browser (``DashComposite``) on the kept Chromium, in a fresh state: a new tab (the
    old one closed: its history and session storage with it), no cookies, its own download folder, the
    window's first size, no console messages left; a new Chromium when the kept one does not answer.
    Leaving, the Chromium is kept unless it no longer answers."""
    from dash.testing.composite import DashComposite
    from selenium.common.exceptions import WebDriverException

    class KeptBrowser(DashComposite):
        def get_webdriver(self):
            driver = kept.pop("driver", None)
            if driver is not None:
                try:
                    self._fresh(driver)
                    return driver
                except WebDriverException:
                    _quit(driver)
            return super().get_webdriver()

        def _fresh(self, driver) -> None:
            old = driver.current_window_handle
            driver.switch_to.new_window("tab")
            new = driver.current_window_handle
            for handle in driver.window_handles:
                if handle != new:
                    driver.switch_to.window(handle)
                    driver.close()
            driver.switch_to.window(new)
            assert old not in driver.window_handles
            driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
            driver.execute_cdp_cmd(
                "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": self.download_path}
            )
            driver.set_window_size(*WINDOW)
            driver.set_script_timeout(30)  # selenium's default
            driver.get_log("browser")  # read, so emptied

        def __exit__(self, exc_type, exc_val, traceback):
            try:
                # the page stopped where it is, its scripts too (the test's server is about to stop: a
                # page left or still running would send it requests as it goes); its tab is closed later
                self.driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
                self.driver.execute_cdp_cmd("Page.stopLoading", {})
            except WebDriverException:
                super().__exit__(exc_type, exc_val, traceback)  # quits it
                return
            kept["driver"] = self.driver

    return KeptBrowser(**kwargs)


@pytest.fixture
def dash_duo(request, dash_thread_server, tmp_path, kept_chromium):
    """dash.testing's browser (as its own ``dash_duo`` fixture makes it, on the kept Chromium), signed in
    as the demo analyst once its server starts (``dash_duo.sign_in(base)`` signs in to a server started
    elsewhere)."""
    downloads = tmp_path / "download"
    downloads.mkdir()
    option = request.config.getoption
    with _kept_browser(
        kept_chromium,
        server=dash_thread_server,
        browser=option("webdriver"),
        remote=option("remote"),
        remote_url=option("remote_url"),
        headless=option("headless"),
        options=request.config.hook.pytest_setup_options(),
        download_path=str(downloads),
        percy_assets_root=option("percy_assets"),
        percy_finalize=option("nopercyfinalize"),
        pause=option("pause"),
    ) as duo:
        yield _signing_in(duo)


def _signing_in(dash_duo):
    original = dash_duo.start_server

    def start_server(app, **kwargs):
        # a free port: dash.testing numbers its servers from 58050 in every process, so two xdist
        # workers would start on the same one
        kwargs.setdefault("port", free_port())
        original(app, navigate=False, **kwargs)
        prefix = app.config.requests_pathname_prefix  # the app may be served under URL_PREFIX
        browser_sign_in(dash_duo.driver, dash_duo.server.url + prefix)
        # the app's address, signed in; not through dash.testing's ``server_url`` setter, which also opens
        # the page (the Overview: the whole app loaded and computed only to be left by the test)
        dash_duo._url = dash_duo.server.url + prefix.rstrip("/")

    dash_duo.start_server = start_server

    def sign_in(base: str, email: str = ANALYST) -> None:
        """Sign in to ``base`` as ``email``, whoever was signed in before."""
        # a file of this server (no page whose callbacks the signing out would refuse), then its cookies
        dash_duo.driver.get(base.rstrip("/") + "/assets/meridian.css")
        dash_duo.driver.delete_all_cookies()  # the session of whoever was signed in
        browser_sign_in(dash_duo.driver, base, email)

    dash_duo.sign_in = sign_in
    return dash_duo


# Where a browser signed in by the tests lands: a static file of the app. Landing on the Overview (the
# sign-in's default) would load the whole app, its grid and charts, into each test's fresh Chromium
# (no code cache) only to leave it at once: ~3 s of CPU a sign-in, most of a browser test's set-up.
LANDING = "assets/meridian.css"


def browser_sign_in(driver, base: str, email: str = ANALYST, password: str = PASSWORD) -> None:
    """Sign a Chromium session in through the sign-in page; it lands on ``LANDING``."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    from harness.dash_client import TRY_AGAIN

    login = base.rstrip("/") + "/login?next=" + quote(urlsplit(base).path.rstrip("/") + "/" + LANDING)
    for attempt in range(3):
        driver.get(login)
        WebDriverWait(driver, 20).until(
            expected_conditions.presence_of_element_located((By.ID, "login-email"))
        )
        driver.find_element(By.ID, "login-email").send_keys(email)
        driver.find_element(By.ID, "login-password").send_keys(password)
        driver.find_element(By.ID, "login-submit").click()
        try:
            WebDriverWait(driver, 20).until(
                lambda d: "/login" not in d.current_url or TRY_AGAIN in d.page_source
            )
        except TimeoutException:
            text = driver.execute_script("return document.body ? document.body.innerText : ''") or ""
            raise AssertionError(
                f"signing in did not finish in 20 s: at {driver.current_url}, showing {text[:400]!r}"
            ) from None
        if "/login" not in driver.current_url:
            return
        # under load, other sign-ins of this account from this address were in flight, or the password
        # checks were busy: the page says to try again in a moment, as a person would
        time.sleep(1 + attempt)
    raise AssertionError("signing in was asked three times to try again in a moment")


def unavailable(reason: str):
    """Skip locally, fail in CI: a test that needs a service must run there."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


# Tests that run alone, after the rest (make test): they put a gunicorn under load (locust, or a worker
# timeout of 2 s) or run simulations of a million paths on a real worker, and their ceilings assume the
# machine is theirs. (The Celery worker's other tests mostly wait for heartbeats to expire: they run in
# the parallel part, where their waits overlap other tests' work, on their xdist worker's Redis database.)
SERIAL = (
    "tests/load/",
    "tests/reliability/test_faults_under_load.py",
    "tests/reliability/test_celery_worker.py::test_cw002",
    "tests/reliability/test_celery_worker.py::test_cw004",
)
# Tests run on PostgreSQL too: those whose subject is the database - the services' SQL, migrations,
# access and isolation, callbacks reading through the services, background jobs' state, the database
# faults, gunicorn's workers sharing it - but not what a browser sees of it (the same queries as the
# callbacks' tests, drawn), and only those on the seeded database: each runs twice, ``[sqlite]`` on a copy
# of the seeded SQLite file and ``[postgresql]`` on a PostgreSQL database cloned from a template seeded
# once (TEST_POSTGRES_URL's server), in the same parallel run, the second marked ``database`` (``make
# test-postgres`` runs those alone). The others (their own SQLite file, or PostgreSQL already through
# ``postgres_url``) would run the same twice.
DATABASE = (
    "tests/dashboard/",
    "tests/callbacks/",
    "tests/security/",
    "tests/reliability/test_database_faults.py",
    "tests/reliability/test_background_jobs.py",
    "tests/integration/test_gunicorn.py",
)
SEEDED_DATABASES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc):
    definition = metafunc.definition
    if (
        "seeded_template" in metafunc.fixturenames
        and definition.nodeid.startswith(DATABASE)
        and definition.get_closest_marker("browser") is None
    ):
        metafunc.parametrize("seeded_database", SEEDED_DATABASES)


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).resolve().parent.parent
    browser_modules = {item.module for item in items if item.get_closest_marker("browser") is not None}
    # the modules with browser tests (the longest) first, each module's tests still together and in order:
    # xdist's workers then end on short tests, not one waiting for another's last minute-long test
    items.sort(key=lambda item: item.module not in browser_modules)
    for item in items:
        where = Path(str(item.fspath)).resolve().relative_to(root).as_posix() + "::" + item.name
        if where.startswith(SERIAL):
            item.add_marker(pytest.mark.serial)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("seeded_database") == "postgresql":
            if where.startswith(SERIAL):  # the PostgreSQL runs are in the parallel part
                raise pytest.UsageError(f"{where}: a serial test cannot run again on PostgreSQL")
            item.add_marker(pytest.mark.database)
            item.add_marker(pytest.mark.postgres)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which must run every test: {report.longrepr}"


# -- settings and databases ---------------------------------------------------


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.for_tests(tmp_path, market_data_path=PROJECT_ROOT / "data" / "market")


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory):
    """``seeded_template(kind)``: a migrated, seeded database of ``kind`` ("sqlite": a file; "postgresql":
    a template database on TEST_POSTGRES_URL's server), built once per session when first asked for;
    tests get copies."""
    built: dict[str, object] = {}

    def template(kind: str):
        if kind not in built:
            built[kind] = _seeded_template(kind, tmp_path_factory.mktemp(f"template-{kind}"))
        return built[kind]

    yield template
    if "postgresql" in built:
        _drop_postgres_database(built["postgresql"])


def _seeded_template(kind: str, folder: Path):
    template = Settings.for_tests(folder, market_data_path=PROJECT_ROOT / "data" / "market")
    if kind == "postgresql":
        name = _new_postgres_database("meridian_template")
        template = template.replace(database_url=postgres_database_url(POSTGRES_ADMIN_URL, name))
    migrate.upgrade(template)
    engine = make_engine(template.database_url)
    demo.seed(
        engine,
        template.market_data_path,
        households=TEST_HOUSEHOLDS,
        transactions_per_account=TEST_TRANSACTIONS_PER_ACCOUNT,
    )
    _cheap_passwords(engine)
    if kind == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return folder / "test.db" if kind == "sqlite" else name


# The seeded template's users have their password hashed at scrypt N=2^10 (~3 ms a check), not the
# product's N=2^15 (~110 ms here): the tests' sign-ins' checks took ~100 s of the test processes' time in
# a run (py-spy), ~13 % of it. werkzeug reads the cost from each hash. The product's own hashes keep the
# full cost (test id014); the load tests and benchmarks sign in to databases seeded as the product seeds
# them (harness.serve).
TEST_PASSWORD_METHOD = "scrypt:1024:8:1"


def _cheap_passwords(engine) -> None:
    from sqlalchemy import text
    from werkzeug.security import generate_password_hash

    with engine.begin() as conn:
        conn.execute(
            text("UPDATE users SET password_hash = :hash WHERE password_hash IS NOT NULL"),
            {"hash": generate_password_hash(PASSWORD, method=TEST_PASSWORD_METHOD)},
        )


@pytest.fixture
def seeded_database() -> str:
    """The kind of the seeded database (a database test is run with each of ``SEEDED_DATABASES``)."""
    return "sqlite"


@pytest.fixture
def seeded_settings(settings, seeded_template, seeded_database):
    """Settings whose database is a private copy of the seeded template."""
    template = seeded_template(seeded_database)
    if seeded_database == "sqlite":
        shutil.copy(template, settings.instance_path / "test.db")
        yield settings
        return
    name = _new_postgres_database("meridian_test", template)
    yield settings.replace(database_url=postgres_database_url(POSTGRES_ADMIN_URL, name))
    _drop_postgres_database(name)


# -- apps -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def dash_registry():
    """What importing ``callbacks`` registered with Dash (``dash.callback``), taken once per session.

    Dash hands its global registrations to the first app that serves a
    request and empties them; production builds one app per process, but the
    tests build one per test. Like Dash's own suite, they reset Dash's global
    state around each app instead: this is the snapshot it is restored from.
    """
    import copy

    from dash import _callback

    import callbacks  # noqa: F401 - registers every callback

    return copy.deepcopy(_callback.GLOBAL_CALLBACK_MAP), copy.deepcopy(_callback.GLOBAL_CALLBACK_LIST)


def _reset_dash_state(registry=None) -> None:
    import copy

    from dash import _callback, _pages

    _pages.PAGE_REGISTRY.clear()
    _callback.GLOBAL_CALLBACK_MAP.clear()
    _callback.GLOBAL_CALLBACK_LIST.clear()
    if registry is not None:
        _callback.GLOBAL_CALLBACK_MAP.update(copy.deepcopy(registry[0]))
        _callback.GLOBAL_CALLBACK_LIST.extend(copy.deepcopy(registry[1]))


@pytest.fixture
def make_app(dash_registry):
    """``make_app(settings)``: a fresh app with every callback; its metrics flusher stopped afterwards."""
    from callbacks import UI
    from dashboard.factory import create_app, shutdown

    built = []

    def make(settings):
        _reset_dash_state(dash_registry)
        app = create_app(settings, ui=UI)
        built.append(app)
        return app

    yield make
    for app in built:
        shutdown(app)
    _reset_dash_state()


@pytest.fixture
def app(make_app, seeded_settings):
    """An app on a copy of the seeded database; the test runs inside its app context (the database,
    cache and metrics of this app), while a browser test's server threads use their own per request."""
    app = make_app(seeded_settings)
    with app.server.app_context():
        yield app


# -- real services ------------------------------------------------------------


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
        client.ping()
        client.flushdb()
    except redis.RedisError as error:
        unavailable(f"Redis at {REDIS_URL} is not reachable: {error}")
    return REDIS_URL


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = _new_postgres_database("meridian_test")
    yield postgres_database_url(POSTGRES_ADMIN_URL, name)
    _drop_postgres_database(name)


def _new_postgres_database(prefix: str, template: str | None = None) -> str:
    """A new database on TEST_POSTGRES_URL's server (a copy of ``template``, or empty); its name."""
    import sqlalchemy as sa

    if not _port_open("127.0.0.1", 5432):
        unavailable("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    try:
        postgres_admin(POSTGRES_ADMIN_URL, f'CREATE DATABASE "{name}"{copy}')
    except sa.exc.OperationalError as error:
        unavailable(f"PostgreSQL refused to create a test database: {error}")
    return name


def _drop_postgres_database(name: str) -> None:
    postgres_admin(POSTGRES_ADMIN_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- browser ------------------------------------------------------------------


WINDOW = (1400, 1000)  # every browser test's window as it starts


def pytest_setup_options():
    """Chromium options for dash.testing (headless, no network beyond localhost)."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size={},{}".format(*WINDOW),
    ):
        options.add_argument(flag)
    return options


@pytest.fixture
def browser_ready():
    """Fails in CI, skips locally, when Chromium or chromedriver is missing."""
    if not (Path(CHROMIUM).exists() and shutil.which("chromedriver")):
        unavailable("Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)")
