"""Answers kept whole: a repeated analysis run is answered with the bytes sent the first time.

A run already computed costs little to find (the rendered panel is cached, ``analytics/rendered.py``),
but Dash still builds its callback context, serialises the panel's figures again and the response is
compressed again: most of what a cached run costs. So the compressed response of a run is kept, and a
request for the same run is answered with it before Dash is involved.

"The same run" is decided with the page, never by the raw request alone: a *keyer* (registered by the
page for its run button) reads from the request what the run callback reads - the form's values and
fields, and the household, which the signed-in user must be allowed to see (checked on every request,
answered or not) - and adds what the callback reads besides: the versions of the household's data the
page reads (its portfolio's, and its goals' for a page that reads them: a goal saved leaves the other
pages' answers) and, for a page that pins the firm's assumptions, the set in force. To that the request's
outputs and accepted encodings are added, and the cache key adds the market and engine versions. The
callback's answer is a function of all that, so a request with the same key is owed the same bytes. A
recompute, a request without a household or one the user may not see is never answered from what was kept.

A response is kept only when its callback said it may be (:meth:`Answers.offer`: a run shown, not one
asked for anew, not an error) and the key, read again after the callback, is the one read before it
(the versions only grow: nothing changed during the run). Kept answers live in the shared cache under
the household (``answer``: dropped with its data, like the rendered panels) and, being addressed by
versions, in each worker's memory.

A replayed run reads the shared cache once: what the sign-in check reads (the user) and what the keyer
reads (the household's authorisation, the sets of assumptions) are read in one round trip before the
sign-in check (``read_ahead``, for a request whose session cookie names a user; the checks themselves are
unchanged, ``cache.read_ahead``); the kept answer is in the worker's memory.

Order matters: the replay runs after the sign-in and CSRF checks (a ``before_request`` hook registered
after ``identity``) and before the request's shape is checked against its callback (``hardening``): a
replayed answer is one whose output, outputs and key equal those of a request that passed that check
and was answered, and nothing else of the request reaches it; a miss goes on to the check. The keeping
runs after flask-compress (an ``after_request`` hook registered before it: Flask calls them in
reverse), so the bytes kept are the compressed ones.

Blocks of the Overview's transactions grid are keyed the same way (``callbacks/overview.GRID_ANSWERS``:
the grid's request, the account, the household and its data version), registered like a run button's.

Page layouts are kept the same way, in each worker's memory (:class:`KeptLayouts`): Dash's pages router
answers a request for an address with the page's layout, and a page's layout is a function of its address
and of the catalogue of securities its forms offer (``pages/__init__.py``), so the response is kept under
the request's own bytes, its accepted encodings and the market version, and the same request is answered
with it. A layout that reads live data asks for it through ``MeridianDash.view`` (the Operations and
Market data pages), which marks the request: its response is never kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import dash
import flask
import orjson

from dashboard.cache.keys import MISS
from dashboard.cache.local import LocalCache
from dashboard.delivery import LIVE_VIEW
from dashboard.extensions import cache
from dashboard.hardening import MAX_CALLBACK_BYTES
from dashboard.identity import session_user_id
from dashboard.metrics.instrumentation import CALLBACK_OUTPUT, callback_failed
from dashboard.services.access import session_entry

OPERATION = "answer"
# The shape of a kept answer: raised when what is kept or how it is keyed changes.
ANSWER_VERSION = 1
_OFFERED, _PENDING = "meridian_answer_offered", "meridian_answer_pending"
# The request of Dash's pages router (dash.page_container): an address's layout and the page's title.
ROUTER_OUTPUT = ".._pages_content.children..._pages_store.data.."
_LAYOUT_PENDING = "meridian_layout_pending"
LAYOUTS_KEPT = 256  # per worker: every page at its usual addresses, a few KB each


@dataclass(frozen=True)
class Basis:
    """What a run's response is made from besides the request's outputs, as the page's keyer reads it."""

    household: int
    parts: dict  # the form as sent, and what the callback reads besides (data versions, assumptions)


@dataclass(frozen=True)
class Keyer:
    """How a page's run requests are keyed: ``basis(body)`` (None: never answered again), and
    ``reads(body, user_id)``, the cache entries ``basis`` will read for that user (as
    ``cache.read_ahead`` takes them), read ahead with the user's own before the sign-in check."""

    basis: Callable[[dict], Basis | None]
    reads: Callable[[dict, int], list]


