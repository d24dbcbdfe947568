"""Sign-in, sign-out, the portal's header, roles and deactivation (issue 14, point 1), and what a
signed-out or deactivated caller gets from every callback and route (point 3, cases a and c)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from dashboard.data.models import Household, User
from dashboard.extensions import db
from harness.dash_client import DashSite, Layout, sign_in_form
from tests.conftest import ANALYST, PASSWORD, sign_in, signed_client
from tests.security.test_isolation import (
    UPDATE,
    database_digest,
    foreign_values,
    mark_foreign_household,
    page_layouts,
)

ADMIN = "admin@meridian.example"


def _login(client, email=ANALYST, password=PASSWORD, next_path="/", **kwargs):
    return sign_in(client, email, password, "/", next_path, **kwargs)


def test_id001_signed_out_only_the_sign_in_page_and_health_answer(app):
    client = app.server.test_client()
    page = client.get("/risk?household=1")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=/risk")
    for path in ("/_dash-layout", "/_dash-dependencies", "/api/v1/performance-metrics/stats", "/metrics"):
        response = client.get(path)
        assert response.status_code == 401 and response.get_json() == {"error": "Sign in first."}, path
    assert client.post(UPDATE, json={"output": "x"}).status_code == 401
    assert client.get("/api/v1/performance-metrics/health").status_code == 200
    login = client.get("/login")
    assert login.status_code == 200 and b'id="login-form"' in login.data
    assert login.headers["Cache-Control"] == "no-store"


def test_id002_sign_in_says_when_the_password_is_wrong_and_goes_where_it_was_asked(app):
    client = app.server.test_client()
    wrong = _login(client, password="not-the-password")
    assert wrong.status_code == 401 and b"Wrong email or password." in wrong.data
    unknown = _login(client, email="nobody@meridian.example")
    assert unknown.status_code == 401 and b"Wrong email or password." in unknown.data  # the same answer
    assert client.get("/_dash-layout").status_code == 401
    ok = _login(client, next_path="/risk?household=2")
    assert ok.status_code == 302 and ok.headers["Location"] == "/risk?household=2"
    assert client.get("/_dash-layout").status_code == 200
    # a login form without its token, or somewhere else to go afterwards, is refused or ignored
    stale = client.post("/login", data={"email": ANALYST, "password": PASSWORD, "csrf": "forged"})
    assert stale.status_code == 400
    elsewhere = _login(app.server.test_client(), next_path="//evil.example/steal")
    assert elsewhere.status_code == 302 and elsewhere.headers["Location"] == "/"


def test_id003_failed_sign_ins_are_limited_per_account_and_address_and_per_address(make_app, seeded_settings):
    app = make_app(seeded_settings.replace(login_attempts_per_account=3, login_attempts_per_address=5))
    with app.server.app_context():
        client = app.server.test_client()
        for _ in range(3):
            assert _login(client, password="wrong-password").status_code == 401
        blocked = _login(client)  # the right password, too late from this address
        assert blocked.status_code == 429
        assert b"Too many failed sign-ins for this account from your address" in blocked.data
        # another account from the same address: its 4th and 5th failures reach the address's limit
        # (the refused attempt above checked no password and does not count)
        for _ in range(2):
            assert _login(client, email="priya.raman@meridian.example", password="wrong").status_code == 401
        refused = _login(client, email="marcus.bell@meridian.example")
        assert refused.status_code == 429 and b"from your address" in refused.data
        # another address is not blocked by this one's failures
        other = app.server.test_client()
        assert _login(other, email=ADMIN, environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 302
        # the page says how the limits work
        assert b"After 3 failed attempts for an account from one address" in client.get("/login").data


def shell_options_body(client) -> dict:
    """The body the shell's household picker sends on first load (the signed-in client's own layout)."""
    site = DashSite(client.get("/_dash-dependencies").get_json())
    return site.body(
        site.callback("shell-household-select.options"),
        Layout.of(client.get("/_dash-layout").get_json()),
        {"shell-url.search": ""},
        ["shell-url.search"],
    )


def sign_out(client, prefix: str = "/"):
    """Sign out as the navbar's form does: a POST with the session's token (the callbacks' cookie)."""
    token = client.get_cookie("_csrf_token", path=prefix).value
    return client.post(f"{prefix}logout", data={"csrf": token})


def test_id004_sign_out_ends_the_session_even_for_a_copied_cookie(app):
    client = signed_client(app)
    cookie = client.get_cookie("meridian_session").value
    assert client.get("/_dash-layout").status_code == 200
    out = sign_out(client)
    assert out.status_code == 302 and "signed_out=1" in out.headers["Location"]
    assert client.get("/_dash-layout").status_code == 401
    copy = app.server.test_client()
    copy.set_cookie("meridian_session", cookie)
    assert copy.get("/_dash-layout").status_code == 401  # the old cookie's epoch has passed


def test_id005_session_cookie_flags(app):
    def session_cookie(response) -> str:
        return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("meridian_session="))

    plain = session_cookie(_login(app.server.test_client()))
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    secure = session_cookie(_login(app.server.test_client(), base_url="https://meridian.example"))
    assert "Secure" in secure


