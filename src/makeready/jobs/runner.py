"""The embedded job runner: a pool of worker threads inside ``makeready serve``.

Each thread runs its job in a child process of its own (:mod:`makeready.jobs.isolation`): a
crash or an out-of-memory in native geometry code ends that job as ``job.crashed``, a job over
its time limit is stopped (``job.timeout``), and the server goes on serving. ``isolation=
"thread"`` runs the task in the thread itself (debugging; tasks that are closures).

Workers take jobs from the job table (:mod:`makeready.jobs.queue`), so whatever was queued or
running when the process stopped is still there when it starts again: a clean stop hands its
running jobs back at once; after a crash (kill -9, out of memory) their leases run out and the
next runner retries them, at most ``job_max_attempts`` times. Each running job renews its
lease from a thread of its own (:class:`~makeready.jobs.execute.LeaseKeeper`), so a task that
computes for minutes without reporting progress is not mistaken for a dead one; a heartbeat
thread recovers the expired leases of dead processes.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Literal, Protocol

import structlog

from makeready.jobs import queue
from makeready.jobs.context import Task
from makeready.jobs.execute import Outcome, RunResult, execute
from makeready.jobs.isolation import check_picklable, run_isolated
from makeready.settings import Settings
from makeready.store.blobs import BlobStore
from makeready.store.db import Database
from makeready.store.models import Job

__all__ = ["EmbeddedRunner", "JobRunner", "worker_name"]

_log = structlog.get_logger("makeready.jobs")


def worker_name() -> str:
    """A name unique to this process and start: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobRunner(Protocol):
    """What the service needs of whatever runs its jobs."""

    def start(self) -> None:
        """Begin running (or dispatching) jobs."""
        ...

    def submit(self, job_id: str, kind: str) -> None:
        """A job was queued in the job table; see that it runs."""
        ...

    def stop(self, timeout: float = 5.0) -> None:
        """Stop; jobs not finished stay in the table for the next start."""
        ...

    @property
    def healthy(self) -> bool:
        """Whether jobs can run."""
        ...

    def describe(self) -> str:
        """How jobs run, for logs."""
        ...


class EmbeddedRunner:
    """Worker threads fed from the job table.

    Parameters
    ----------
    db, blobs, settings
        Where jobs and their data live; ``settings.workers`` threads run jobs.
    tasks : mapping
        Job kind → task function (default: :data:`makeready.jobs.tasks.TASKS`).
    isolation : {"process", "thread"}, optional
        A child process per job, or the worker thread itself (default:
        ``settings.job_isolation``). Process isolation needs importable task functions.

    """

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        settings: Settings,
        tasks: Mapping[str, Task] | None = None,
        *,
        isolation: Literal["process", "thread"] | None = None,
    ) -> None:
        if tasks is None:
            from makeready.jobs.tasks import TASKS

            tasks = TASKS
        self.db, self.blobs, self.settings, self.tasks = db, blobs, settings, dict(tasks)
        self.isolation = isolation or settings.job_isolation
        if self.isolation == "process":
            check_picklable(self.tasks)
        self.name = worker_name()
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []
        self.completed = 0

    def start(self) -> None:
        """Recover jobs a dead process left behind, then start the workers and the heartbeat."""
        self._recover()
        for i in range(self.settings.workers):
            thread = threading.Thread(target=self._work, name=f"makeready-worker-{i}", daemon=True)
            thread.start()
            self._threads.append(thread)
        beat = threading.Thread(target=self._heartbeat, name="makeready-heartbeat", daemon=True)
        beat.start()
        self._threads.append(beat)

    def notify(self) -> None:
        """Wake an idle worker now (a job was just queued in this process)."""
        with self._wake:
            self._wake.notify()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs and hand running ones back to the queue for the next start."""
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        released = queue.release(self.db, self.name)
        if released:
            _log.info("jobs released for the next start", count=released, worker=self.name)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    @property
    def healthy(self) -> bool:
        """Whether every worker and the heartbeat are alive."""
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def submit(self, job_id: str, kind: str) -> None:
        """A job was queued: wake an idle worker (the job table is the queue)."""
        self.notify()

    def describe(self) -> str:
        """How jobs run, for logs and ``/readyz``."""
        if self.isolation == "process":
            return f"embedded ({self.settings.workers} workers, a process per job)"
        return f"embedded ({self.settings.workers} threads)"

    def _recover(self) -> None:
        requeued, failed = queue.recover_expired(self.db)
        if requeued or failed:
            _log.warning("expired jobs recovered", requeued=len(requeued), failed=failed)
            self.notify()

    def _heartbeat(self) -> None:
        period = max(0.2, self.settings.job_lease_s / 3.0)
        while not self._stop.wait(period):
            try:
                self._recover()
            except Exception:  # the database may be away for a moment; try again next beat
                _log.exception("heartbeat failed")

    def _run(self, job: Job) -> RunResult:
        if self.isolation == "process":
            return run_isolated(
                self.settings, self.tasks[job.kind], job, self.name, db=self.db, stopping=self._stop.is_set
            )
        return execute(
            self.db, self.blobs, self.settings, self.tasks, job, self.name, stopping=self._stop.is_set
        )

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                job = queue.claim(self.db, self.name, self.settings.job_lease_s, self.tasks)
            except Exception:
                _log.exception("claiming a job failed")
                job = None
            if job is None:
                with self._wake:
                    self._wake.wait(0.5)
                continue
            if self._stop.is_set():  # claimed while stopping: hand it straight back
                queue.release(self.db, self.name)
                return
            outcome = self._run(job)
            if outcome.outcome is Outcome.DONE:
                self.completed += 1