class Answers:
    def __init__(self) -> None:
        self._keyers: dict[str, Keyer] = {}

    def replayable(self, run_button: str, keyer: Keyer) -> None:
        """Requests whose first input is ``run_button`` may be answered again; ``keyer`` reads them."""
        self._keyers[run_button] = keyer

    @staticmethod
    def offer() -> None:
        """In a run callback: its response shows a run (not a refusal, not a recompute); it may be kept."""
        if flask.has_request_context():
            flask.g.setdefault(_OFFERED, True)

    @staticmethod
    def withdraw() -> None:
        """In a run callback: what was offered is not its answer after all (the run failed after it)."""
        if flask.has_request_context():
            flask.g.pop(_OFFERED, None)

    def register(self, server: flask.Flask, update_path: str) -> tuple[Callable, Callable, Callable]:
        """The three hooks, for the app to register in the order above: (read_ahead, replay, keep)."""

        layouts = KeptLayouts()

        def callback_body():
            """The JSON of a callback request (a dict), else None."""
            request = flask.request._get_current_object()  # one context look-up
            if request.path != update_path or request.method != "POST":
                return None
            if not 0 < (request.content_length or 0) <= MAX_CALLBACK_BYTES:
                return None  # the request check says what is wrong with it
            try:
                body = request.get_json(silent=True, cache=True)
            except Exception:  # noqa: BLE001 - nested too deeply, too long: the request check refuses it
                return None
            return body if isinstance(body, dict) else None

        def body_of_run():
            """The JSON of a callback request whose first input has a keyer, else None."""
            body = callback_body()
            return body if body is not None and self._keyer(body) is not None else None

        def read_ahead():
            user_id = session_user_id()
            body = body_of_run() if user_id is not None else None
            if body is not None:
                cache.read_ahead([session_entry(user_id), *self._keyer(body).reads(body, user_id)])

        def replay():
            body = callback_body()
            if body is None:
                return None
            if body.get("output") == ROUTER_OUTPUT:
                return layouts.replay(body)
            if self._keyer(body) is None:
                return None
            found = self._read(body)
            if found is None:
                return None
            basis, key = found
            kept = cache.lookup(OPERATION, {"answer": key}, household=basis.household)
            if kept is None:
                flask.g.setdefault(_PENDING, key)  # answered by Dash: kept afterwards if the key holds
                return None
            return replayed(body, kept)

        def keep(response: flask.Response):
            layouts.keep(response)
            offered, pending = flask.g.pop(_OFFERED, None), flask.g.pop(_PENDING, None)
            if offered is None or pending is None or not keepable(response):
                return response
            found = self._read(flask.request.get_json(silent=True, cache=True))
            if found is None or found[1] != pending:
                return response  # what the run read changed while it ran: its answer is not the key's
            kept = kept_of(response)
            cache.get_or_compute(OPERATION, {"answer": pending}, lambda: kept, household=found[0].household)
            return response

        return read_ahead, replay, keep

    def _keyer(self, body) -> Keyer | None:
        try:
            return self._keyers.get(body["inputs"][0]["id"])
        except (KeyError, IndexError, TypeError):
            return None

    def _read(self, body) -> tuple[Basis, str] | None:
        """The basis and key of a replayable request, or None."""
        keyer = self._keyer(body)
        if keyer is None:
            return None
        basis = keyer.basis(body)
        if basis is None:
            return None
        request = {
            "version": ANSWER_VERSION,
            "dash": dash.__version__,
            "household": basis.household,
            "parts": basis.parts,
            "output": body.get("output"),
            "outputs": body.get("outputs"),
            "encodings": flask.request.headers.get("Accept-Encoding", ""),
        }
        text = orjson.dumps(request, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
        return basis, hashlib.sha256(text).hexdigest()


class KeptLayouts:
    """Page layouts answered again in one worker: the router's response kept by the request's bytes, its
    accepted encodings and the market version (the forms offer the catalogue's securities), least
    recently used out. A layout that read live data (``MeridianDash.view``) is not kept."""

    def __init__(self, limit: int = LAYOUTS_KEPT) -> None:
        self._kept = LocalCache(limit=limit)

    @staticmethod
    def _key() -> str:
        request = flask.request._get_current_object()
        digest = hashlib.sha256(request.get_data(cache=True))
        digest.update(b"\0" + request.headers.get("Accept-Encoding", "").encode("latin-1"))
        digest.update(b"\0%d" % cache.market_version())
        return digest.hexdigest()

    def replay(self, body: dict) -> flask.Response | None:
        key = self._key()
        kept = self._kept.get(key)
        if kept is MISS:
            flask.g.setdefault(_LAYOUT_PENDING, key)  # drawn by Dash: kept afterwards if it may be
            return None
        return replayed(body, kept)

    def keep(self, response: flask.Response) -> None:
        pending = flask.g.pop(_LAYOUT_PENDING, None)
        if pending is None or flask.g.get(LIVE_VIEW) or not keepable(response):
            return
        if self._key() != pending:
            return  # the catalogue changed while the layout was drawn: not the key's layout
        self._kept.put(pending, kept_of(response), ttl=_FOREVER)


_FOREVER = 10 * 365 * 24 * 3600.0  # kept layouts are addressed by what they are made from: never stale


def keepable(response: flask.Response) -> bool:
    """A callback's response that may be sent again: a 200 whose callback did not raise (its polite alert
    is no answer), with its bytes in hand."""
    return response.status_code == 200 and not response.direct_passthrough and not callback_failed()


def kept_of(response: flask.Response) -> dict:
    """What is kept of a response: its bytes (compressed, when they were), type and encoding."""
    return {
        "body": response.get_data(),
        "mimetype": response.mimetype,
        "encoding": response.headers.get("Content-Encoding", ""),
    }


def replayed(body: dict, kept: dict) -> flask.Response:
    """A kept response sent again for ``body``, a request equal to one that was checked and answered."""
    # the output of a request that was checked and answered before: a name the metrics may use
    flask.g.setdefault(CALLBACK_OUTPUT, body["output"])
    response = flask.Response(kept["body"], status=200, mimetype=kept["mimetype"])
    if kept["encoding"]:
        response.headers["Content-Encoding"] = kept["encoding"]
    response.vary.add("Accept-Encoding")
    return response


answers = Answers()
