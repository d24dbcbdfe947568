"""The shared stores: the primitives every backend provides (get, get many, set, delete, delete by glob,
locks, counters, ping), so the facade above has one code path.

- ``RedisStore`` (``REDIS_URL`` set): its own redis-py client (the settings' socket timeout, no retry on
  a timeout: the breaker in ``dashboard/outage.py`` decides when to try again); values pickled; locks are
  redis-py's. Each entry of a household or a user is also listed in an *index* of its operation for that
  household or user (a sorted set by expiry, written with the entry in one transaction), so dropping an
  operation's entries of a household or a user - what the app invalidates - reads that index, not the
  whole key space; other globs (an operation everywhere, every operation of a household) are deleted
  with ``SCAN`` (never ``KEYS``). The expiries are the writers' clocks (hosts kept in time by NTP).
- ``DiskStore`` (otherwise): ``diskcache`` in the instance folder, which every worker of the machine
  shares (SQLite underneath, so locks and deletion work across processes too).
"""

from __future__ import annotations

import contextlib
import fnmatch
import pickle
import time
import uuid
from pathlib import Path

from dashboard.cache.keys import KEY_PREFIX, MISS, in_scope, named_by, operation, owner_named, owners


def open_store(redis_url: str | None, timeout: float, folder: Path):
    """The store the settings ask for: Redis at ``redis_url``, else a disk store in ``folder``."""
    if redis_url:
        return RedisStore(redis_url, timeout)
    return DiskStore(folder)


class RedisStore:
    name = "redis"

    def __init__(self, url: str, timeout: float, prefix: str = KEY_PREFIX):
        import redis

        self.client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
            health_check_interval=30,
        )
        self.prefix = prefix

    @staticmethod
    def _load(raw: bytes | None):
        return MISS if raw is None else pickle.loads(raw)

    def get(self, key):
        return self._load(self.client.get(self.prefix + key))

    def get_many(self, keys: list[str]) -> list:
        """The values of ``keys`` in one round trip (MGET)."""
        if not keys:
            return []
        return [self._load(raw) for raw in self.client.mget([self.prefix + key for key in keys])]

    def set(self, key, value, ttl: int) -> None:
        name = self.prefix + key
        raw = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        indexes = self._indexes(key)
        if not indexes:
            self.client.set(name, raw, ex=ttl if ttl > 0 else None)
            return
        # the entry and its listing together (MULTI): a deletion by index sees both or neither. An index
        # is a sorted set scored by each entry's expiry: what expired is trimmed at every write, so an
        # index holds about the entries alive, and it lives as long as its longest-lived entry.
        now = time.time()
        with self.client.pipeline(transaction=True) as pipe:
            pipe.set(name, raw, ex=ttl if ttl > 0 else None)
            for index in indexes:
                pipe.zadd(index, {name: now + ttl if ttl > 0 else float("inf")})
                pipe.zremrangebyscore(index, "-inf", now)
                if ttl > 0:
                    pipe.expire(index, ttl, nx=True)
                    pipe.expire(index, ttl, gt=True)
                else:
                    pipe.persist(index)
            pipe.execute()

    def remove(self, key: str) -> int:
        return int(self.client.unlink(self.prefix + key))

    def delete_matching(self, glob: str) -> int:
        named = named_by(glob)
        index = self._index_of(named)
        if index is None:
            return self._scan_delete(glob)
        skip = len(self.prefix)
        listed = self.client.zrange(index, 0, -1)
        gone = [name for name in listed if in_scope(name.decode()[skip:], named)]
        if not gone:
            return 0
        with self.client.pipeline(transaction=False) as pipe:
            for start in range(0, len(gone), 500):
                batch = gone[start : start + 500]
                pipe.unlink(*batch)
                pipe.zrem(index, *batch)  # listed entries that expired meanwhile leave the index too
            return sum(pipe.execute()[0::2])

    def _scan_delete(self, glob: str) -> int:
        deleted = 0
        batch = []
        for name in self.client.scan_iter(match=self.prefix + glob, count=500):
            batch.append(name)
            if len(batch) >= 500:
                deleted += self.client.unlink(*batch)
                batch = []
        if batch:
            deleted += self.client.unlink(*batch)
        return deleted

    def _indexes(self, key: str) -> list[str]:
        """The indexes an entry is listed in: its operation's of its household and of its user."""
        return [f"{self.prefix}index:{owner}:{operation(key)}" for owner in owners(key)]

    def _index_of(self, named) -> str | None:
        """The index listing every entry a glob can match (``named``: what ``keys.named_by`` read of it), if
        it names an operation and a household or a user (what the app invalidates); None for any other
        glob (deleted by ``SCAN``: every operation of a household, an operation everywhere)."""
        owner = owner_named(named)
        if owner is None or named[0] is None:
            return None
        return f"{self.prefix}index:{owner}:{named[0]}"

    def acquire(self, name: str, timeout: float):
        lock = self.client.lock(self.prefix + "lock:" + name, timeout=timeout, blocking=False)
        return lock if lock.acquire(blocking=False) else None

    def release(self, lock) -> None:
        from redis.exceptions import LockError

        with contextlib.suppress(LockError):  # expired or flushed: nothing to release
            lock.release()

    def locked(self, name: str) -> bool:
        return bool(self.client.exists(self.prefix + "lock:" + name))

    def ping(self) -> bool:
        return bool(self.client.ping())

    def count(self, key: str, ttl: int, by: int = 1) -> int:
        """Add ``by`` to the counter ``key`` (created to expire in ``ttl`` seconds), atomically; its new value."""
        with self.client.pipeline() as pipe:
            pipe.incrby(self.prefix + "count:" + key, by)
            pipe.expire(self.prefix + "count:" + key, ttl, nx=True)
            return int(pipe.execute()[0])

    def peek(self, key: str) -> int:
        return int(self.client.get(self.prefix + "count:" + key) or 0)


