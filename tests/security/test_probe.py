"""What the security probe found (issue 29), each point with the test that failed before its fix.

1. the portal header naming an unknown or deactivated user signs the cookie's user out (sec101)
2. sign-in limits hold under parallel requests: counted before the password is checked (sec102, real
   gunicorn, two workers, Redis)
3. lockout is no weapon: per account-and-address and per address, a growing delay per account (sec103)
4. sign-out is a POST with the page's token (sec104; the navbar's form in Chromium: test_shell001)
5. tampered input is the client's fault: 400 or a message, never a server fault (sec105-sec107)
6. the callback size cap holds for chunked bodies (sec102, real gunicorn)
7. no-store on signed-in responses, forwarded headers believed only behind a proxy, health says only
   up/down signed out (sec108; gunicorn's part in sec102)
8. saved runs keep the validated request (sec109)
9. the worker warm-up runs signed out (sec102: its log line)
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

import pytest
import requests
from sqlalchemy import select

from dashboard.data.models import ThreadItem
from dashboard.extensions import metrics
from dashboard.forms.fields import parse_search
from dashboard.identity import BUSY
from harness.dash_client import DashSite, Layout, sign_in_form
from tests.conftest import ANALYST, PASSWORD, sign_in, signed_client
from tests.security.test_identity import ADMIN, shell_options_body, sign_out
from tests.security.test_isolation import UPDATE, database_digest, page_layouts

OTHER_ANALYST = "priya.raman@meridian.example"  # another seeded analyst

PORTAL = {"REMOTE_ADDR": "10.1.2.3"}


def _errors_counted() -> int:
    return sum(op.get("errors", 0) for op in metrics.stats("all").values())


def test_sec101_a_portal_header_naming_nobody_signs_the_cookies_user_out(make_app, seeded_settings):
    from dashboard.services import users

    app = make_app(
        seeded_settings.replace(proxy_user_header="X-Portal-User", trusted_proxies=("10.1.2.0/24",))
    )
    with app.server.app_context():
        admin = signed_client(app, ADMIN)
        assert admin.get("/_dash-layout", environ_base=PORTAL).status_code == 200
        users.set_active(ANALYST, False)
        for named in (ANALYST, "nobody@meridian.example"):  # deactivated, unknown
            refused = admin.get("/_dash-layout", headers={"X-Portal-User": named}, environ_base=PORTAL)
            assert (
                refused.status_code == 403
                and "does not know or has deactivated" in refused.get_json()["error"]
            )
            page = admin.get("/risk", headers={"X-Portal-User": named}, environ_base=PORTAL)
            assert page.status_code == 403 and b"does not know or has deactivated" in page.data
            # the admin's session is gone from this browser: without the header, signed out
            assert admin.get("/_dash-layout", environ_base=PORTAL).status_code == 401
            admin = signed_client(app, ADMIN)
        # the portal naming the admin still signs the admin in
        portal = app.server.test_client()
        assert (
            portal.get("/_dash-layout", headers={"X-Portal-User": ADMIN}, environ_base=PORTAL).status_code
            == 200
        )


def _login(client, email=ANALYST, password=PASSWORD, address="10.0.0.1"):
    return sign_in(client, email, password, "/", "/", environ_base={"REMOTE_ADDR": address})


def _sign_in_form(client, email=ANALYST, password=PASSWORD):
    """``client`` and the sign-in form it was given (its token), ready to be sent."""
    return client, sign_in_form(client.get("/login").get_data(as_text=True), email, password)


def test_sec103_wrong_passwords_from_elsewhere_slow_the_owner_down_but_never_lock_them_out(
    make_app, seeded_settings
):
    app = make_app(seeded_settings.replace(login_attempts_per_account=5, login_max_delay_seconds=2))
    with app.server.app_context():
        attacker = app.server.test_client()
        for _ in range(5):
            assert _login(attacker, password="guess", address="203.0.113.5").status_code == 401
        refused = _login(attacker, address="203.0.113.5")  # even the right password, from there
        assert refused.status_code == 429 and b"for this account from your address" in refused.data
        # the owner, from their own address: past the free attempts each waits its turn (1 s, then 2 s)
        owner = app.server.test_client()
        assert _login(owner, address="10.0.0.7").status_code == 302
        other = app.server.test_client()  # another attacker's address fails once more: 6 failures
        time.sleep(1.1)
        assert _login(other, password="guess", address="198.51.100.9").status_code == 401
        waiting = _login(app.server.test_client(), address="10.0.0.7")
        if waiting.status_code == 302:
            # the other's turn (1 s from its admission, its password check included) ran out before the
            # owner came, as on a machine busy enough to stall a request for a second: the owner was
            # rightly let in, and took the next turn, of 2 s, which the owner's next attempt waits for
            waiting = _login(app.server.test_client(), address="10.0.0.7")
        assert waiting.status_code == 429 and b"try again in 2 seconds" in waiting.data
        # attempts refused while waiting are not counted against the owner's address (no password was
        # checked): six of them, then the owner's turn comes and the limit of five has not been reached.
        # Their forms are fetched first and the six sent together as the owner's sign-in takes its turn
        # of 2 s: one after another, on a machine busy enough, the last could come after the turn ended.
        forms = [_sign_in_form(app.server.test_client()) for _ in range(6)]
        time.sleep(2.1)
        assert _login(app.server.test_client(), address="10.0.0.7").status_code == 302
        answers = [None] * len(forms)

        def send(i):
            client, form = forms[i]
            answers[i] = client.post("/login", data=form, environ_base={"REMOTE_ADDR": "10.0.0.7"})

        senders = [threading.Thread(target=send, args=(i,)) for i in range(len(forms))]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        assert [answer.status_code for answer in answers] == [429] * 6
        assert all(b"try again in 2 seconds" in answer.data for answer in answers)
        time.sleep(2.1)
        assert _login(app.server.test_client(), address="10.0.0.7").status_code == 302


def test_sec104_sign_out_is_a_post_with_the_pages_token(app):
    client = signed_client(app)
    asked = client.get("/logout")  # a link (or another site's top-level navigation) only asks
    assert asked.status_code == 200 and b'id="logout-form"' in asked.data
    assert client.get("/_dash-layout").status_code == 200
    forged = client.post("/logout")  # a form of another site: no token (SameSite keeps the cookie off too)
    assert forged.status_code == 400 and b"did not come from a Meridian page" in forged.data
    assert client.post("/logout", data={"csrf": "guessed"}).status_code == 400
    assert client.get("/_dash-layout").status_code == 200  # still signed in
    assert sign_out(client).status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    # the confirmation page's own form signs out too
    again = signed_client(app)
    page = again.get("/logout").get_data(as_text=True)
    token = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert again.post("/logout", data={"csrf": token}).status_code == 302
    assert again.get("/_dash-layout").status_code == 401


@pytest.fixture
def probe(app, caplog):
    """A signed-in analyst's client, the app's callbacks and shell layout; nothing in the database changes,
    nothing is logged as an error and no callback error is counted."""
    client = signed_client(app)
    site = DashSite(client.get("/_dash-dependencies").get_json())
    layout = Layout.of(client.get("/_dash-layout").get_json())
    before, errors = database_digest(), _errors_counted()
    with caplog.at_level(logging.INFO):
        yield client, site, layout
    assert database_digest() == before
    assert _errors_counted() == errors
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text[-2000:]


def _post(client, body) -> tuple[int, str]:
    response = client.post(UPDATE, data=json.dumps(body), content_type="application/json")
    return response.status_code, response.get_data(as_text=True)


def test_sec105_wildcard_output_lists_that_do_not_match_are_refused(probe):
    client, site, layout = probe
    layout = Layout.of(
        client.get("/_dash-layout").get_json(),
        *page_layouts(client, site, client.get("/_dash-layout").get_json()),
    )
    shell = site.callback("shell-household-select.options")
    body = site.body(shell, layout, {"shell-url.search": ""}, ["shell-url.search"])
    assert _post(client, body)[0] == 200
    # every callback with a wildcard output, its list one short (or one too many): refused, not a fault
    checked = 0
    for callback in [c for c in site.callbacks if '"ALL"' in c.output]:
        request = site.body(callback, layout, {}, [], {"page": "risk"})
        outputs = request["outputs"] if callback.output.startswith("..") else [request["outputs"]]
        for position, entry in enumerate(outputs):
            if not isinstance(entry, list) or not entry:
                continue
            for changed in (entry[:-1], [*entry, {**entry[0], "id": {**entry[0]["id"], "index": "zz"}}]):
                tampered = json.loads(json.dumps(request))
                if callback.output.startswith(".."):
                    tampered["outputs"][position] = changed
                else:
                    tampered["outputs"] = changed
                status, text = _post(client, tampered)
                assert status == 400 and "do not match" in text, (callback.output, status, text[:200])
                checked += 1
    assert checked >= 4  # the shell's links and every form's fields and messages


def test_sec106_household_ids_that_are_not_ids_get_a_message(probe):
    client, site, layout = probe
    risk = site.callback("risk-results.children")
    for bad in ("²", "1" * 5000, "٣", "7x", True, [1], {"id": 1}):
        body = site.body(risk, layout, {"shell-household-select.value": bad}, ["risk-run.n_clicks"])
        status, text = _post(client, body)
        assert status < 500, (bad, status, text[:300])
        assert status == 400 or "Choose a household" in text, (bad, text[:300])


def test_sec107_malformed_trigger_ids_and_lone_surrogates_are_refused(probe):
    client, site, layout = probe
    shell = site.callback("shell-household-select.options")
    for changed in (["{bad.value"], ["nodot"], ['{"type":1}.value'], ["shell-user.children"], [".value"]):
        body = site.body(shell, layout, {"shell-url.search": ""}, changed)
        status, text = _post(client, body)
        assert status == 400 and "changedPropIds" in text, (changed, status, text[:200])
    body = site.body(shell, layout, {"shell-url.search": "?household=\ud800"}, ["shell-url.search"])
    raw = json.dumps(body)  # the lone surrogate travels as \\ud800, as a browser's JSON.stringify writes it
    assert "\\ud800" in raw
    response = client.post(UPDATE, data=raw, content_type="application/json")
    assert response.status_code == 400 and "not valid Unicode" in response.get_json()["error"]
    # a surrogate pair (an emoji) is text like any other
    body = site.body(shell, layout, {"shell-url.search": "?q=\U0001f600"}, ["shell-url.search"])
    assert client.post(UPDATE, data=json.dumps(body), content_type="application/json").status_code == 200


def test_sec108_signed_in_responses_are_never_stored_and_health_says_little_signed_out(app):
    client = signed_client(app)
    for path in ("/risk", "/_dash-layout", "/_dash-dependencies", "/api/v1/performance-metrics/stats"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    body = shell_options_body(client)
    assert client.post(UPDATE, json=body).headers["Cache-Control"] == "no-store"
    asset = client.get("/assets/meridian.css")
    assert asset.status_code == 200 and "no-store" not in asset.headers.get("Cache-Control", "")
    detailed = client.get("/api/v1/performance-metrics/health").get_json()
    assert {"database", "redis", "workers", "cache"} <= set(detailed)
    anonymous = app.server.test_client().get("/api/v1/performance-metrics/health")
    assert anonymous.status_code == 200 and anonymous.get_json() == {"status": "up"}
    assert anonymous.headers["Cache-Control"] == "no-store"


def test_sec109_a_saved_run_keeps_the_validated_request_not_the_string_sent(app, signed_in):
    import callbacks
    from dashboard.forms.risk import FORM as RISK_FORM
    from tests.callbacks.test_pages import form, households, triggered

    with signed_in(app):
        household = households()[0][0]
        values, field_ids = form(RISK_FORM, paths=2000)
        scenario = triggered(
            "risk-run.n_clicks", callbacks.RUNS["risk"], 1, None, household.id, values, field_ids
        )[-1]
        tampered = scenario + "&made_up=%3Cb%3Eyes%3C%2Fb%3E&paths_extra=9"
        save = json.dumps({"type": "thread-save", "page": "risk"}, separators=(",", ":")) + ".n_clicks"
        out = triggered(save, callbacks.THREADS.save_to_thread, 1, tampered, None, "Probe", "", household.id)
        assert "Saved" in str(out[0])
    from dashboard.extensions import db

    with db.session() as session:
        params = session.scalars(select(ThreadItem.params).order_by(ThreadItem.id.desc())).first()
    assert "made_up" not in params and "paths_extra" not in params
    assert f"household={household.id}" in params and "paths=2000" in params
    kept = {k: v for k, v in parse_search(params).items() if k != "household"}
    assert RISK_FORM.clean(kept) == RISK_FORM.clean(
        {f.name: v for f, v in zip(RISK_FORM.fields, values, strict=True)}
    )


# -- against a real gunicorn (two workers, the shared Redis) -------------------------------------


@pytest.fixture
def served(tmp_path, redis_url):
    from harness.serve import gunicorn, seeded_instance

    settings = seeded_instance(tmp_path / "app", households=2, transactions_per_account=5)
    with gunicorn(settings, workers=2, threads=8, REDIS_URL=redis_url, LOG_LEVEL="INFO") as base:
        yield base, settings.instance_path / "gunicorn.log"


def _sign_ins_at_once(base: str, count: int, email: str, password: str) -> list[int]:
    """``count`` sign-ins for ``email``, each from its own session, sent together; their statuses."""
    sessions = []
    for _ in range(count):
        session = requests.Session()
        page = session.get(f"{base}/login", timeout=10).text
        sessions.append((session, sign_in_form(page, email, password)))
    start = threading.Barrier(count)
    codes: list[int] = []

    def attempt(session, form):
        start.wait()
        for _ in range(10):
            answer = session.post(f"{base}/login", data=form, timeout=60, allow_redirects=False)
            if answer.status_code != 429 or BUSY not in answer.text:
                break
            time.sleep(0.5)  # the password checks were busy: the page says to try again in a moment
        codes.append(answer.status_code)

    threads = [threading.Thread(target=attempt, args=pair) for pair in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def test_sec102_against_gunicorn_limits_race_chunked_bodies_forwarded_headers_warm_up(served):
    base, log = served
    host, port = base.removeprefix("http://").split(":")
    # 9: each worker warmed up in-process, never answered by the sign-in redirect
    deadline = time.monotonic() + 60
    while (text := log.read_text()).count("worker warmed up in") < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert text.count("worker warmed up in") == 2 and "answered" not in text, text[-2000:]

    # 2: 15 wrong passwords at once for one account from one address: only the limit (5) is checked
    codes = _sign_ins_at_once(base, 15, ANALYST, "wrong")
    assert sorted(codes) == [401] * 5 + [429] * 10, codes
    # ... while 8 analysts behind one address signing in at once with the right password all get in
    # (attempts in flight beyond the limit wait for the outcome of those before them)
    assert _sign_ins_at_once(base, 8, OTHER_ANALYST, PASSWORD) == [302] * 8

    # 6: the 2 MB cap holds on the bytes read, chunked or not
    signed = requests.Session()
    assert sign_in(signed, ADMIN, PASSWORD, f"{base}/").status_code == 200  # the analyst's pair is spent
    headers = {"Content-Type": "application/json", "X-CSRFToken": signed.cookies.get("_csrf_token")}
    cookie = "; ".join(f"{c.name}={c.value}" for c in signed.cookies)

    def chunked(body: bytes) -> int:
        """POST ``body`` with chunked transfer encoding; the status the server answered (it may answer
        and close before the whole body is sent: that is the point)."""
        head = "".join(f"{k}: {v}\r\n" for k, v in {**headers, "Cookie": cookie}.items())
        with socket.create_connection((host, int(port)), timeout=60) as sock:
            try:
                sock.sendall(
                    f"POST {UPDATE} HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n{head}\r\n".encode()
                )
                for i in range(0, len(body), 65536):
                    piece = body[i : i + 65536]
                    sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                sock.sendall(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            answer = b""
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        return int(answer.split(b" ", 2)[1])

    site = DashSite(signed.get(f"{base}/_dash-dependencies", timeout=10).json())
    body = site.body(site.callback("shell-household-select.options"), Layout(), {"shell-url.search": ""}, [])
    assert chunked(json.dumps(body).encode()) == 200
    padded = {**body, "padding": "x" * (5 * 1024 * 1024)}
    assert chunked(json.dumps(padded).encode()) == 413
    assert chunked(json.dumps({**body, "padding": "x" * (20 * 1024 * 1024)}).encode()) == 413

    # 7: with PROXY_HOPS=0 nobody's X-Forwarded-Proto is believed (the cookie is not marked Secure)
    fresh = requests.Session()
    response = sign_in(
        fresh,
        OTHER_ANALYST,
        PASSWORD,
        f"{base}/",
        headers={"X-Forwarded-Proto": "https"},
        allow_redirects=False,
    )
    cookie_header = response.headers["Set-Cookie"]
    assert "meridian_session=" in cookie_header and "Secure" not in cookie_header
