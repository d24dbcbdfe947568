"""Who is signed in: the sign-in page and sign-out, the portal's trusted header, the gate in front of
everything else, and the session cookie.

Flask-Login keeps the signed-in user's id in Flask's signed session cookie (``HttpOnly``,
``SameSite=Lax``, ``Secure`` whenever the request came over HTTPS); every request looks the user up
through the session cache (:func:`dashboard.services.access.user_by_id`), so a deactivated user or a
changed role takes effect at once (the services invalidate it). Passwords are checked against
scrypt hashes (werkzeug). Sign-in attempts are counted before the password is checked, per account
and address and per address, in the shared cache, and an account with many failures is slowed down,
never locked (:class:`SignInLimits`). Sign-out is a POST carrying the page's token.

Signed out, only the sign-in page, sign-out, the health endpoint, the stylesheet the sign-in page
uses and (with ``METRICS_TOKEN``) the Prometheus endpoint answer: pages redirect to the sign-in
page, everything else (callbacks, the API, Dash's own routes) answers 401 JSON.
"""

from __future__ import annotations

import copy
import functools
import hmac
import ipaddress
import logging
import secrets
import time
from urllib.parse import quote, urlsplit

import dash
import flask
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, login_user, logout_user
from flask_login import current_user as session_user
from itsdangerous import BadSignature
from markupsafe import escape

from dashboard.cache.keys import MISS
from dashboard.cache.local import LocalCache
from dashboard.extensions import cache
from dashboard.services import access, audit, users

log = logging.getLogger("meridian.identity")

CSRF_KEY = "meridian_login_csrf"
BUSY = "Many people are signing in right now; please try again in a moment."
SIGN_IN_HEADER = "X-Sign-In"  # "page": the form was sent by SIGN_IN_SCRIPT
SIGN_IN_SCRIPT = "assets/sign-in/sign-in.js"  # the sign-in page's own (not in Dash's pages: factory.py)
OPENED_COOKIES = 4096  # the session cookies each worker keeps verified (the last used)
BUSY_RETRY_S = 2  # the Retry-After of that answer: the sign-in page's script sends the form again then
# A WSGI environ key only code inside the process can set (a client's headers arrive as HTTP_*): the
# worker's warm-up requests carry it and pass the gate without anyone signed in.
INTERNAL = "meridian.internal"
# Dash's renderer sends the value of this cookie as this header with every callback (Dash 4's CSRF
# support, double submit): a page of another site can neither read the cookie nor set the header.
DASH_CSRF_COOKIE, DASH_CSRF_HEADER, DASH_CSRF_KEY = "_csrf_token", "X-CSRFToken", "meridian_dash_csrf"


class SessionUser(UserMixin):
    """What Flask-Login keeps between requests: the user's id and session epoch (``id:epoch``)."""

    def __init__(self, user_id: int, epoch: int = 0):
        self.user_id = int(user_id)
        self.id = f"{int(user_id)}:{int(epoch)}"


def session_ids(session_id) -> tuple[int, int] | None:
    """(user id, session epoch) of a :class:`SessionUser`'s id ``id:epoch``, or None."""
    user_id, _, epoch = str(session_id).partition(":")
    if not (user_id.isascii() and user_id.isdigit() and epoch.isascii() and epoch.isdigit()):
        return None
    return int(user_id), int(epoch)


def session_user_id() -> int | None:
    """The user the request's session cookie names (where Flask-Login keeps it), before the sign-in check
    has looked the user up: whose entries a request may read ahead (``dashboard/answers.py``)."""
    ids = session_ids(flask.session.get("_user_id"))
    return None if ids is None else ids[0]


def _session_user(user) -> SessionUser:
    return SessionUser(user.id, user.epoch)