class DiskStore:
    name = "local"

    def __init__(self, folder: Path, prefix: str = KEY_PREFIX):
        from dashboard.forksafe import ForkSafeCache

        folder.mkdir(parents=True, exist_ok=True)
        self.disk = ForkSafeCache(
            str(folder), timeout=1, size_limit=2**30, eviction_policy="least-recently-stored"
        )
        self.prefix = prefix

    def get(self, key):
        return self.disk.get(self.prefix + key, default=MISS, retry=True)

    def get_many(self, keys: list[str]) -> list:
        return [self.get(key) for key in keys]

    def set(self, key, value, ttl: int) -> None:
        self.disk.set(self.prefix + key, value, expire=ttl if ttl > 0 else None, retry=True)

    def remove(self, key: str) -> int:
        return int(bool(self.disk.delete(self.prefix + key, retry=True)))

    def delete_matching(self, glob: str) -> int:
        full = self.prefix + glob
        deleted = 0
        for name in list(self.disk.iterkeys()):
            if (
                isinstance(name, str)
                and fnmatch.fnmatchcase(name, full)
                and self.disk.delete(name, retry=True)
            ):
                deleted += 1
        return deleted

    def acquire(self, name: str, timeout: float):
        token = uuid.uuid4().hex
        key = self.prefix + "lock:" + name
        return (key, token) if self.disk.add(key, token, expire=timeout, retry=True) else None

    def release(self, lock) -> None:
        key, token = lock
        with self.disk.transact(retry=True):
            if self.disk.get(key) == token:
                self.disk.delete(key)

    def locked(self, name: str) -> bool:
        return (self.prefix + "lock:" + name) in self.disk

    def ping(self) -> bool:
        self.disk.get("ping")
        return True

    def count(self, key: str, ttl: int, by: int = 1) -> int:
        full = self.prefix + "count:" + key
        with self.disk.transact(retry=True):
            self.disk.add(full, 0, expire=ttl, retry=True)
            return int(self.disk.incr(full, by, default=0, retry=True))

    def peek(self, key: str) -> int:
        return int(self.disk.get(self.prefix + "count:" + key, default=0, retry=True))
