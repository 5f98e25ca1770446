"""The live objects one service process shares between requests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from makeready.jobs import queue
from makeready.jobs.runner import JobRunner
from makeready.service.pollcache import RecentCache, RedisRecentCache
from makeready.service.ratelimit import PollLimiter, RedisPollLimiter
from makeready.service.tokens import KeyRing
from makeready.settings import Settings
from makeready.store.blobs import BlobStore
from makeready.store.db import Database
from makeready.store.models import Job

__all__ = ["Services"]


@dataclass
class Services:
    """Settings, stores, keys, the job runner (None when jobs run elsewhere) and the poll limiter."""

    settings: Settings
    db: Database
    blobs: BlobStore
    keys: KeyRing
    limiter: PollLimiter | RedisPollLimiter
    runner: JobRunner | None = None
    polls: RecentCache[Any] | RedisRecentCache = field(default_factory=RecentCache)
    started: float = field(default=0.0)

    def enqueue(self, owner: str, kind: str, payload: dict[str, Any], *, dispatch: bool = True) -> Job:
        """Queue a job in the table (committed) and, unless ``dispatch`` is False, hand it over.

        Pass ``dispatch=False`` when rows the job reads are committed afterwards, and call
        :meth:`dispatch` then: a Celery worker may start the job the moment it is sent.
        """
        job = queue.enqueue(
            self.db, owner=owner, kind=kind, payload=payload, max_attempts=self.settings.job_max_attempts
        )
        if dispatch:
            self.dispatch(job)
        return job

    def dispatch(self, job: Job) -> None:
        """Hand a queued job to the runner (embedded threads or the Celery broker)."""
        if self.runner is not None:
            self.runner.submit(job.id, job.kind)