class _SecureWhenHttps(SecureCookieSessionInterface):
    """The session cookie is ``Secure`` whenever the request came over HTTPS (directly or through a
    proxy that says so), so one configuration serves ``make run`` and the portal.

    Opening the session verifies the cookie's signature and decodes it, on every request: a tenth of a
    repeated run's time in a worker (docs/performance.md). Each app's interface keeps what the cookies
    it verified hold - by the exact cookie, with the keys that verified it and the time it was signed -
    so a cookie seen before costs a look-up and the age check itsdangerous makes (signed longer ago than
    the session's lifetime, or in the future: no session). A changed cookie is a different one."""

    def __init__(self) -> None:
        self._opened = LocalCache(limit=OPENED_COOKIES)

    def open_session(self, app, request):
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie or not app.secret_key:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        found = self._opened.get(cookie)
        if found is MISS or found[0] != keys:
            try:
                data, signed = self.get_signing_serializer(app).loads(
                    cookie, max_age=max_age, return_timestamp=True
                )
            except BadSignature:
                return self.session_class()
            found = (keys, data, int(signed.timestamp()))
            self._opened.put(cookie, found, max_age)
        _, data, signed = found
        if not 0 <= int(time.time()) - signed <= max_age:
            return self.session_class()
        return self.session_class(copy.deepcopy(data))  # the request may change its own

    def save_session(self, app, session, response) -> None:
        # A session left as it was (nearly every request's) writes nothing: said before Flask computes the
        # cookie's seven attributes to find that out.
        if session and not self.should_set_cookie(app, session):
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (
            flask.has_request_context() and flask.request.is_secure
        )


