"""Gunicorn configuration: ``gunicorn -c gunicorn.conf.py app:server``.

Settings are validated here, in the master, so a bad value stops start-up with
one line naming the variable instead of a worker boot loop.
"""

import ipaddress
import multiprocessing
import os
import shutil
import sys
from pathlib import Path

from dashboard.settings import Settings, SettingsError

try:
    _settings = Settings.from_env()
except SettingsError as _error:
    print(f"meridian: {_error}", file=sys.stderr)
    sys.exit(2)

# prometheus_client's multiprocess mode: each worker writes its samples here; the folder is
# emptied when the master starts and dead workers are marked (see on_starting / child_exit).
_prometheus_dir = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or _settings.instance_path / "prometheus")
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_prometheus_dir)

bind = os.environ.get("BIND", "127.0.0.1:8050")
# Each worker listens on its own socket (SO_REUSEPORT) and the kernel spreads new connections over them
# by their addresses. With one shared socket, whichever worker wakes first accepts: keep-alive clients
# (wrk, locust, a proxy's upstream pool) can all land on one worker, which then serves alone on one core
# while the other idles (docs/performance.md, "Connections spread over the workers"). GUNICORN_REUSE_PORT=0
# goes back to one shared socket, as does an address it cannot serve (see _spread_connections).
reuse_port = os.environ.get("GUNICORN_REUSE_PORT", "1") != "0"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 20
# Seconds an idle keep-alive connection is held. Longer than any client or proxy waits before reusing
# one (the portal's proxy, browsers, locust's analysts thinking 2-8 s): when the server closes an idle
# connection just as a request arrives on it, the request is lost (HTTPConnectionClosed, never retried
# for a POST such as every callback) - seen under load with 5 s. Idle connections cost no thread
# (gthread keeps them in its poller, at most worker_connections each).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
# Each worker imports the app after fork (no preload): connections and pools are
# never shared between processes.
preload_app = False
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = _settings.log_level.lower()
# X-Forwarded-Proto (https) is believed from these addresses only when the app is told it sits behind a
# proxy (PROXY_HOPS > 0, the same setting ProxyFix reads): the portal's proxies, or a local one.
# With PROXY_HOPS=0 nobody's forwarded headers are believed.
if _settings.proxy_hops:
    forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS") or (
        ",".join(str(ipaddress.ip_network(p, strict=False)) for p in _settings.trusted_proxies)
        or "127.0.0.1,::1"
    )
else:
    forwarded_allow_ips = ""
    secure_scheme_headers = {}


def post_worker_init(worker):
    """Warm each new worker before it takes requests.

    Import the engine (cvxpy takes ~2 s), and serve the index page, the layout and the callback map
    once, in-process (marked internal, so the sign-in gate lets them through; nobody outside the
    process can send that mark): Dash registers its script paths and runs its first-request set-up
    then, so the first analyst after a restart does not pay for it.
    """
    import time

    from dashboard.analytics import warm_up
    from dashboard.identity import INTERNAL
    from dashboard.services import users

    # sign-ins (waiting for their password check, and the one next in turn) hold at most half the
    # worker's request threads: a burst of them leaves the callbacks the other half
    users.CHECKS.waiting = max(1, worker.cfg.threads // 2 - 1)
    started = time.perf_counter()
    warm_up()
    client = worker.wsgi.test_client()
    prefix = _settings.url_prefix
    for path in (prefix, prefix + "_dash-layout", prefix + "_dash-dependencies"):
        response = client.get(path, environ_base={INTERNAL: True})
        if response.status_code != 200:
            worker.log.warning("warm-up request %s answered %s", path, response.status_code)
            return
    worker.log.info("worker warmed up in %.2f s", time.perf_counter() - started)


def on_starting(server):
    """Start every run with an empty Prometheus folder (stale files would double count); check the
    addresses each worker will listen on."""
    shutil.rmtree(_prometheus_dir, ignore_errors=True)
    _prometheus_dir.mkdir(parents=True, exist_ok=True)
    _spread_connections(server)


def on_reload(server):
    """``HUP``: the configuration is read again (``reuse_port`` with it) before new workers start; the same
    choice as at start, without the port check (the old workers still listen on it)."""
    _spread_connections(server, check_port=False)


def _spread_connections(server, check_port: bool = True):
    """With ``reuse_port`` every worker binds the address itself (SO_REUSEPORT) and the master holds no
    socket. Two things that would then go wrong silently are settled here, before any worker starts:

    - a Unix socket, a file descriptor, port 0 or sockets handed over by systemd (``LISTEN_FDS``) cannot
      be shared that way (port 0 would give each worker a port of its own; systemd's socket would be
      left unserved): one shared socket, as without the setting;
    - a port already in use: with SO_REUSEPORT a second server started on it by the same user would
      bind too and take part of the traffic. The port is bound once here without the option, which fails
      while anything listens on it, and the start stops with one line.
    """
    import errno
    import socket

    if not server.cfg.reuse_port:
        return
    addresses = server.cfg.address
    inherited = bool(os.environ.get("LISTEN_FDS"))
    if inherited or not addresses or any(not isinstance(a, tuple) or int(a[1]) == 0 for a in addresses):
        server.cfg.set("reuse_port", False)
        return
    if not check_port:
        return
    for host, port in addresses:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
                print(f"meridian: {host}:{port} is already in use (another server?)", file=sys.stderr)
                sys.exit(2)
    server.log.info(
        "each worker listens on %s itself (SO_REUSEPORT)", ", ".join(f"{h}:{p}" for h, p in addresses)
    )


def child_exit(server, worker):
    """A worker died or was replaced: mark its Prometheus files dead so gauges stay right."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
