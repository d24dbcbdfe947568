"""SQLite-backed stores that a forked job process can use: no fork while one of them is mid-statement.

The embedded default runs background jobs in processes forked from the web worker (Dash's
``DiskcacheManager``), and the job writes to the SQLite files the worker's threads use (the job's progress
and result, the cache, the metrics). SQLite keeps the locks of all of a process's connections to a file
in memory, and a forked child inherits that memory but not the locks: had another thread of the parent
been inside a transaction at the fork, the child believes a connection of its own still holds the lock,
and its first write waits for ever (SQLite: "do not carry an open connection across a fork"). Seen as a
background Monte Carlo run that never reported progress.

So every statement and transaction of these stores holds one process-wide lock, and ``os.fork`` takes
it first (``os.register_at_fork``): a fork waits for the statement in flight and none starts during it.
"""

from __future__ import annotations

import contextlib
import os
import threading

import diskcache

GUARD = threading.RLock()
os.register_at_fork(before=GUARD.acquire, after_in_parent=GUARD.release, after_in_child=GUARD.release)


class ForkSafeCache(diskcache.Cache):
    """``diskcache.Cache`` whose statements and transactions never straddle a fork."""

    @property
    def _sql(self):
        execute = super()._sql

        def guarded(*args, **kwargs):
            with GUARD:
                return execute(*args, **kwargs)

        return guarded

    @contextlib.contextmanager
    def _transact(self, retry=False, filename=None):
        with GUARD, super()._transact(retry=retry, filename=filename) as sql:
            yield sql
