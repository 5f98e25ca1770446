"""Polling limits: a client that asks for the same result too often is told when to come back.

3D Spark API asks clients to poll every 30 s and threatens to block those that do not. makeready
answers 429 with ``Retry-After`` (whole seconds) instead, per owner and resource, and keeps a
bounded table in memory (each API process limits on its own).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

from makeready.service.problems import ApiError

__all__ = ["PollLimiter"]


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
                wait = self.min_interval_s - (now - last)
                retry = max(1, math.ceil(wait))
                raise ApiError(
                    "request.rate_limited",
                    f"polled {now - last:.2f} s after the last poll; poll at most every "
                    f"{self.min_interval_s:g} s (retry in {retry} s)",
                    headers={"Retry-After": str(retry)},
                    retry_after=retry,
                )
            self._last[key] = now
            self._last.move_to_end(key)
            while len(self._last) > self.capacity:
                self._last.popitem(last=False)
