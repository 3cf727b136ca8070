"""Rate limits: how many requests a key (an API token) may make per window of time, and how many
failures (wrong answers at the door of the debtor's space, per link and per address) it may have.

A fixed window: the count of the current window (`API_RATE_WINDOW` seconds long, aligned on the
clock) may reach `API_RATE_LIMIT`; the next request is answered with the seconds left until the
window ends. Simple and cheap — one INCR — at the price of letting a client spend two windows' worth
around a boundary, which is fine for its purpose: no client's system can swamp the platform.

With Redis (real mode) the count is shared by every web process; in embedded mode there is one
process and no Redis, so it is kept in memory. Redis being unreachable lets requests through: the
limit protects the platform, it must not take the API down with Redis.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from flask import current_app
from redis import Redis, RedisError

log = logging.getLogger(__name__)
REDIS_TIMEOUT = 1.0  # seconds: a request never waits long on its count


class MemoryCounter:
    """Counts per key and window, in this process."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def increment(self, key: str, window: int, seconds: int) -> int:
        with self._lock:
            if len(self._counts) > 10_000:  # forget the windows that are over
                self._counts = {k: n for k, n in self._counts.items() if k[1] >= window}
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
            return count

    def get(self, key: str, window: int) -> int:
        with self._lock:
            return self._counts.get((key, window), 0)


class RedisCounter:
    """Counts per key and window in Redis, shared by every process; a window's key expires after it."""

    def __init__(self, connection: Redis) -> None:
        self._redis = connection

    def increment(self, key: str, window: int, seconds: int) -> int:
        name = f"amiable:rate:{key}:{window}"
        pipe = self._redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, 2 * seconds)
        count, _expiry_set = pipe.execute()
        return int(count)

    def get(self, key: str, window: int) -> int:
        return int(self._redis.get(f"amiable:rate:{key}:{window}") or 0)


def retry_after(key: str, limit: int, seconds: int) -> int | None:
    """Count a request of `key`; return the seconds to wait if it is over `limit` per `seconds`, else None.

    A limit of 0 counts nothing: no limit.
    """
    if limit <= 0:
        return None
    now = time.time()
    window = int(now // seconds)
    try:
        count = _counter().increment(key, window, seconds)
    except RedisError as exc:
        log.warning("request not counted, Redis did not answer: %s", exc)
        return None
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * seconds - now))


def blocked_for(key: str, limit: int, seconds: int) -> int | None:
    """Return the seconds to wait if `key` has already been counted `limit` times in this window, else None.

    Counts nothing: for limits on failures, which `retry_after` counts once they happen.
    """
    if limit <= 0:
        return None
    now = time.time()
    window = int(now // seconds)
    try:
        count = _counter().get(key, window)
    except RedisError as exc:
        log.warning("count not read, Redis did not answer: %s", exc)
        return None
    if count < limit:
        return None
    return max(1, math.ceil((window + 1) * seconds - now))


def _counter() -> MemoryCounter | RedisCounter:
    extensions = current_app.extensions
    if "amiable.rate_counter" not in extensions:
        url = current_app.config.get("REDIS_URL")
        counter = (
            RedisCounter(Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT))
            if url
            else MemoryCounter()
        )
        extensions.setdefault("amiable.rate_counter", counter)
    return extensions["amiable.rate_counter"]
