"""A very short-lived cache for the hottest read of the service: a part's analysis state.

Many clients polling the same part (a dashboard, retrying scripts) cost one query per
``ttl_s`` between them. A poll sees a state at most ``ttl_s`` old; writes (start, delete) drop
the entry at once. :class:`RecentCache` lives in one process (the embedded mode: one API
process); :class:`RedisRecentCache` is shared by every API process of a scaled deployment, so
the polls of all replicas cost one query per ``ttl_s`` and a write through one replica drops
the entry for all of them. Values are JSON (never pickles: Redis is not trusted with code).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import structlog

__all__ = ["RecentCache", "RedisRecentCache", "poll_cache"]

_log = structlog.get_logger("makeready.service")

_V = TypeVar("_V")


class RecentCache(Generic[_V]):
    """Values by key for ``ttl_s`` seconds, at most ``capacity`` of them."""

    def __init__(self, ttl_s: float = 0.2, capacity: int = 10_000) -> None:
        self.ttl_s, self.capacity = ttl_s, capacity
        self._values: dict[tuple[str, str], tuple[float, _V]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], load: Callable[[], _V]) -> _V:
        """The cached value, or ``load()``'s (stored when it returns)."""
        if self.ttl_s <= 0:
            return load()
        now = time.monotonic()
        hit = self._values.get(key)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        value = load()
        with self._lock:
            if len(self._values) >= self.capacity:
                self._values.clear()
            self._values[key] = (now, value)
        return value

    def drop(self, key: tuple[str, str]) -> None:
        """Forget ``key`` (its resource just changed)."""
        with self._lock:
            self._values.pop(key, None)


class RedisRecentCache:
    """:class:`RecentCache` in Redis, for JSON values: ``<prefix>:state:<owner>:<id>``, expiring.

    When Redis cannot be reached every call loads (logged): a cache must not become an outage.
    """

    def __init__(self, client: Any, ttl_s: float = 0.2, prefix: str = "makeready") -> None:
        self.client, self.ttl_s, self.prefix = client, ttl_s, prefix

    def _key(self, key: tuple[str, str]) -> str:
        return f"{self.prefix}:state:{key[0]}:{key[1]}"

    def get(self, key: tuple[str, str], load: Callable[[], Any]) -> Any:
        """The cached value, or ``load()``'s (stored when it returns)."""
        if self.ttl_s <= 0:
            return load()
        name = self._key(key)
        try:
            hit = self.client.get(name)
        except Exception:  # redis-py's ConnectionError, TimeoutError…
            _log.warning("poll cache unavailable (redis)", exc_info=True)
            return load()
        if hit is not None:
            return json.loads(hit)
        value = load()
        try:
            self.client.set(name, json.dumps(value, separators=(",", ":")), px=max(1, int(self.ttl_s * 1000)))
        except Exception:
            _log.warning("poll cache unavailable (redis)", exc_info=True)
        return value

    def drop(self, key: tuple[str, str]) -> None:
        """Forget ``key`` in every process (its resource just changed)."""
        try:
            self.client.delete(self._key(key))
        except Exception:  # the entry then expires by itself within ttl_s
            _log.warning("poll cache unavailable (redis)", exc_info=True)


def poll_cache(settings: Any) -> RecentCache[Any] | RedisRecentCache:
    """The poll cache for ``settings``: in Redis when the deployment has one, else per process."""
    from makeready.service.ratelimit import shared_redis

    client = shared_redis(settings)
    if client is None:
        return RecentCache(settings.poll_cache_s)
    return RedisRecentCache(client, settings.poll_cache_s, settings.queue_prefix)
