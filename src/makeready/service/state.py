"""The live objects one service process shares between requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from makeready.jobs.runner import EmbeddedRunner
from makeready.service.pollcache import RecentCache
from makeready.service.ratelimit import PollLimiter
from makeready.service.tokens import KeyRing
from makeready.settings import Settings
from makeready.store.blobs import LocalBlobStore
from makeready.store.db import Database

__all__ = ["Services"]


@dataclass
class Services:
    """Settings, stores, keys, the job runner (None when jobs run elsewhere) and the poll limiter."""

    settings: Settings
    db: Database
    blobs: LocalBlobStore
    keys: KeyRing
    limiter: PollLimiter
    runner: EmbeddedRunner | None = None
    polls: RecentCache[Any] = field(default_factory=RecentCache)
    started: float = field(default=0.0)