def test_id006_the_portal_header_signs_in_only_from_the_portals_address(make_app, seeded_settings):
    app = make_app(
        seeded_settings.replace(proxy_user_header="X-Portal-User", trusted_proxies=("10.1.2.0/24",))
    )
    with app.server.app_context():
        portal = {"REMOTE_ADDR": "10.1.2.3"}
        client = app.server.test_client()
        signed = client.get("/_dash-layout", headers={"X-Portal-User": ANALYST}, environ_base=portal)
        assert signed.status_code == 200
        assert client.get("/_dash-layout", environ_base=portal).status_code == 200  # the session stays
        forged = app.server.test_client().get(
            "/_dash-layout", headers={"X-Portal-User": ADMIN}, environ_base={"REMOTE_ADDR": "192.0.2.7"}
        )
        assert forged.status_code == 401  # the header from anywhere else is ignored
        unknown = app.server.test_client().get(
            "/_dash-layout", headers={"X-Portal-User": "nobody@meridian.example"}, environ_base=portal
        )
        assert unknown.status_code == 403  # the portal names someone we do not know: refused, said so
        assert "does not know or has deactivated" in unknown.get_json()["error"]


def test_id007_deactivation_and_role_changes_take_effect_at_once(app):
    from dashboard.services import users

    admin = signed_client(app, ADMIN)
    analyst = signed_client(app)
    dependencies = analyst.get("/_dash-dependencies").get_json()
    site = DashSite(dependencies)
    shell = analyst.get("/_dash-layout").get_json()
    household_options = site.body(
        site.callback("shell-household-select.options"),
        Layout.of(shell),
        {"shell-url.search": ""},
        ["shell-url.search"],
    )

    def visible(client) -> set[int]:
        answer = client.post(UPDATE, json=household_options).get_json()["response"]
        return {int(o["value"]) for o in answer["shell-household-select"]["options"]}

    with db.session() as session:
        everyone = set(session.scalars(select(Household.id)))
        mine = set(session.scalars(select(Household.id).join(User).where(User.email == ANALYST)))
    assert visible(admin) == everyone and visible(analyst) == mine != everyone
    users.set_role(ANALYST, "admin")
    assert visible(analyst) == everyone  # the next request sees the new role
    users.set_role(ANALYST, "analyst")
    assert visible(analyst) == mine
    users.set_active(ANALYST, False)
    assert analyst.get("/_dash-layout").status_code == 401
    assert _login(app.server.test_client()).status_code == 401  # and cannot sign in again
    users.set_active(ANALYST, True)
    assert analyst.get("/_dash-layout").status_code == 401  # its old session stays ended
    assert _login(app.server.test_client()).status_code == 302


@pytest.mark.parametrize("who", ["no session", "deactivated user"])
def test_id008_every_callback_and_route_refuses_a_caller_without_a_live_session(app, who):
    """The isolation walk's cases (a) and (c): nothing of anyone's data, nothing written, no 500."""
    from dashboard.services import users

    foreign = mark_foreign_household()
    names = list(foreign["names"].values())
    reader = signed_client(app, ADMIN)  # to read the app's callbacks and layouts
    site = DashSite(reader.get("/_dash-dependencies").get_json())
    shell = reader.get("/_dash-layout").get_json()
    layout = Layout.of(shell, *page_layouts(reader, site, shell))
    keys = sorted({cid["page"] for cid in layout.ids.values() if isinstance(cid, dict) and "page" in cid})
    values = foreign_values(foreign["ids"], keys)
    if who == "no session":
        caller = app.server.test_client()
    else:
        caller = signed_client(app)
        users.set_active(ANALYST, False)
    before = database_digest()
    statuses = {}
    for callback in site.callbacks:
        for match in [{"page": key} for key in keys] if "MATCH" in str(callback.inputs) else [None]:
            response = caller.post(UPDATE, json=site.body(callback, layout, values, [], match))
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert not any(name.encode() in response.data for name in names)
    for rule in app.server.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments:
            response = caller.get(f"{rule.rule}?household={foreign['ids']['household']}")
            assert response.status_code < 500 and not any(n.encode() in response.data for n in names)
            public = ("/login", "/logout", "/api/v1/performance-metrics/health", "/_favicon.ico")
            if rule.rule not in public:
                assert response.status_code in (301, 302, 401, 404), (rule.rule, response.status_code)
    assert set(statuses) == {401}, statuses
    assert database_digest() == before


