"""Two real gunicorn workers: every callback is timed, and /stats and /metrics add both workers up."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from dashboard.metrics.instrumentation import callback_label
from harness import serve
from harness.dash_client import DashSite, Layout
from tests.conftest import signed_session

pytestmark = pytest.mark.slow


def overview_request(base: str) -> dict:
    """The Overview's panel callback for household 1, built from the app's own dependencies."""
    site = DashSite(signed_session(base).get(f"{base}/_dash-dependencies", timeout=10).json())
    callback = site.callback("overview-content.children")
    return site.body(
        callback,
        Layout(),
        {"shell-household-select.value": 1, "overview-version.data": 0},
        ["shell-household-select.value"],
    )


@pytest.fixture
def gunicorn(seeded_settings):
    """Two workers of the production configuration (harness.serve: the one launcher of the tests,
    benchmarks and load runs); (its URL, the Prometheus folder its workers write)."""
    with serve.gunicorn(seeded_settings, workers=2) as base:
        yield base, seeded_settings.instance_path / "prometheus"


def test_gun001_two_workers_counts_add_up(gunicorn):
    base, prometheus_dir = gunicorn
    n = 60
    overview = overview_request(base)

    signed = signed_session(base)

    def session_factory():  # a new connection, the same signed-in session
        fresh = requests.Session()
        fresh.cookies.update(signed.cookies)
        fresh.headers.update(signed.headers)  # the callbacks' CSRF header, as the page sends it
        return fresh

    def call(_):
        with session_factory() as s:  # a new connection each time, so both workers take some
            response = s.post(
                f"{base}/_dash-update-component",
                data=json.dumps(overview),
                headers={"Content-Type": "application/json"},
                timeout=30,
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(call, range(n)))
    assert codes == [200] * n
    time.sleep(1.5)  # each worker flushes once a second
    stats = signed_session(base).get(f"{base}/api/v1/performance-metrics/stats", timeout=10).json()
    name = "callback." + callback_label(overview["output"])
    timed = stats["operations"][name]
    assert timed["count"] == n and timed["errors"] == 0
    assert 0 < timed["min"] <= timed["p50"] <= timed["p95"] <= timed["p99"] <= timed["max"]
    # the database's timings reach the store too (how many: what the cache left to read - the households
    # a user sees are kept, so not one query per Overview any more)
    assert stats["operations"]["db.query"]["count"] >= 1 and stats["operations"]["db.query"]["errors"] == 0
    assert stats["counters"]["cache.session.hits"] + stats["counters"]["cache.session.misses"] >= n
    # Prometheus: both workers wrote samples, and the exposition sums them
    pids = {p.name.split("_")[-1] for p in Path(prometheus_dir).glob("histogram_*.db")}
    assert len(pids) == 2
    body = signed_session(base).get(f"{base}/metrics", timeout=10).text
    line = next(
        x
        for x in body.splitlines()
        if x.startswith(f'meridian_operation_duration_seconds_count{{operation="{name}"}}')
    )
    assert float(line.split()[-1]) == n
    health = signed_session(base).get(f"{base}/api/v1/performance-metrics/health", timeout=10).json()
    assert health["status"] == "ok" and health["uptime_seconds"] > 0
    assert requests.get(f"{base}/api/v1/performance-metrics/health", timeout=10).json() == {"status": "up"}


def _fd_links(pid: str) -> list[str]:
    """What a process's file descriptors point at (those closed while read are left out)."""
    links = []
    with contextlib.suppress(OSError):  # the process ended
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                links.append(fd.readlink().name)
    return links


def _listeners(port: int) -> dict[int, set[int]]:
    """Who listens on ``port``: pid -> the inodes of its listening sockets (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                    inodes.add(int(fields[9]))
    owners: dict[int, set[int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        held = {int(link[8:-1]) for link in _fd_links(pid) if link.startswith("socket:[")} & inodes
        if held:
            owners[int(pid)] = held
    return owners


def test_gun002_each_worker_listens_on_its_own_socket(gunicorn, seeded_settings):
    """The kernel spreads connections over the workers (gunicorn.conf.py ``reuse_port``): each worker has
    a listening socket of its own and the master none, so keep-alive clients cannot all land on one
    worker. A second server started on the same port is refused (with SO_REUSEPORT it would otherwise
    bind too and take part of the traffic), and the first serves on."""
    base, _ = gunicorn
    port = int(base.rsplit(":", 1)[1])
    owners = _listeners(port)
    assert len(owners) == 2, owners  # the two workers
    assert all(len(inodes) == 1 for inodes in owners.values())
    assert len(set().union(*owners.values())) == 2  # two sockets, not one shared
    parents = {int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) for pid in owners}
    assert len(parents) == 1 and parents.isdisjoint(owners)  # one master, holding no listener

    second = subprocess.run(
        serve.gunicorn_command(port),
        cwd=serve.PROJECT_ROOT,
        env=serve.gunicorn_environment(seeded_settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 2
    assert f"127.0.0.1:{port} is already in use" in second.stderr
    assert _listeners(port).keys() == owners.keys()
    assert requests.get(f"{base}/api/v1/performance-metrics/health", timeout=10).status_code == 200

    # HUP: new workers, each listening on its own socket again, and the server answers throughout
    (master,) = parents
    os.kill(master, signal.SIGHUP)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = _listeners(port)
        if len(now) == 2 and now.keys().isdisjoint(owners) and all(len(i) == 1 for i in now.values()):
            break
        assert requests.get(f"{base}/api/v1/performance-metrics/health", timeout=10).status_code == 200
        time.sleep(0.2)
    else:
        raise AssertionError(f"after HUP: {_listeners(port)}")
    assert master not in now
    assert requests.get(f"{base}/api/v1/performance-metrics/health", timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("address", "environ", "kept"),
    [
        (("127.0.0.1", 8050), {}, True),
        (("127.0.0.1", 0), {}, False),  # each worker would get a port of its own
        ("/run/meridian.sock", {}, False),  # a Unix socket
        (("127.0.0.1", 8050), {"LISTEN_FDS": "1"}, False),  # systemd's socket would go unserved
    ],
)
def test_gun003_sockets_of_their_own_only_where_the_workers_can_share_the_address(
    address, environ, kept, monkeypatch
):
    import runpy
    import socket
    from types import SimpleNamespace

    # the configuration sets PROMETHEUS_MULTIPROC_DIR for its workers: put back as it was afterwards
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""))
    if not os.environ["PROMETHEUS_MULTIPROC_DIR"]:
        monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR")
    conf = runpy.run_path(str(serve.PROJECT_ROOT / "gunicorn.conf.py"))
    if kept:  # a free port: the check binds it once and lets the workers bind it after
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            address = ("127.0.0.1", s.getsockname()[1])
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    settings = {"reuse_port": True}
    cfg = SimpleNamespace(address=[address], set=settings.__setitem__)
    cfg.reuse_port = True
    server = SimpleNamespace(cfg=cfg, log=SimpleNamespace(info=lambda *a: None))
    conf["_spread_connections"](server)
    assert settings["reuse_port"] is kept
    settings["reuse_port"] = True
    conf["on_reload"](server)  # HUP: the same choice again, before the new workers start
    assert settings["reuse_port"] is kept
    if kept:  # and no check of the port, which the old workers hold
        with socket.socket() as taken:
            taken.bind(address)
            taken.listen()
            conf["on_reload"](server)
            with pytest.raises(SystemExit):
                conf["_spread_connections"](server)  # a start checks it
