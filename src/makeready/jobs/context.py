"""What a task function gets: the stores, the settings, its job and a progress sink."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


#: A task function: payload in, JSON-ready result out; MakereadyError for unusable input.
Task = Callable[[TaskContext, dict[str, Any]], dict[str, Any]]
