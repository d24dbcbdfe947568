"""How the browser gets the app, and no more of it than a page needs.

- Compression of every text response in the process itself (flask-compress:
  brotli, else gzip), so ``make run`` and the Procfile need no proxy. Static
  bundles are immutable per deploy: their compressed bytes are kept (bounded)
  and never compressed twice; dynamic responses (pages, callbacks) are
  compressed at a fast level.
- A partial plotly.js (``frontend/plotly-meridian.js``: the trace types we
  draw), built and precompressed by ``make setup``, answers the URL where
  ``dcc.Graph`` fetches plotly.js when a chart is first about to render.
- Scripts no page needs before first render are left out of the index:
  dash_table's (no page has a DataTable) and the grid's, which the Overview
  loads on demand (``assets/meridian.js``) before it draws its grid.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import brotli
import dash
import flask
from dash.development.base_component import ComponentRegistry
from flask_compress import Compress

from dashboard.settings import PROJECT_ROOT

log = logging.getLogger("meridian.delivery")

PLOTLY_BUNDLE = PROJECT_ROOT / "vendor" / "plotly" / "plotly-meridian.min.js"
# Where dcc.Graph fetches plotly.js (dash-renderer: window._dashPlotlyJSURL when serving locally).
PLOTLY_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"
# Packages whose main script is left out of every index; value: loaded on demand by name (True) or never.
DEFERRED_LIBRARIES = {"dash_ag_grid": True, "dash_table": False}

CONFIG_ID = "meridian-config"  # read by assets/meridian.js
# flask.g key: the page layout drawn in this request read live data (a view), so its response is not one
# to keep for the next request of the same address (dashboard/answers.py)
LIVE_VIEW = "meridian_live_view"
BEACON_PATH = "api/v1/performance-metrics/web-vitals"
STATIC_PREFIXES = ("_dash-component-suites/", "assets/")
MAX_CACHED = 64  # compressed static files kept per worker (the app serves about 30)

_SCRIPT = re.compile(r'<script src="(?P<src>[^"]+)"></script>\n?')


class MeridianDash(dash.Dash):
    """Dash with an index that leaves out what no page needs before first render, and the first views
    of the pages drawn with their data (``create_app`` sets ``views`` from the UI it serves)."""

    views: Mapping[str, Callable[[], Any]] = MappingProxyType({})  # create_app gives each app its own

    def view(self, path: str):
        """What the page at ``path`` opens with (``pages/`` calls it as ``dash.get_app().view(path)``):
        live data, so the layout that asks is never answered again from a kept response."""
        if flask.has_request_context():
            flask.g.setdefault(LIVE_VIEW, True)
        return self.views[path]()

    def _generate_scripts_html(self) -> str:
        return self._index_part("scripts", super()._generate_scripts_html)

    def _generate_css_dist_html(self) -> str:
        return self._index_part("css", super()._generate_css_dist_html)

    def _index_part(self, part: str, build: Callable[[], str]) -> str:
        """The index's script or stylesheet tags, built again only when what Dash builds them from
        changes: Dash builds them for every page load (a file's fingerprint from its modification time,
        each bundle's package looked up), and they change with a component package imported, a resource
        or a clientside function registered (the pages' title function, on the first request) - or, with
        the dev tools' hot reload, with any file, so then they are built each time."""
        if self._dev_tools.hot_reload:
            return build()
        basis = (
            len(ComponentRegistry.registry),
            len(self.scripts._resources._resources),
            len(self.css._resources._resources),
            len(self._inline_scripts),
            len(self.callback_map),  # a clientside function registered brings its script
            self._dev_tools.props_check,
            self._dev_tools.serve_dev_bundles,
        )
        built = self.__dict__.setdefault("_index_parts", {})
        if part not in built or built[part][0] != basis:
            built[part] = (basis, build())
        return built[part][1]

    def interpolate_index(self, **kwargs):
        beacon = self.config.requests_pathname_prefix + BEACON_PATH
        kwargs["scripts"] = index_scripts(kwargs.get("scripts", ""), beacon)
        # the page's language, for screen readers and hyphenation (Dash's index leaves it out)
        return super().interpolate_index(**kwargs).replace("<html>", '<html lang="en">', 1)


def index_scripts(scripts: str, beacon: str) -> str:
    """The index's script tags without the deferred libraries, after a JSON block (not executed) that
    ``assets/meridian.js`` reads: the scripts it loads on demand, by package, and where beacons go."""
    lazy: dict[str, str] = {}

    def keep(found: re.Match) -> str:
        src = found["src"]
        for package, on_demand in DEFERRED_LIBRARIES.items():
            if (
                f"/_dash-component-suites/{package}/" in src
                or f"/_dash-component-suites/dash/{package}/" in src
            ):
                if on_demand:
                    lazy[package] = src
                return ""
        return found.group(0)

    kept = _SCRIPT.sub(keep, scripts)
    listing = json.dumps({"lazy": lazy, "beacon": beacon}).replace("</", "<\\/")
    return f'<script type="application/json" id="{CONFIG_ID}">{listing}</script>\n{kept}'


# -- compression ------------------------------------------------------------------------------------


class StaticCompressedCache:
    """flask-compress's cache: compressed static files only (bounded, least recently used out).

    flask-compress asks for every response it compresses; keys of dynamic
    responses end with ``;`` (see :func:`_cache_key`) and are never stored.
    """

    def __init__(self, limit: int = MAX_CACHED):
        self.limit = limit
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";"):
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def _cache_key(request) -> str:
    """The path of a static file (its content never changes within a deploy); "" for anything else."""
    prefix = flask.current_app.config["MERIDIAN_ROUTES_PREFIX"]
    if request.method == "GET" and request.path.startswith(tuple(prefix + p for p in STATIC_PREFIXES)):
        return request.path
    return ""


# A static file's bytes compressed at the best level, by its content, for the whole process: each app the
# process builds (a worker's one; the tests build hundreds, each serving the same ~30 files) compresses a
# file once, not once per app. Brotli 9 takes ~0.3 s of a core per MB.
_BEST = StaticCompressedCache()


def compressed_best(encoding: str, data: bytes) -> bytes:
    """``data`` compressed with ``encoding`` ("br" or "gzip") at its best level, once per content."""
    key = f"{encoding}:{hashlib.blake2b(data, digest_size=16).hexdigest()}"
    done = _BEST.get(key)
    if done is None:
        done = brotli.compress(data, quality=9) if encoding == "br" else gzip.compress(data, 9)
        _BEST.set(key, done)
    return done


def register_compression(server: flask.Flask, routes_prefix: str) -> Compress:
    server.config.update(
        MERIDIAN_ROUTES_PREFIX=routes_prefix,
        COMPRESS_ALGORITHM=["br", "gzip"],
        # Dynamic responses (pages, callbacks: JSON of a few to a few hundred KB) at a fast level: for
        # JSON, brotli 3 compresses as well as 5 in a third of the time. Static files get the best
        # levels, once (below).
        COMPRESS_BR_LEVEL=3,
        COMPRESS_LEVEL=6,
        COMPRESS_MIN_SIZE=500,
        COMPRESS_STREAMS=False,
        COMPRESS_CACHE_BACKEND=StaticCompressedCache,
        COMPRESS_CACHE_KEY=_cache_key,
    )
    compress = Compress()
    compress.init_app(server)
    static = tuple(routes_prefix + p for p in STATIC_PREFIXES)

    # Registered after flask-compress, so it runs before it. A static file's first response fills
    # flask-compress's cache with its bytes compressed at the best level (brotli 9, gzip 9), which
    # flask-compress then serves; files Flask streams from assets/ (the theme's CSS, our scripts)
    # are read first, as a streamed response would go out uncompressed.
    @server.after_request
    def _compress_static_files_once(response):
        request = flask.request
        if (
            request.method != "GET"
            or response.status_code != 200
            or not request.path.startswith(static)
            or response.mimetype not in compress.compress_mimetypes_set
            or "Content-Encoding" in response.headers
        ):
            return response
        encoding = next((e for e in ("br", "gzip") if request.accept_encodings[e]), None)
        if encoding is None:
            return response
        key = f"{encoding};{request.path}"
        if compress.cache.get(key) is None:
            response.direct_passthrough = False
            data = response.get_data()  # reads a streamed file once
            compress.cache.set(key, compressed_best(encoding, data))
        elif response.direct_passthrough:
            response.direct_passthrough = False
            response.get_data()
        return response

    return compress


# -- the partial plotly.js ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bundle:
    """A static file and its precompressed variants, read once."""

    raw: bytes
    encoded: dict[str, bytes]  # "br" / "gzip" -> bytes
    etag: str

    @classmethod
    def read(cls, path: Path) -> Bundle:
        raw = path.read_bytes()
        encoded = {}
        for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
            variant = path.with_name(path.name + suffix)
            if variant.exists():
                encoded[encoding] = variant.read_bytes()
        return cls(raw, encoded, hashlib.sha256(raw).hexdigest()[:32])

    def response(self, request) -> flask.Response:
        if self.etag in request.if_none_match:
            response = flask.Response(status=304)
        else:
            accepted = request.accept_encodings
            encoding = next((e for e in ("br", "gzip") if e in self.encoded and accepted[e]), None)
            body = self.encoded[encoding] if encoding else self.raw
            response = flask.Response(body, mimetype="application/javascript")
            if encoding:
                response.headers["Content-Encoding"] = encoding
        response.set_etag(self.etag)
        response.headers["Vary"] = "Accept-Encoding"
        # The URL carries no fingerprint: browsers revalidate (a 304 when unchanged).
        response.headers["Cache-Control"] = "public, no-cache"
        return response


def register_plotly_bundle(server: flask.Flask, routes_prefix: str) -> Bundle | None:
    """Answer dcc.Graph's plotly.js request with the partial bundle; without it, Dash serves the full one."""
    if not PLOTLY_BUNDLE.exists():
        log.warning(
            "the partial plotly.js bundle is missing (%s); serving the full plotly.js. Run `make setup`.",
            PLOTLY_BUNDLE,
        )
        return None
    bundle = Bundle.read(PLOTLY_BUNDLE)
    path = routes_prefix + PLOTLY_PATH

    @server.before_request
    def _partial_plotly():
        if flask.request.path == path and flask.request.method in ("GET", "HEAD"):
            return bundle.response(flask.request)
        return None

    return bundle
