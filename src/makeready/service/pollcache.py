"""A very short-lived cache for the hottest read of the service: a part's analysis state.

Many clients polling the same part (a dashboard, retrying scripts) cost one query per
``ttl_s`` between them. A poll sees a state at most ``ttl_s`` old; writes made through this
process (start, delete) drop the entry at once, so only other replicas can lag, by ``ttl_s``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["RecentCache"]

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
