"""Answers kept whole: a repeated analysis run is answered with the bytes sent the first time.

A run already computed costs little to find (the rendered panel is cached, ``analytics/rendered.py``),
but Dash still builds its callback context, serialises the panel's figures again and the response is
compressed again: most of what a cached run costs. So the compressed response of a run is kept, and a
request for the same run is answered with it before Dash is involved.

"The same run" is decided by the page, never by the raw request alone: a *keyer* (registered by the
page's run callback for its run button) reads the request as the callback would - the household, which
the signed-in user must be allowed to see (checked on every request, replayed or not), the form's
values, the assumptions in force - and names what the response is made from: the rendered panel's key
(the household's data versions, the market and engine versions, the pinned assumptions), the URL the
run shows, the form's fields. To that the request's outputs and accepted encodings are added. What the
keyer cannot vouch for (a recompute, a form with errors, no household, a refusal) is never replayed.

A response is kept only when the callback said it may be (:meth:`Answers.offer`, with the panel's key)
and the keyer, asked again after the callback, names the same panel: a change to the data during the
run keeps nothing. Kept answers live in the shared cache under the household (``answer``: dropped with
its data, like the rendered panels) and, being addressed by versions, in each worker's memory.

Order matters: the replay runs after the sign-in and CSRF checks (a ``before_request`` hook registered
after ``identity``) and before the request's shape is checked against its callback (``hardening``): a
replayed answer is one whose output, outputs and basis equal those of a request that passed that check
and was answered, and nothing else of the request reaches it; a miss goes on to the check. The keeping
runs after flask-compress (an ``after_request`` hook registered before it: Flask calls them in
reverse), so the bytes kept are the compressed ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import dash
import flask

from dashboard.extensions import cache
from dashboard.hardening import MAX_CALLBACK_BYTES
from dashboard.observability.instrumentation import CALLBACK_OUTPUT

OPERATION = "answer"
# The shape of a kept answer: raised when what is kept or how it is keyed changes.
ANSWER_VERSION = 1
_OFFERED, _REPLAYED = "meridian_answer_offered", "meridian_answer_replayed"


@dataclass(frozen=True)
class Basis:
    """What a run's response is made from, as the page's keyer reads it from the request."""

    household: int
    panel: str  # the rendered panel's cache key (versions, pinned fields, market and engine versions)
    shown: dict  # everything else the response carries (the URL it shows, the form's field ids)


Keyer = Callable[[dict], Basis | None]


class Answers:
    def __init__(self) -> None:
        self._keyers: dict[str, Keyer] = {}

    def replayable(self, run_button: str, keyer: Keyer) -> None:
        """Requests whose first input is ``run_button`` may be answered again; ``keyer`` reads them."""
        self._keyers[run_button] = keyer

    @staticmethod
    def offer(panel: str) -> None:
        """In a run callback: its response is made from the rendered panel ``panel`` and may be kept."""
        if flask.has_request_context():
            flask.g.setdefault(_OFFERED, panel)

    def register(self, server: flask.Flask, update_path: str) -> tuple[Callable, Callable]:
        """The two hooks, for the app to register in the order above: (replay, keep)."""

        def replay():
            request = flask.request
            if request.path != update_path or request.method != "POST":
                return None
            if not 0 < (request.content_length or 0) <= MAX_CALLBACK_BYTES:
                return None  # the request check says what is wrong with it
            try:
                body = request.get_json(silent=True, cache=True)
            except Exception:  # noqa: BLE001 - nested too deeply, too long: the request check refuses it
                return None
            found = self._read(body)
            if found is None:
                return None
            basis, key = found
            kept = cache.lookup(OPERATION, {"answer": key}, household=basis.household)
            if kept is None:
                return None
            flask.g.setdefault(_REPLAYED, True)
            # the output of a request that was checked and answered before: a name the metrics may use
            flask.g.setdefault(CALLBACK_OUTPUT, body["output"])
            response = flask.Response(kept["body"], status=200, mimetype=kept["mimetype"])
            if kept["encoding"]:
                response.headers["Content-Encoding"] = kept["encoding"]
            response.vary.add("Accept-Encoding")
            return response

        def keep(response: flask.Response):
            offered = flask.g.pop(_OFFERED, None)
            if (
                offered is None
                or flask.g.get(_REPLAYED)
                or flask.request.path != update_path
                or response.status_code != 200
                or response.direct_passthrough
            ):
                return response
            found = self._read(flask.request.get_json(silent=True, cache=True))
            if found is None or found[0].panel != offered:
                return response  # not a run the page vouches for, or its data changed during the run
            basis, key = found
            kept = {
                "body": response.get_data(),
                "mimetype": response.mimetype,
                "encoding": response.headers.get("Content-Encoding", ""),
            }
            cache.get_or_compute(OPERATION, {"answer": key}, lambda: kept, household=basis.household)
            return response

        return replay, keep

    def _read(self, body) -> tuple[Basis, str] | None:
        """The basis and key of a replayable request, or None."""
        try:
            keyer = self._keyers.get(body["inputs"][0]["id"])
        except (KeyError, IndexError, TypeError):
            return None
        if keyer is None:
            return None
        basis = keyer(body)
        if basis is None:
            return None
        request = {
            "version": ANSWER_VERSION,
            "dash": dash.__version__,
            "panel": basis.panel,
            "shown": basis.shown,
            "output": body.get("output"),
            "outputs": body.get("outputs"),
            "encodings": flask.request.headers.get("Accept-Encoding", ""),
        }
        text = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
        return basis, hashlib.sha256(text.encode()).hexdigest()


answers = Answers()
