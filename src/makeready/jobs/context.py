"""What a task function gets: the stores, the settings, its job and a progress sink."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from makeready.progress import Progress
from makeready.settings import Settings
from makeready.store.blobs import BlobStore
from makeready.store.db import Database

__all__ = ["Task", "TaskContext"]


@dataclass(frozen=True, slots=True)
class TaskContext:
    """One running job's view of the world.

    Attributes
    ----------
    db, blobs, settings
        The stores and configuration.
    job_id, owner : str
        The job and the owner every resource it touches must belong to.
    progress : callable
        ``progress(fraction, stage)`` (:mod:`makeready.progress`), fraction 0..1; cheap to call
        often (writes are throttled).

    """

    db: Database
    blobs: BlobStore
    settings: Settings
    job_id: str
    owner: str
    progress: Progress
    #: The worker running the job (its lease holder).
    worker: str = ""

    def holds_job(self, session: Session) -> bool:
        """Whether this job is still this worker's, claimed in ``session``'s transaction.

        A task writes its results in the same session after this check, so a job whose lease
        ran out (its worker starved or cut off) cannot overwrite what another attempt wrote.
        """
        from makeready.jobs.queue import holds

        return holds(session, self.job_id, self.worker)


#: A task function: payload in, JSON-ready result out; MakereadyError for unusable input.
Task = Callable[[TaskContext, dict[str, Any]], dict[str, Any]]
