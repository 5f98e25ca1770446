"""Polling limits: a client that asks for the same result too often is told when to come back.

3D Spark API asks clients to poll every 30 s and threatens to block those that do not. makeready
answers 429 with ``Retry-After`` (whole seconds) instead, per owner and resource: in a bounded
table in memory (:class:`PollLimiter`, one process), or in Redis when the API runs as several
processes (:class:`RedisPollLimiter`: one limit whichever process a poll reaches).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import Any

import structlog

from makeready.service.problems import ApiError

__all__ = ["PollLimiter", "RedisPollLimiter", "poll_limiter", "shared_redis"]

_log = structlog.get_logger("makeready.ratelimit")


def _limited(since_s: float, min_interval_s: float) -> ApiError:
    """The 429 problem for a poll ``since_s`` after the last accepted one."""
    retry = max(1, math.ceil(min_interval_s - since_s))
    return ApiError(
        "request.rate_limited",
        f"polled {since_s:.2f} s after the last poll; poll at most every "
        f"{min_interval_s:g} s (retry in {retry} s)",
        headers={"Retry-After": str(retry)},
        retry_after=retry,
    )


class PollLimiter:
    """At most one poll of a resource per ``min_interval_s`` per owner.

    Parameters
    ----------
    min_interval_s : float
        Shortest allowed time between two polls (0 turns the limit off).
    capacity : int
        Most (owner, resource) pairs remembered; the oldest are forgotten first.

    """

    def __init__(self, min_interval_s: float, capacity: int = 100_000) -> None:
        self.min_interval_s = min_interval_s
        self.capacity = capacity
        self._last: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, owner: str, resource: str) -> None:
        """Record a poll, or raise ``request.rate_limited`` (429) with ``Retry-After``."""
        if self.min_interval_s <= 0:
            return
        key, now = (owner, resource), time.monotonic()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.min_interval_s:
                raise _limited(now - last, self.min_interval_s)
            self._last[key] = now
            self._last.move_to_end(key)
            while len(self._last) > self.capacity:
                self._last.popitem(last=False)


class RedisPollLimiter:
    """:class:`PollLimiter` shared by every API process through Redis.

    An accepted poll sets ``<prefix>:poll:<owner>:<resource>`` with ``NX`` and an expiry of the
    interval (one atomic command); a poll that finds the key is refused, its ``Retry-After`` from
    the key's remaining time. Redis keeps the table bounded by expiry. When Redis cannot be
    reached the poll is let through (logged): a limit must not turn into an outage.
    """

    def __init__(self, client: Any, min_interval_s: float, prefix: str = "makeready") -> None:
        self.client, self.min_interval_s, self.prefix = client, min_interval_s, prefix

    def check(self, owner: str, resource: str) -> None:
        """Record a poll, or raise ``request.rate_limited`` (429) with ``Retry-After``."""
        if self.min_interval_s <= 0:
            return
        key = f"{self.prefix}:poll:{owner}:{resource}"
        interval_ms = max(1, int(self.min_interval_s * 1000))
        try:
            if self.client.set(key, b"1", px=interval_ms, nx=True):
                return
            left_ms = self.client.pttl(key)
        except Exception:  # redis-py's ConnectionError, TimeoutError…: fail open
            _log.warning("poll limit unavailable (redis)", exc_info=True)
            return
        if left_ms is None or left_ms < 0:  # expired between the two commands
            return
        raise _limited(self.min_interval_s - left_ms / 1000, self.min_interval_s)


def shared_redis(settings: Any) -> Any | None:
    """A Redis client for state every API process shares, or None when there is no Redis.

    Redis when ``redis_url`` is set (or the Celery broker is Redis); short timeouts, because
    whoever uses it falls back to working without it.
    """
    url = settings.redis_url
    broker = str(settings.broker_url)
    if url is None and settings.jobs == "celery" and broker.startswith(("redis://", "rediss://")):
        url = broker
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def poll_limiter(settings: Any) -> PollLimiter | RedisPollLimiter:
    """The limiter for ``settings``: shared through Redis when there is one, else per process."""
    client = shared_redis(settings)
    if client is None:
        return PollLimiter(settings.poll_min_interval_s)
    return RedisPollLimiter(client, settings.poll_min_interval_s, settings.queue_prefix)