def test_id009_callbacks_need_the_pages_csrf_token(app):
    """Dash 4's double submit: a signed-in browser's page sends the session's token as a header; a form
    or script of another site cannot, so its POST is refused (and SameSite keeps the session cookie off
    cross-site POSTs in the first place)."""
    client = signed_client(app)
    body = shell_options_body(client)
    assert client.post(UPDATE, json=body).status_code == 200
    token = client.environ_base.pop("HTTP_X_CSRFTOKEN")
    refused = client.post(UPDATE, json=body, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403 and "did not come from a Meridian page" in refused.get_json()["error"]
    other = signed_client(app)  # another session's token is not this one's
    assert (
        client.post(
            UPDATE, json=body, headers={"X-CSRFToken": other.environ_base["HTTP_X_CSRFTOKEN"]}
        ).status_code
        == 403
    )
    assert client.post(UPDATE, json=body, headers={"X-CSRFToken": token}).status_code == 200
    handed = [
        c
        for c in _login(app.server.test_client()).headers.getlist("Set-Cookie")
        if c.startswith("_csrf_token=")
    ]
    assert handed and "SameSite=Strict" in handed[0] and "HttpOnly" not in handed[0]


def _writes_session(response) -> bool:
    return any(c.startswith("meridian_session=") for c in response.headers.getlist("Set-Cookie"))


def test_id010_only_signing_in_and_out_write_the_session_cookie(app):
    """A cookie session is whole in each response that sets it, so a slow response that rewrote the
    session it was sent with would undo whatever answered in between: under load the sign-in page's
    stylesheet or icon, answered after the sign-in, signed the browser out again (or replaced the form's
    token, so the sign-in said "the form expired"). Only what means to change the session writes it."""
    client = app.server.test_client()
    login = client.get("/login")
    assert _writes_session(login)  # the form's token
    named = login.data.split(b'rel="icon" href="')[1].split(b'"')[0].decode()  # the page names its icon
    icon = client.get(named)
    assert icon.status_code == 200 and icon.mimetype.startswith("image/")
    asked = client.get("/favicon.ico")  # where a browser not told looks: the icon, not a sign-in page
    assert asked.status_code == 301 and asked.headers["Location"] == named
    for response in (
        client.get("/assets/00-bootstrap.min.css"),
        client.get("/assets/meridian.css"),
        icon,
        asked,
        client.get("/login"),  # shown again (a second tab, a reload): the same form token
        client.get("/_dash-layout"),  # refused, signed out
    ):
        assert not _writes_session(response), response.request.path
    signed = _login(client)
    assert signed.status_code == 302 and _writes_session(signed)
    for path in ("/assets/meridian.css", "/favicon.ico", "/_dash-layout", "/login"):
        assert not _writes_session(client.get(path)), path
    assert client.get("/_dash-layout").status_code == 200


def test_id011_password_checks_wait_their_turn_at_low_priority_and_a_full_queue_says_try_again(
    app, monkeypatch
):
    """A burst of sign-ins never holds every request thread: password checks run one per core in
    threads the OS runs after the callbacks, and once ``waiting`` sign-ins wait, the next is told at
    once to try again in a moment, with nothing counted against the account."""
    import os
    import threading

    from dashboard.identity import BUSY
    from dashboard.services import users

    checks = users.PasswordChecks(waiting=1, admission=0.2)
    monkeypatch.setattr(users, "CHECKS", checks)
    release, started, priorities = threading.Event(), threading.Event(), []
    real = users.check_password_hash

    def slow(stored, password):
        priorities.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        started.set()
        release.wait(30)
        return real(stored, password)

    monkeypatch.setattr(users, "check_password_hash", slow)
    first: list = []
    waiting = threading.Thread(target=lambda: first.append(_login(app.server.test_client())))
    waiting.start()
    assert started.wait(30)
    other = app.server.test_client()  # one attempt, not a person trying again
    busy = other.post(
        "/login", data=sign_in_form(other.get("/login").get_data(as_text=True), ADMIN, PASSWORD)
    )
    assert busy.status_code == 429 and BUSY in busy.get_data(as_text=True)
    assert busy.headers.get("Retry-After") == "2"  # when the sign-in page's script sends it again
    scripted = other.post(  # the same, sent by that script: a 200 saying 429 (no console error)
        "/login",
        data=sign_in_form(other.get("/login").get_data(as_text=True), ADMIN, PASSWORD),
        headers={"X-Sign-In": "page"},
    )
    assert scripted.status_code == 200 and scripted.headers.get("X-Sign-In-Status") == "429"
    assert scripted.headers.get("Retry-After") == "2" and BUSY in scripted.get_data(as_text=True)
    release.set()
    waiting.join(30)
    assert first[0].status_code == 302  # the one waiting got in
    assert _login(app.server.test_client(), email=ADMIN).status_code == 302  # and the next, in its turn
    assert priorities and set(priorities) == {users.PasswordChecks.NICE}
    assert users.PasswordChecks.NICE > 0  # below the request threads
    # the refused attempt counted nothing: five wrong passwords are still allowed before the pause
    for _ in range(5):
        assert _login(app.server.test_client(), email=ADMIN, password="not-it").status_code == 401


def test_id012_a_check_interrupted_in_its_thread_is_checked_again_and_the_threads_start_with_the_app(
    app, monkeypatch
):
    """dash.testing stops its server by raising SystemExit in every thread newer than the server's
    (a fault we can cause for real): a check interrupted that way is put back and answered, and the
    checking threads exist once the app is built, so such a stop never reaches them."""
    import ctypes
    import threading
    import time

    from dashboard.services import users

    assert any(t.name.startswith("password-check") for t in threading.enumerate())  # started by create_app
    checks = users.PasswordChecks(waiting=2, timeout=20.0)
    monkeypatch.setattr(users, "CHECKS", checks)
    entered, calls = threading.Event(), []
    real = users.check_password_hash

    def interrupted_once(stored, password):
        calls.append(threading.get_ident())
        if len(calls) == 1:  # the first check: stopped from outside while it runs
            entered.set()
            while True:
                time.sleep(0.01)
        return real(stored, password)

    monkeypatch.setattr(users, "check_password_hash", interrupted_once)
    found = []

    def sign_in():
        with app.server.app_context():
            found.append(users.verify_password(ADMIN, PASSWORD))

    waiting = threading.Thread(target=sign_in)
    waiting.start()
    assert entered.wait(20)
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_long(calls[0]), ctypes.py_object(SystemExit))
    waiting.join(20)
    assert found and found[0] is not None and found[0].email == ADMIN  # answered, not "busy"
    assert len(calls) == 2  # checked again
    assert users._matches("not a hash", PASSWORD) is False  # a damaged stored value matches nothing


