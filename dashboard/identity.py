"""Who is signed in: the sign-in page and sign-out, the portal's trusted header, the gate in front of
everything else, and the session cookie.

Flask-Login keeps the signed-in user's id in Flask's signed session cookie (``HttpOnly``,
``SameSite=Lax``, ``Secure`` whenever the request came over HTTPS); every request looks the user up
through the session cache (:func:`dashboard.services.access.user_by_id`), so a deactivated user or a
changed role takes effect at once (the services invalidate it). Passwords are checked against
scrypt hashes (werkzeug). Failed sign-ins are counted per account and per address in the shared
cache; past the limit, sign-in is refused for the rest of the window whatever the password.

Signed out, only the sign-in page, sign-out, the health endpoint, the stylesheet the sign-in page
uses and (with ``METRICS_TOKEN``) the Prometheus endpoint answer: pages redirect to the sign-in
page, everything else (callbacks, the API, Dash's own routes) answers 401 JSON.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import secrets
from urllib.parse import quote, urlsplit

import flask
from flask.sessions import SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin, login_user, logout_user
from flask_login import current_user as session_user
from markupsafe import escape

from dashboard.extensions import cache
from dashboard.services import access, users

log = logging.getLogger("meridian.identity")

CSRF_KEY = "meridian_login_csrf"
# Dash's renderer sends the value of this cookie as this header with every callback (Dash 4's CSRF
# support, double submit): a page of another site can neither read the cookie nor set the header.
DASH_CSRF_COOKIE, DASH_CSRF_HEADER, DASH_CSRF_KEY = "_csrf_token", "X-CSRFToken", "meridian_dash_csrf"


class SessionUser(UserMixin):
    """What Flask-Login keeps between requests: the user's id and session epoch (``id:epoch``)."""

    def __init__(self, user_id: int, epoch: int = 0):
        self.user_id = int(user_id)
        self.id = f"{int(user_id)}:{int(epoch)}"


def _session_user(user) -> SessionUser:
    return SessionUser(user.id, user.epoch)


class _SecureWhenHttps(SecureCookieSessionInterface):
    """The session cookie is ``Secure`` whenever the request came over HTTPS (directly or through a
    proxy that says so), so one configuration serves ``make run`` and the portal."""

    def get_cookie_secure(self, app) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (
            flask.has_request_context() and flask.request.is_secure
        )


def register(server: flask.Flask, app, settings) -> None:
    prefix = settings.url_prefix
    login_path, logout_path = prefix + "login", prefix + "logout"
    open_paths = {
        login_path,
        logout_path,
        prefix + "api/v1/performance-metrics/health",
        app.config.routes_pathname_prefix + "assets/00-bootstrap.min.css",
    }
    metrics_path = prefix.rstrip("/") + "/metrics"
    api_prefix = prefix + "api/"
    networks = [ipaddress.ip_network(n, strict=False) for n in settings.trusted_proxies]

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
    manager.session_protection = "basic"

    @manager.user_loader
    def _load(session_id: str):
        user_id, _, epoch = str(session_id).partition(":")
        if not (user_id.isdigit() and epoch.isdigit()):
            return None
        found = access.user_by_id(int(user_id))
        if found is None or found.epoch != int(epoch):
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

    def portal_sign_in() -> None:
        """The portal's single sign-on: its header names the user, believed only from its own address."""
        header = settings.proxy_user_header
        if not header:
            return
        email = flask.request.headers.get(header, "").strip().lower()
        if not email:
            return
        if not trusted_peer():
            log.warning(
                "ignored %s from untrusted address %s", header, flask.request.environ.get("REMOTE_ADDR")
            )
            return
        user = access.user_by_email(email)
        if user is None:
            return
        if not (session_user.is_authenticated and session_user.user_id == user.id):
            flask.session.clear()
            login_user(_session_user(user))
            flask.request.environ["meridian.user"] = user

    @server.before_request
    def _gate():
        request = flask.request
        # each request loads its user from its own session (g can outlive a request when an app
        # context is shared, as the tests' is)
        flask.g.pop("_login_user", None)
        portal_sign_in()
        if request.path in open_paths or session_user.is_authenticated:
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

    update_path = app.config.routes_pathname_prefix + "_dash-update-component"

    @server.before_request
    def _callback_csrf():
        request = flask.request
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
        target = _safe_next(flask.request.values.get("next"), prefix)
        if flask.request.method == "GET":
            if session_user.is_authenticated:
                return flask.redirect(target)
            notice = "You are signed out." if flask.request.args.get("signed_out") else ""
            return _login_page(prefix, target, "", notice)
        form = flask.request.form
        expected = flask.session.get(CSRF_KEY, "")
        if not expected or not hmac.compare_digest(str(form.get("csrf", "")), expected):
            return _login_page(prefix, target, "The sign-in form expired; please try again.", status=400)
        email = str(form.get("email", "")).strip().lower()[:254]
        password = str(form.get("password", ""))[:1024]
        address = flask.request.remote_addr or "unknown"
        window = settings.login_window_seconds
        if (
            cache.count(f"login:account:{email}", window, add=False) >= settings.login_attempts_per_account
            or cache.count(f"login:address:{address}", window, add=False)
            >= settings.login_attempts_per_address
        ):
            minutes = max(1, window // 60)
            message = f"Too many failed sign-ins. Try again in {minutes} minutes."
            return _login_page(prefix, target, message, email=email, status=429)
        user = users.verify_password(email, password)
        if user is None:
            cache.count(f"login:account:{email}", window)
            cache.count(f"login:address:{address}", window)
            log.info("failed sign-in for %r from %s", email, address)
            return _login_page(prefix, target, "Wrong email or password.", email=email, status=401)
        flask.session.clear()  # a new session for the signed-in user (no fixation)
        login_user(_session_user(user))
        log.info("signed in: user %s", user.id)
        return flask.redirect(target)

    @server.route(logout_path, methods=["GET", "POST"])
    def logout():
        if session_user.is_authenticated:
            found = access.user_by_id(session_user.user_id)
            if found is not None:
                access.end_session(found)
        logout_user()
        flask.session.clear()
        return flask.redirect(login_path + "?signed_out=1")


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


def _login_page(prefix: str, target: str, error: str, notice: str = "", email: str = "", status: int = 200):
    token = flask.session.get(CSRF_KEY) or secrets.token_urlsafe(32)
    flask.session[CSRF_KEY] = token
    alert = (
        f'<div class="alert alert-danger" role="alert" id="login-error">{escape(error)}</div>'
        if error
        else ""
    )
    if notice and not error:
        alert = f'<div class="alert alert-info" role="status" id="login-notice">{escape(notice)}</div>'
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Meridian</title>
<link rel="stylesheet" href="{escape(prefix)}assets/00-bootstrap.min.css"></head>
<body style="background:#f6f8fb">
<nav class="navbar navbar-dark bg-primary mb-4"><div class="container-fluid">
<span class="navbar-brand fw-bold">Meridian</span></div></nav>
<main class="container" style="max-width:26rem">
<div class="card"><div class="card-body">
<h1 class="h4 mb-3">Sign in</h1>{alert}
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
</form></div></div></main></body></html>"""
    response = flask.make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response