def register(server: flask.Flask, app, settings) -> None:
    users.CHECKS.start()  # the password-checking threads, before the first sign-in
    prefix = settings.url_prefix
    login_path, logout_path = prefix + "login", prefix + "logout"
    health_path = prefix + "api/v1/performance-metrics/health"
    open_paths = {
        login_path,
        logout_path,
        health_path,
        prefix + "api/v1/csp-report",  # the sign-in page's violations are reported too
        # the sign-in page's look: the theme and the app's contrast and focus rules
        app.config.routes_pathname_prefix + "assets/00-bootstrap.min.css",
        app.config.routes_pathname_prefix + "assets/meridian.css",
        app.config.routes_pathname_prefix + SIGN_IN_SCRIPT,  # its form's "try again" by itself
        app.config.routes_pathname_prefix + "_favicon.ico",  # its icon (Dash's route)
        prefix + "favicon.ico",  # where a browser looks for one unless told
    }
    metrics_path = prefix.rstrip("/") + "/metrics"
    api_prefix = prefix + "api/"
    networks = [ipaddress.ip_network(n, strict=False) for n in settings.trusted_proxies]
    limits = SignInLimits(settings)
    login_page = functools.partial(_login_page, prefix, rules=limits.notice())

    server.session_interface = _SecureWhenHttps()
    server.config.update(
        SESSION_COOKIE_NAME="meridian_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH=prefix,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    manager = LoginManager()
    manager.init_app(server)
    # Flask-Login's session protection only marks a session "not fresh" (Meridian asks for no fresh
    # sign-in), and doing so rewrites the cookie of every session without a user - the sign-in page's
    # own stylesheets would answer with the pre-sign-in session and, arriving after the sign-in under
    # load, sign the browser out again. A session is written only where it is meant to change.
    manager.session_protection = None

    @manager.user_loader
    def _load(session_id: str):
        ids = session_ids(session_id)
        if ids is None:
            return None
        found = access.user_by_id(ids[0])
        if found is None or found.epoch != ids[1]:
            return None  # deactivated, or signed out since this cookie was issued
        flask.request.environ["meridian.user"] = found  # current_user() reads it: one look-up a request
        return _session_user(found)

    def trusted_peer() -> bool:
        environ = flask.request.environ
        # the connection's own address (before ProxyFix rewrote it from X-Forwarded-For)
        peer = environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR") or environ.get("REMOTE_ADDR", "")
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in networks)

    def portal_sign_in() -> str | None:
        """The portal's single sign-on: its header names the user, believed only from its own address.

        When the portal names someone, the request is that person or nobody: a name Meridian does not
        know (or a deactivated user) signs the session out and the request is refused (the message)."""
        header = settings.proxy_user_header
        if not header:
            return None
        email = flask.request.headers.get(header, "").strip().lower()
        if not email:
            return None
        if not trusted_peer():
            log.warning(
                "ignored %s from untrusted address %s", header, flask.request.environ.get("REMOTE_ADDR")
            )
            return None
        user = access.user_by_email(email)
        if user is None:
            if session_user.is_authenticated:
                log.info(
                    "portal named %r (unknown or deactivated): session of user %s signed out",
                    email,
                    session_user.user_id,
                )
            logout_user()
            flask.session.clear()
            flask.g.pop("_login_user", None)
            return "The portal signed you in as someone Meridian does not know or has deactivated; ask an administrator."
        if not (session_user.is_authenticated and session_user.user_id == user.id):
            flask.session.clear()
            login_user(_session_user(user))
            flask.request.environ["meridian.user"] = user
            audit.log("sign-in", user=user, detail="by the portal")
        return None

    @server.before_request
    def _gate():
        request = flask.request._get_current_object()  # one context look-up for the checks below
        # each request loads its user from its own session (g can outlive a request when an app
        # context is shared, as the tests' is)
        flask.g.pop("_login_user", None)
        refused = portal_sign_in()
        if refused is not None and request.path != health_path:
            if request.method == "GET" and _is_page(request.path, app, api_prefix):
                return _message_page(prefix, "Not signed in", refused, 403)
            return flask.jsonify(error=refused), 403
        if request.path in open_paths or session_user.is_authenticated or internal(request):
            return None
        if request.path == metrics_path and settings.metrics_token:
            given = request.headers.get("Authorization", "")
            if hmac.compare_digest(given.encode(), f"Bearer {settings.metrics_token}".encode()):
                return None
        if (
            request.method == "GET"
            and request.path != metrics_path
            and _is_page(request.path, app, api_prefix)
        ):
            return flask.redirect(login_path + "?next=" + quote(request.full_path.rstrip("?"), safe="/?=&"))
        return flask.jsonify(error="Sign in first."), 401

    @server.route(prefix + "favicon.ico")
    def favicon():
        """The icon the pages name (a browser that was not told asks here, and is not sent to sign in)."""
        return flask.redirect(icon_url(prefix), 301)

    update_path = app.config.routes_pathname_prefix + "_dash-update-component"

    @server.before_request
    def _callback_csrf():
        request = flask.request._get_current_object()  # one context look-up for the checks below
        if request.path != update_path or request.method != "POST" or not session_user.is_authenticated:
            return None
        expected = flask.session.get(DASH_CSRF_KEY, "")
        given = request.headers.get(DASH_CSRF_HEADER, "")
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            log.info("refused a callback without its CSRF token from %s", request.remote_addr)
            return flask.jsonify(
                error="This request did not come from a Meridian page; reload the page."
            ), 403
        return None

    @server.after_request
    def _hand_out_csrf(response):
        # a signed-in session gets its token (kept in the session, given to the page's script as a cookie)
        if session_user.is_authenticated:
            token = flask.session.get(DASH_CSRF_KEY)
            if not token:
                token = flask.session[DASH_CSRF_KEY] = secrets.token_urlsafe(32)
            if flask.request.cookies.get(DASH_CSRF_COOKIE) != token:
                response.set_cookie(
                    DASH_CSRF_COOKIE,
                    token,
                    path=prefix,
                    samesite="Strict",
                    secure=flask.request.is_secure,
                    httponly=False,  # the renderer reads it to send it back as the header
                )
        return response

    @server.route(login_path, methods=["GET", "POST"])
    def login():
        response = flask.make_response(sign_in())
        if flask.request.headers.get(SIGN_IN_HEADER) == "page" and response.status_code >= 400:
            # the sign-in page's script (its fetch): the page it shows comes as a 200 and the status in
            # a header, so the browser's console does not list an expected refusal as a failed load
            response.headers["X-Sign-In-Status"] = str(response.status_code)
            response.status_code = 200
        return response

    def sign_in():
        target = _safe_next(flask.request.values.get("next"), prefix)
        if flask.request.method == "GET":
            if session_user.is_authenticated:
                return flask.redirect(target)
            notice = "You are signed out." if flask.request.args.get("signed_out") else ""
            return login_page(target, "", notice)
        form = flask.request.form
        expected = flask.session.get(CSRF_KEY, "")
        if not expected or not hmac.compare_digest(str(form.get("csrf", "")), expected):
            return login_page(target, "The sign-in form expired; please try again.", status=400)
        email = str(form.get("email", "")).strip().lower()[:254]
        password = str(form.get("password", ""))[:1024]
        address = flask.request.remote_addr or "unknown"
        refused = limits.admit(email, address)
        if refused is not None:
            audit.log(
                "sign-in-failed", email=email or "(none given)", detail="too many attempts", outcome="failed"
            )
            return login_page(target, refused, email=email, status=429)
        try:
            user = users.verify_password(email, password)
        except users.SignInsBusy:
            limits.withdrawn(email, address)  # no password was checked: nothing is counted
            log.info("sign-in of %r asked to wait: password checks busy", email)
            busy = login_page(target, BUSY, email=email, status=429)
            busy.headers["Retry-After"] = str(BUSY_RETRY_S)  # assets/sign-in/sign-in.js tries again then
            return busy
        if user is None:
            limits.failed(email, address)
            log.info("failed sign-in for %r from %s", email, address)
            audit.log(
                "sign-in-failed",
                email=email or "(none given)",
                detail="wrong email or password",
                outcome="failed",
            )
            return login_page(target, "Wrong email or password.", email=email, status=401)
        limits.succeeded(email, address)
        flask.session.clear()  # a new session for the signed-in user (no fixation)
        login_user(_session_user(user))
        log.info("signed in: user %s", user.id)
        audit.log("sign-in", user=user)
        return flask.redirect(target)

    @server.route(logout_path, methods=["GET", "POST"])
    def logout():
        """Sign-out is a POST carrying the page's token (a link or another site cannot sign anyone out);
        a GET, signed in, asks first."""
        if not session_user.is_authenticated:
            return flask.redirect(login_path)
        if flask.request.method == "GET":
            return _sign_out_page(prefix)
        given = str(flask.request.form.get("csrf", ""))
        expected = [flask.session.get(DASH_CSRF_KEY, ""), flask.session.get(CSRF_KEY, "")]
        if not given or not any(t and hmac.compare_digest(given.encode(), t.encode()) for t in expected):
            return _message_page(
                prefix, "Sign out", "This sign-out did not come from a Meridian page; nothing changed.", 400
            )
        found = access.user_by_id(session_user.user_id)
        if found is not None:
            access.end_session(found)
            audit.log("sign-out", user=found)
        logout_user()
        flask.session.clear()
        return flask.redirect(login_path + "?signed_out=1")


