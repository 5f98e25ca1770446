"""The embedded job runner: a pool of worker threads inside ``makeready serve``.

Workers take jobs from the job table (:mod:`makeready.jobs.queue`), so whatever was queued or
running when the process stopped is still there when it starts again: a clean stop hands its
running jobs back at once; after a crash (kill -9, out of memory) their leases run out and the
next runner retries them, at most ``job_max_attempts`` times. A heartbeat thread renews the
leases of running jobs and recovers expired ones, so a task that computes for minutes without
reporting progress is not mistaken for a dead one.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Mapping

import structlog

from makeready.errors import MakereadyError
from makeready.jobs import queue
from makeready.jobs.context import Task, TaskContext
from makeready.jsonsafe import json_ready
from makeready.settings import Settings
from makeready.store.blobs import LocalBlobStore
from makeready.store.db import Database

__all__ = ["EmbeddedRunner"]

_log = structlog.get_logger("makeready.jobs")
_PROGRESS_EVERY_S = 0.25


class EmbeddedRunner:
    """Worker threads fed from the job table.

    Parameters
    ----------
    db, blobs, settings
        Where jobs and their data live; ``settings.workers`` threads run jobs.
    tasks : mapping
        Job kind → task function (default: :data:`makeready.jobs.tasks.TASKS`).

    """

    def __init__(
        self,
        db: Database,
        blobs: LocalBlobStore,
        settings: Settings,
        tasks: Mapping[str, Task] | None = None,
    ) -> None:
        if tasks is None:
            from makeready.jobs.tasks import TASKS

            tasks = TASKS
        self.db, self.blobs, self.settings, self.tasks = db, blobs, settings, dict(tasks)
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._wake = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._running: dict[str, str] = {}  # job id -> kind, for the heartbeat
        self._lock = threading.Lock()
        self.completed = 0

    def start(self) -> None:
        """Recover jobs a dead process left behind, then start the workers and the heartbeat."""
        queue.recover_expired(self.db)
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

    def _heartbeat(self) -> None:
        period = max(0.2, self.settings.job_lease_s / 3.0)
        while not self._stop.wait(period):
            try:
                with self._lock:
                    running = list(self._running)
                queue.renew(self.db, self.name, running, self.settings.job_lease_s)
                requeued, failed = queue.recover_expired(self.db)
                if requeued or failed:
                    _log.warning("expired jobs recovered", requeued=requeued, failed=failed)
                    self.notify()
            except Exception:  # the database may be away for a moment; try again next beat
                _log.exception("heartbeat failed")

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
            self._run(job.id, job.kind, job.owner, dict(job.payload), job.attempts)

    def _run(self, job_id: str, kind: str, owner: str, payload: dict[str, object], attempt: int) -> None:
        last = [0.0]

        def progress(fraction: float, stage: str) -> None:
            now = time.monotonic()
            if now - last[0] >= _PROGRESS_EVERY_S or fraction >= 1.0:
                last[0] = now
                queue.set_progress(self.db, job_id, self.name, fraction, stage)

        context = TaskContext(self.db, self.blobs, self.settings, job_id, owner, progress)
        log = _log.bind(job=job_id, kind=kind, owner=owner, attempt=attempt)
        with self._lock:
            self._running[job_id] = kind
        started = time.perf_counter()
        try:
            log.info("job started")
            result = self.tasks[kind](context, payload)
            if self._stop.is_set():
                return  # handed back on stop; the next start runs it again
            queue.finish(self.db, job_id, self.name, result)
            self.completed += 1
            log.info("job done", seconds=round(time.perf_counter() - started, 3))
        except MakereadyError as exc:  # unusable input: the same input fails again, so no retry
            error = queue.error_body(exc.code, exc.message, details=json_ready(exc.details))
            queue.fail(self.db, job_id, self.name, error, retry=False)
            log.info("job refused its input", code=exc.code, message=exc.message)
        except Exception as exc:  # a bug or a transient failure: retried up to max_attempts
            reason = f"{type(exc).__name__}: {exc}"
            error = queue.error_body("job.failed", reason)
            status = queue.fail(self.db, job_id, self.name, error, retry=True)
            # The traceback goes to the log (with the error_id), not to the client.
            log.error(
                "job failed",
                reason=reason,
                next=status,
                error_id=error["error_id"],
                traceback=traceback.format_exc(limit=12),
            )
        finally:
            with self._lock:
                self._running.pop(job_id, None)
