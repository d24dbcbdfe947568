"""Cache keys: content-addressed, versioned, and narrowed by operation, household and user.

``<operation>:e<engine version>:m<market version>:h<household>:u<user>:<sha256 of the canonical
request>``; the request must be JSON primitives (a DataFrame or an array is refused, so a key can never
depend on a repr). The market version changes with every price import, so no result computed from older
prices is asked for again. The stores put ``KEY_PREFIX`` in front.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from engine import ENGINE_VERSION

KEY_PREFIX = "meridian:"
MISS = object()  # what a store returns for a key it does not hold (None is a value)


class CacheKeyError(TypeError):
    """A request for a cache key contained something that is not a JSON primitive."""


def _refuse(value):
    raise CacheKeyError(
        f"cache keys are built from primitives only, not {type(value).__name__}; "
        "identify data by ids and ranges instead"
    )


# one encoder for every key (json.dumps with options builds a new one each call: most of a small key's cost)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False, default=_refuse)


def canonical(request: Mapping[str, Any]) -> str:
    """Sorted, compact JSON of a request made of primitives."""
    return _CANONICAL.encode(request)


def make_key(
    operation: str,
    request: Mapping[str, Any],
    household: int | None = None,
    user: int | str | None = None,
    market: int = 0,
) -> str:
    """``<operation>:e<engine>:m<market>:h<household>:u<user>:<digest>`` (without the store's prefix)."""
    if not operation or not operation.replace("_", "").isalnum():
        raise CacheKeyError(f"invalid operation name {operation!r}")
    digest = hashlib.sha256(canonical(request).encode()).hexdigest()[:40]
    return f"{operation}:e{ENGINE_VERSION}:m{market}:h{household if household is not None else '-'}:u{user if user is not None else '-'}:{digest}"


def pattern(operation: str | None = None, household: int | None = None, user: int | str | None = None) -> str:
    """A glob over keys, narrowed by any of operation, household and user."""
    return f"{operation or '*'}:e*:m*:h{household if household is not None else '*'}:u{user if user is not None else '*'}:*"


# A glob of ``pattern``: each of operation, household and user named or ``*`` (a user named without glob
# characters).
_PATTERN = re.compile(r"(\*|[A-Za-z0-9_]+):e\*:m\*:h(\*|\d+):u(\*|[^:*?\[\]]+):\*")


def scope(key: str) -> tuple[str, str, str] | None:
    """The operation, household and user (``-`` for none) of a ``make_key`` key; None for another name."""
    parts = key.split(":", 5)
    if len(parts) != 6 or parts[3][:1] != "h" or parts[4][:1] != "u":
        return None
    return parts[0], parts[3][1:], parts[4][1:]


def named_by(glob: str) -> tuple[str | None, str | None, str | None] | None:
    """The operation, household and user a ``pattern`` glob names (None for each ``*``); None for a glob
    of another shape (matched as a glob)."""
    found = _PATTERN.fullmatch(glob)
    if found is None:
        return None
    return tuple(None if part == "*" else part for part in found.groups())


def in_scope(key: str, named: tuple[str | None, str | None, str | None]) -> bool:
    """Whether ``key`` matches the glob that ``named_by`` read ``named`` from (without a regex per key)."""
    found = scope(key)
    return found is not None and all(
        want is None or want == got for want, got in zip(named, found, strict=True)
    )


def operation(key: str) -> str:
    """A key's operation: its first part (every ``make_key`` key starts with it)."""
    return key.split(":", 1)[0]


def owners(key: str) -> list[str]:
    """Whose entry ``key`` is: ``h<household>`` and/or ``u<user>`` (none for a key of no household and no
    user, or of another shape). Both the worker's layer and the Redis store list entries by these."""
    found = scope(key)
    if found is None:
        return []
    _, household, user = found
    return [owner for owner, part in ((f"h{household}", household), (f"u{user}", user)) if part != "-"]


def owner_named(named: tuple[str | None, str | None, str | None] | None) -> str | None:
    """The owner whose listing holds every key a glob can match (``named``: what ``named_by`` read of it):
    its household (``h<id>``), else its user (``u<id>``); None when it names neither."""
    if named is None:
        return None
    _, household, user = named
    if household is not None:
        return f"h{household}"
    return f"u{user}" if user is not None else None