class SignInLimits:
    """Who may try a password now (OWASP's guidance: limit per account-and-address and per address,
    slow an account down rather than lock it).

    Every attempt takes a slot before its password is checked, atomically in the shared store, so
    parallel requests cannot all pass a limit that each of them read as not reached. A slot is an
    attempt in flight or a failed one; a right password gives its slot back:

    - from one address, ``per_address`` slots in the window; for one account from one address,
      ``per_account``. When the failures alone fill them, that address (for that account) is refused
      until the window ends; while attempts in flight fill them, an attempt waits (a few seconds at
      most) for their outcome, so analysts signing in together are never refused for it;
    - for one account from anywhere, past ``per_account`` failures each further attempt must wait its
      turn: one attempt per delay, the delay doubling from 1 s up to ``max_delay`` seconds. The owner,
      from their own address, is slowed down for seconds, never locked out for the window.
    """

    WAIT_SECONDS = 5.0  # the longest an attempt waits for the outcome of those in flight before it

    def __init__(self, settings) -> None:
        self.window = settings.login_window_seconds
        self.per_account = settings.login_attempts_per_account
        self.per_address = settings.login_attempts_per_address
        self.max_delay = settings.login_max_delay_seconds

    @staticmethod
    def _keys(email: str, address: str) -> tuple[str, str]:
        return f"login:address:{address}", f"login:pair:{email}|{address}"

    @property
    def minutes(self) -> int:
        return max(1, self.window // 60)

    def admit(self, email: str, address: str) -> str | None:
        """Take this attempt's slots; None when its password may be checked, else why not (the page says
        it). Whoever is admitted reports back with ``failed`` or ``succeeded``."""
        minutes = self.minutes
        address_key, pair_key = self._keys(email, address)
        refused = self._take(
            address_key,
            self.per_address,
            f"Too many failed sign-ins from your address. Try again in {minutes} minutes.",
        )
        if refused is not None:
            return refused
        refused = self._take(
            pair_key,
            self.per_account,
            f"Too many failed sign-ins for this account from your address. Try again in {minutes} minutes.",
        )
        if refused is not None:
            self._give_back(address_key)
            return refused
        failures = cache.count(f"login:account:{email}", self.window, by=0)
        if failures >= self.per_account:
            delay = self.delay(failures)
            if not cache.claim(f"login:turn:{email}", delay):
                for key in (address_key, pair_key):  # no password was checked: nothing is counted
                    self._give_back(key)
                return (
                    "This account has had many failed sign-ins, so each attempt waits its turn: "
                    f"try again in {delay:g} seconds."
                )
        return None

    def _take(self, key: str, limit: int, refusal: str) -> str | None:
        """Take one of ``key``'s ``limit`` slots: None once taken; ``refusal`` when failures fill them."""
        deadline = time.monotonic() + self.WAIT_SECONDS
        while True:
            if cache.count(key, self.window) <= limit:
                return None
            self._give_back(key)
            if cache.count(key + ":failed", self.window, by=0) >= limit:
                return refusal
            if time.monotonic() >= deadline:
                return "Too many sign-ins at once from your address; please try again in a moment."
            time.sleep(0.05)  # attempts in flight fill the slots: wait for their outcome

    def _give_back(self, key: str) -> None:
        cache.count(key, self.window, by=-1)

    def delay(self, failures: int) -> float:
        """Seconds between attempts on an account with ``failures`` recent failures (past the free ones)."""
        return float(min(self.max_delay, 2 ** min(failures - self.per_account, 16)))

    def withdrawn(self, email: str, address: str) -> None:
        """An admitted attempt whose password was not checked after all: its slots come back."""
        for key in self._keys(email, address):
            self._give_back(key)

    def failed(self, email: str, address: str) -> None:
        """A wrong password: its slots stay taken until the window ends."""
        cache.count(f"login:account:{email}", self.window)
        for key in self._keys(email, address):
            cache.count(key + ":failed", self.window)

    def succeeded(self, email: str, address: str) -> None:
        """The owner proved themselves from this address: their attempt's slots come back, and the
        account's failures from there no longer count."""
        address_key, pair_key = self._keys(email, address)
        self._give_back(address_key)
        self._give_back(pair_key)
        forgiven = cache.count(pair_key + ":failed", self.window, by=0)
        if forgiven > 0:
            cache.forget_count(pair_key + ":failed")
            cache.count(pair_key, self.window, by=-forgiven)

    def notice(self) -> str:
        return (
            f"After {self.per_account} failed attempts for an account from one address, sign-in to it from "
            f"there pauses for {self.minutes} minutes; after {self.per_account} failed attempts from anywhere, "
            f"each further attempt on the account waits a little longer (up to {self.max_delay} seconds)."
        )


def internal(request) -> bool:
    """A request made inside this process (the worker's warm-up), never one from the network."""
    return request.environ.get(INTERNAL) is True


def _is_page(path: str, app, api_prefix: str) -> bool:
    """A path a browser opens as a page (not Dash's own routes, assets or the API)."""
    base = app.config.routes_pathname_prefix
    return not (
        path.startswith(api_prefix)
        or path.startswith(base + "_dash")
        or path.startswith(base + "assets/")
        or path.startswith(base + "_reload")
        or path.startswith(base + "_favicon")
    )


def _safe_next(raw, prefix: str) -> str:
    """Where to go after signing in: a path of this app only (never another site)."""
    if isinstance(raw, str) and raw.startswith(prefix) and not raw.startswith("//"):
        parts = urlsplit(raw)
        if not parts.scheme and not parts.netloc and "\\" not in raw:
            return raw
    return prefix


def _page(prefix: str, title: str, body: str, status: int = 200):
    """A page of its own (sign-in, sign-out, a refusal) in the theme's stylesheet (never cached, as
    every response but static files: dashboard/hardening.py)."""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · Meridian</title>
<link rel="icon" href="{escape(icon_url(prefix))}">
<link rel="stylesheet" href="{escape(prefix)}assets/00-bootstrap.min.css">
<link rel="stylesheet" href="{escape(prefix)}assets/meridian.css"></head>
<body style="background:#f6f8fb">
<header><nav class="navbar navbar-dark bg-primary mb-4" aria-label="Meridian"><div class="container-fluid">
<span class="navbar-brand fw-bold">Meridian</span></div></nav></header>
<main class="container" style="max-width:26rem">
<div class="card"><div class="card-body">
<h1 class="h4 mb-3">{escape(title)}</h1>{body}</div></div></main></body></html>"""
    return flask.make_response(page, status)


def _message_page(prefix: str, title: str, message: str, status: int):
    body = f'<div class="alert alert-danger" role="alert" id="page-error">{escape(message)}</div>'
    return _page(prefix, title, body, status)


def icon_url(prefix: str) -> str:
    """The icon Dash's pages link to (its own route), for the pages served here."""
    return f"{prefix}_favicon.ico?v={dash.__version__}"


def _form_token() -> str:
    """The session's form token; made (and the session written) only when it has none, so a form shown
    again never rewrites the session a request in flight was sent with."""
    token = flask.session.get(CSRF_KEY)
    if not token:
        token = flask.session[CSRF_KEY] = secrets.token_urlsafe(32)
    return token


def _sign_out_page(prefix: str):
    """Asked for by a link (GET): sign-out only by this form's POST, which carries the session's token."""
    body = f"""<p>Sign out of Meridian on every device?</p>
<form method="post" action="{escape(prefix)}logout" id="logout-form">
<input type="hidden" name="csrf" value="{escape(_form_token())}">
<button class="btn btn-primary w-100" type="submit" id="logout-submit">Sign out</button>
</form><p class="mt-3 mb-0"><a href="{escape(prefix)}">Back to Meridian</a></p>"""
    return _page(prefix, "Sign out", body)


def _login_page(
    prefix: str,
    target: str,
    error: str,
    notice: str = "",
    email: str = "",
    status: int = 200,
    rules: str = "",
):
    token = _form_token()
    alert = (
        f'<div class="alert alert-danger" role="alert" id="login-error">{escape(error)}</div>'
        if error
        else ""
    )
    if notice and not error:
        alert = f'<div class="alert alert-info" role="status" id="login-notice">{escape(notice)}</div>'
    rules_text = (
        f'<p class="small text-muted mt-3 mb-0" id="login-rules">{escape(rules)}</p>' if rules else ""
    )
    body = f"""{alert}
<form method="post" action="{escape(prefix)}login" id="login-form">
<input type="hidden" name="csrf" value="{escape(token)}">
<input type="hidden" name="next" value="{escape(target)}">
<div class="mb-3"><label class="form-label" for="login-email">Email</label>
<input class="form-control" type="email" id="login-email" name="email" value="{escape(email)}"
 autocomplete="username" required maxlength="254" autofocus></div>
<div class="mb-3"><label class="form-label" for="login-password">Password</label>
<input class="form-control" type="password" id="login-password" name="password"
 autocomplete="current-password" required maxlength="1024"></div>
<button class="btn btn-primary w-100" type="submit" id="login-submit">Sign in</button>
<p class="small text-muted mt-2 mb-0" id="login-wait" role="status" aria-live="polite"></p>
</form>{rules_text}
<script src="{escape(prefix + SIGN_IN_SCRIPT)}"></script>"""
    return _page(prefix, "Sign in", body, status)
