"""Running one claimed job: the same code for the embedded threads and the Celery workers.

:func:`execute` builds the task's context, keeps the job's lease alive while the task runs,
makes the ids of everything the task writes deterministic (a second run of the same job
merges into the same rows, so a job leaves one result however often it ran), records the
outcome in the job row, and logs it. Failures are classified once, here:

* :class:`~makeready.errors.MakereadyError` — unusable input; the same input fails again, so
  the job ends in ``error`` with the error's code at once;
* a time-limit exception (Celery's soft limit) — ``job.timeout``, no retry;
* :class:`MemoryError` (an isolated job's memory limit, :mod:`makeready.jobs.isolation`) —
  ``job.crashed``, no retry: the same input needs the same memory again;
* anything else — a bug or a transient failure (database restarting, storage unreachable);
  the job goes back to the queue until ``max_attempts`` runs are spent, then ``job.failed``.
"""

from __future__ import annotations

import enum
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import structlog

from makeready.errors import MakereadyError
from makeready.jobs import queue
from makeready.jobs.context import Task, TaskContext
from makeready.jsonsafe import json_ready
from makeready.progress import Stage
from makeready.settings import Settings
from makeready.store.blobs import BlobStore
from makeready.store.db import Database
from makeready.store.models import Job
from makeready.store.resources import deterministic_ids

__all__ = ["LeaseKeeper", "Outcome", "RunResult", "execute", "timeout_error"]

_log = structlog.get_logger("makeready.jobs")
_PROGRESS_EVERY_S = 0.25


class Outcome(enum.Enum):
    """How one run of a job ended."""

    DONE = "done"
    REFUSED = "refused"  # unusable input: error, no retry
    TIMEOUT = "timeout"  # over its time limit: error, no retry
    CRASHED = "crashed"  # out of memory or a crash in native code: error, no retry
    RETRY = "retry"  # failed; queued again for another attempt
    FAILED = "failed"  # failed and out of attempts
    LOST = "lost"  # the job stopped being this worker's (lease taken over, deleted, stopping)


class LeaseKeeper:
    """Renews a worker's lease on one job every ``lease_s / 3`` seconds while it runs."""

    def __init__(self, db: Database, worker: str, job_id: str, lease_s: float) -> None:
        self.db, self.worker, self.job_id, self.lease_s = db, worker, job_id, lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"lease-{job_id[:8]}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5.0)

    def _beat(self) -> None:
        while not self._stop.wait(max(0.2, self.lease_s / 3.0)):
            try:
                queue.renew(self.db, self.worker, [self.job_id], self.lease_s)
            except Exception:  # the database may be away for a moment; the next beat tries again
                _log.warning("lease renewal failed", job=self.job_id, exc_info=True)


@dataclass(frozen=True, slots=True)
class RunResult:
    """What :func:`execute` reports back: the outcome and, for RETRY, the attempt that failed."""

    outcome: Outcome
    attempt: int


def timeout_error(limit_s: float) -> dict[str, Any]:
    """The ``job.timeout`` error of a job stopped at its time limit (seconds), however it was stopped."""
    return queue.error_body("job.timeout", f"the job ran longer than its {limit_s:g} s time limit")


def execute(
    db: Database,
    blobs: BlobStore,
    settings: Settings,
    tasks: Mapping[str, Task],
    job: Job,
    worker: str,
    *,
    stopping: Callable[[], bool] = lambda: False,
    timeout_errors: tuple[type[BaseException], ...] = (),
    keep_lease: bool = True,
    memory_limit_mb: int = 0,
) -> RunResult:
    """Run a job this ``worker`` has claimed and record how it ended.

    Parameters
    ----------
    db, blobs, settings
        The stores and configuration.
    tasks : mapping
        Job kind → task function.
    job : Job
        The claimed job row (status ``running``, ``worker`` = this worker).
    worker : str
        The worker's name, as used to claim the job.
    stopping : callable
        True once the runner is shutting down: a result computed then is dropped (the job
        was handed back and runs again at the next start).
    timeout_errors : tuple of exception types
        Exceptions that mean the task ran over its time limit.
    keep_lease : bool
        Renew the job's lease while the task runs (False: the caller renews it, as the parent
        of an isolated job does, so a child stuck in native code does not lose its lease).
    memory_limit_mb : int
        The memory limit the task runs under, MiB (0: none); named in the error when it is hit.

    """
    last = [0.0]
    job_id, kind, attempt = job.id, job.kind, job.attempts

    def progress(fraction: float, stage: Stage) -> None:
        now = time.monotonic()
        if now - last[0] >= _PROGRESS_EVERY_S or fraction >= 1.0:
            last[0] = now
            queue.set_progress(db, job_id, worker, fraction, str(stage))

    context = TaskContext(db, blobs, settings, job_id, job.owner, progress, worker)
    log = _log.bind(job=job_id, kind=kind, owner=job.owner, attempt=attempt, worker=worker)
    started = time.perf_counter()
    try:
        log.info("job started")
        lease: AbstractContextManager[object] = (
            LeaseKeeper(db, worker, job_id, settings.job_lease_s) if keep_lease else nullcontext()
        )
        with lease, deterministic_ids(job_id):
            result = tasks[kind](context, dict(job.payload))
        if stopping():
            return RunResult(Outcome.LOST, attempt)
        if not queue.finish(db, job_id, worker, result):
            log.warning("job result dropped: the job is no longer this worker's")
            return RunResult(Outcome.LOST, attempt)
        log.info("job done", seconds=round(time.perf_counter() - started, 3))
        return RunResult(Outcome.DONE, attempt)
    except MakereadyError as exc:
        error = queue.error_body(exc.code, exc.message, details=json_ready(exc.details))
        queue.fail(db, job_id, worker, error, retry=False)
        log.info("job refused its input", code=exc.code, message=exc.message)
        return RunResult(Outcome.REFUSED, attempt)
    except timeout_errors:
        limit = settings.time_limit_for(kind)
        queue.fail(db, job_id, worker, timeout_error(limit), retry=False)
        log.error("job timed out", limit_s=limit)
        return RunResult(Outcome.TIMEOUT, attempt)
    except MemoryError:
        within = f" of its {memory_limit_mb:,} MiB limit" if memory_limit_mb else ""
        error = queue.error_body("job.crashed", f"the job ran out of memory{within}")
        queue.fail(db, job_id, worker, error, retry=False)
        log.error("job ran out of memory", limit_mb=memory_limit_mb or None)
        return RunResult(Outcome.CRASHED, attempt)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"
        error = queue.error_body("job.failed", reason)
        status = queue.fail(db, job_id, worker, error, retry=True)
        # The traceback goes to the log (with the error_id), not to the client.
        log.error(
            "job failed",
            reason=reason,
            next=status or "lost",
            error_id=error["error_id"],
            traceback=traceback.format_exc(limit=12),
        )
        outcome = {"queued": Outcome.RETRY, "error": Outcome.FAILED}.get(status, Outcome.LOST)
        return RunResult(outcome, attempt)
