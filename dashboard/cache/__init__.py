"""The cache: ``keys`` (content-addressed, versioned), ``stores`` (Redis or a disk store shared by the
machine's workers), ``local`` (each worker's hot entries), ``outage`` (what it does while the shared
store is away), ``extension`` (the facade ``get_or_compute`` and its per-app binding)."""

from dashboard.cache.extension import AppCache, CacheCounters, CacheExtension
from dashboard.cache.keys import KEY_PREFIX, CacheKeyError, canonical, make_key, pattern

__all__ = [
    "KEY_PREFIX",
    "AppCache",
    "CacheCounters",
    "CacheExtension",
    "CacheKeyError",
    "canonical",
    "make_key",
    "pattern",
]