def test_id013_a_sign_in_rush_holds_at_most_its_share_of_request_threads_set_after_the_threads_start(
    monkeypatch,
):
    """Sign-ins hold at most ``waiting`` request threads checking, and one more waiting its turn; any
    beyond is told at once to try again rather than holding a thread too (under a rush that the password
    checks cannot keep up with, sign-ins used to take every request thread of the worker and cached runs
    waited 15 s: ``python -m benchmarks signin``). gunicorn's worker sets the bound once the app (and its
    checking threads) started: it takes effect."""
    import threading

    from dashboard.services import users

    checks = users.PasswordChecks(waiting=3, admission=30.0, timeout=30.0)
    checks.start()  # as create_app does, before gunicorn's post_worker_init sets the bound
    checks.waiting = 1
    release, started = threading.Event(), threading.Event()
    real = users.check_password_hash
    stored = users.generate_password_hash("a password of ten", method="scrypt")

    def slow(hashed, password):
        started.set()
        release.wait(30)
        return real(hashed, password)

    monkeypatch.setattr(users, "check_password_hash", slow)
    outcomes: dict[str, object] = {}

    def attempt(name: str) -> None:
        try:
            outcomes[name] = checks.check(stored, "a password of ten")
        except users.SignInsBusy:
            outcomes[name] = "busy"

    first = threading.Thread(target=attempt, args=("first",))
    first.start()
    assert started.wait(30)  # being checked
    second = threading.Thread(target=attempt, args=("second",))
    second.start()  # waits its turn (up to 30 s)
    for name in ("third", "fourth"):
        extra = threading.Thread(target=attempt, args=(name,))
        extra.start()
        extra.join(10)
        assert not extra.is_alive() and outcomes[name] == "busy", outcomes  # told at once, nothing held
    assert second.is_alive() and "second" not in outcomes  # still waiting its turn
    release.set()
    first.join(30)
    second.join(30)
    assert outcomes["first"] is True and outcomes["second"] is True, outcomes  # both checked in turn


def test_id014_passwords_are_hashed_at_scrypts_full_cost_by_the_product(settings):
    """The product hashes with scrypt N=2^15, r=8, p=1 (werkzeug's "scrypt"): a password set through the
    services, the demo users a fresh database is seeded with, and the decoy an unknown email is checked
    against, so that it takes as long as a known one. (The tests' seeded template alone is hashed cheaper:
    tests/conftest.py, TEST_PASSWORD_METHOD.)"""
    from sqlalchemy import text

    from dashboard.data import demo, migrate
    from dashboard.data.db import make_engine
    from dashboard.services import users

    full = "scrypt:32768:8:1$"
    assert users.hash_password("a password of ten").startswith(full)
    assert users._DECOY.startswith(full)
    migrate.upgrade(settings)
    engine = make_engine(settings.database_url)
    demo.seed(engine, settings.market_data_path, households=1, transactions_per_account=1)
    with engine.connect() as conn:
        hashes = conn.execute(text("SELECT password_hash FROM users")).scalars().all()
    engine.dispose()
    assert hashes and all(h.startswith(full) for h in hashes), [h[:20] for h in hashes]


def test_id015_a_session_cookie_is_verified_once_and_its_age_and_keys_checked_on_every_request(
    app, monkeypatch
):
    """Each app keeps what the session cookies it verified hold (dashboard/identity.py, _SecureWhenHttps):
    the same cookie is not verified again, yet a cookie older than the session's lifetime, one the keys in
    use did not sign, or a changed one is refused as before, and what one request does to its session is
    not what the next one opens."""
    import datetime
    import time

    import flask
    from itsdangerous.timed import TimedSerializer

    client = signed_client(app)
    cookie = client.get_cookie("meridian_session").value
    verified = []
    loads = TimedSerializer.loads

    def counted(self, *args, **kwargs):
        verified.append(1)
        return loads(self, *args, **kwargs)

    monkeypatch.setattr(TimedSerializer, "loads", counted)

    assert client.get("/_dash-layout").status_code == 200
    first = len(verified)
    for _ in range(5):
        assert client.get("/_dash-layout").status_code == 200
    assert len(verified) == first <= 1  # verified at most once (the sign-in's own request may have)

    interface = app.server.session_interface
    with app.server.test_request_context(headers={"Cookie": f"meridian_session={cookie}"}):
        opened = interface.open_session(app.server, flask.request)
        assert opened["_user_id"].split(":")[0].isdigit()
        opened["_user_id"] = "999:0"
        assert interface.open_session(app.server, flask.request)["_user_id"] != "999:0"

    tampered = app.server.test_client()
    tampered.set_cookie("meridian_session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert tampered.get("/_dash-layout").status_code == 401

    key = app.server.secret_key
    monkeypatch.setattr(app.server, "secret_key", "another key, after a rotation without fallback")
    assert client.get("/_dash-layout").status_code == 401  # the keys in use did not sign it
    monkeypatch.setattr(app.server, "secret_key", key)
    assert client.get("/_dash-layout").status_code == 200

    signed = len(verified)
    monkeypatch.setattr(app.server, "permanent_session_lifetime", datetime.timedelta(seconds=0))
    time.sleep(1.1)  # the cookie is now at least a second old: older than a lifetime of 0 s
    assert client.get("/_dash-layout").status_code == 401
    assert len(verified) == signed  # refused by the age kept with it, not verified again
    monkeypatch.setattr(app.server, "permanent_session_lifetime", datetime.timedelta(days=31))
    assert client.get("/_dash-layout").status_code == 200
