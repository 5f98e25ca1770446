"""Jobs on Celery workers: ``MAKEREADY_JOBS=celery`` and ``makeready worker``.

The job table stays the single source of truth — status, progress, attempts, results — exactly
as in the embedded mode, and the same task functions run (:func:`~makeready.jobs.execute.
execute`). The broker only carries wake-up calls: a message ``makeready.run_job(job_id)`` on
the job kind's queue. That split is what makes the scaled mode lose nothing:

* messages are acknowledged late and rejected back to the queue when a worker process dies
  (``task_acks_late``, ``task_reject_on_worker_lost``), and a message may arrive twice; the
  worker claims the job with a compare-and-set on its row, so only one delivery runs it;
* a worker killed outright stops renewing its job's lease; a sweeper thread (in every API
  process and every worker) puts expired jobs back in the queue and sends them again, and
  sends again any queued job no worker took for ``job_redispatch_s`` — its message may have
  died with a worker that held it, or with a Redis that keeps nothing on disk;
* tasks write their new rows under ids derived from the job id, so a job run twice leaves
  one result;
* transient failures (the database or the storage away for a moment) are retried with
  exponential backoff; each task has a soft time limit (``job.timeout``) and a hard one.
"""

from __future__ import annotations

import os
import random
import threading
from dataclasses import dataclass
from typing import Any

import structlog
from celery import Celery, signals
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import InterfaceError, OperationalError

from makeready.jobs import queue
from makeready.jobs.context import Task
from makeready.jobs.execute import Outcome, execute
from makeready.jobs.runner import worker_name
from makeready.settings import Settings
from makeready.store.blobs import BlobStore
from makeready.store.connect import open_blobs, open_database
from makeready.store.db import Database

__all__ = ["RUN_JOB", "CeleryDispatcher", "celery_app", "dispatch"]

_log = structlog.get_logger("makeready.jobs")

#: The one Celery task name; its argument is a job id.
RUN_JOB = "makeready.run_job"
_HARD_LIMIT_GRACE_S = 30.0
_TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


def celery_app(settings: Settings) -> Celery:
    """The Celery application for ``settings`` (broker, queues, reliability options)."""
    app = Celery("makeready", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,  # a message leaves the broker only after its job ran
        task_reject_on_worker_lost=True,  # a worker process killed mid-job hands its message back
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=settings.worker_prefetch,
        task_ignore_result=True,  # results live in the job table
        task_default_queue=f"{settings.queue_prefix}.default",
        task_create_missing_queues=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # a worker waits for its broker to come back
        broker_transport_options={
            # Redis redelivers unacknowledged messages after this; the sweeper is the faster
            # path, this is the broker's own safety net.
            "visibility_timeout": max(3600.0, 2 * settings.job_time_limit_s),
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_enable_remote_control=False,  # no pidbox queues: fewer keys, no broadcast traffic
    )
    app.task(name=RUN_JOB, bind=True, acks_late=True, ignore_result=True)(_run_job)
    return app


@dataclass
class _Runtime:
    """One worker process's stores (created after the fork, never shared across processes)."""

    settings: Settings
    db: Database
    blobs: BlobStore
    tasks: dict[str, Task]
    worker: str
    pid: int


_runtime: _Runtime | None = None
_runtime_lock = threading.Lock()


def _process_runtime() -> _Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is None or _runtime.pid != os.getpid():
            if _runtime is not None:  # inherited over fork: drop without closing the parent's sockets
                _runtime.db.engine.dispose(close=False)
            from makeready.jobs.tasks import TASKS

            settings = Settings()
            _runtime = _Runtime(
                settings, open_database(settings), open_blobs(settings), TASKS, worker_name(), os.getpid()
            )
        return _runtime


def _backoff(settings: Settings, attempt: int) -> float:
    """Seconds before retry ``attempt`` + 1: doubling from ``job_retry_backoff_s``, ±25 % jitter."""
    base = settings.job_retry_backoff_s * 2 ** max(0, attempt - 1)
    return float(min(300.0, base) * random.uniform(0.75, 1.25))


def _run_job(self: Any, job_id: str) -> str:
    """Claim job ``job_id`` if it is still queued, run it, record the outcome."""
    rt = _process_runtime()
    try:
        job = queue.claim_id(rt.db, job_id, rt.worker, rt.settings.job_lease_s)
    except _TRANSIENT as exc:  # database away: try this message again later
        delay = _backoff(rt.settings, self.request.retries + 1)
        raise self.retry(exc=exc, countdown=delay, max_retries=20) from exc
    if job is None:
        return "not queued"  # run by another delivery, finished, or deleted
    result = execute(
        rt.db, rt.blobs, rt.settings, rt.tasks, job, rt.worker, timeout_errors=(SoftTimeLimitExceeded,)
    )
    if result.outcome is Outcome.RETRY:
        # queued again in the table; this message carries the delayed retry
        raise self.retry(countdown=_backoff(rt.settings, result.attempt), max_retries=None)
    return str(result.outcome.value)


def dispatch(app: Celery, settings: Settings, job_id: str, kind: str) -> bool:
    """Send the message that runs ``job_id``; False (logged) when the broker is unreachable.

    A job whose message could not be sent stays queued in the table; the sweeper sends it
    again, so an upload never fails because the broker is restarting.
    """
    soft = settings.time_limit_for(kind)
    try:
        app.send_task(
            RUN_JOB,
            args=[job_id],
            queue=settings.queue_for(kind),
            soft_time_limit=round(soft),
            time_limit=round(soft + _HARD_LIMIT_GRACE_S),
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1.0},
        )
    except Exception as exc:  # broker down: the sweeper redispatches the queued job
        _log.warning("job not sent to the broker; it will be sent again", job=job_id, reason=repr(exc))
        return False
    return True


class CeleryDispatcher:
    """The job runner of an API process (and the sweeper of a worker) in the Celery mode.

    Parameters
    ----------
    db, settings
        The shared database and the configuration (broker, queues, lease, redispatch).
    app : Celery, optional
        The Celery application (default: :func:`celery_app` of ``settings``).

    """

    def __init__(self, db: Database, settings: Settings, app: Celery | None = None) -> None:
        self.db, self.settings = db, settings
        self.app = app or celery_app(settings)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.swept = 0

    def start(self) -> None:
        """Start the sweeper thread."""
        self._thread = threading.Thread(target=self._sweep_forever, name="makeready-sweeper", daemon=True)
        self._thread.start()

    def submit(self, job_id: str, kind: str) -> None:
        """Send a newly queued job to its queue."""
        dispatch(self.app, self.settings, job_id, kind)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the sweeper (queued and running jobs belong to the workers)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def healthy(self) -> bool:
        """Whether the sweeper runs."""
        return self._thread is not None and self._thread.is_alive()

    def describe(self) -> str:
        """The broker (without credentials) and the queues."""
        broker = self.app.connection().as_uri()  # as_uri() masks the password
        return f"celery via {broker} on {', '.join(self.settings.queues)}"

    def sweep(self) -> int:
        """Requeue jobs of dead workers and resend stale queued ones; returns how many were sent."""
        requeued, failed = queue.recover_expired(self.db)
        stale = queue.due_for_redispatch(self.db, self.settings.job_redispatch_s)
        if requeued or failed or stale:
            _log.warning("jobs recovered", requeued=len(requeued), failed=failed, resent=len(stale))
        sent = 0
        for job_id, kind in [*requeued, *stale]:
            sent += dispatch(self.app, self.settings, job_id, kind)
        self.swept += sent
        return sent

    def _sweep_forever(self) -> None:
        period = max(0.5, min(self.settings.job_lease_s, self.settings.job_redispatch_s) / 3.0)
        while not self._stop.wait(period):
            try:
                self.sweep()
            except Exception:  # the database may be restarting; the next round tries again
                _log.warning("sweep failed", exc_info=True)


# --- the worker process (``makeready worker``) -------------------------------------------

_worker_sweeper: CeleryDispatcher | None = None


@signals.worker_ready.connect
def _start_sweeper(**_: Any) -> None:
    """Every worker also sweeps, so recovery goes on while no API process runs."""
    global _worker_sweeper
    settings = Settings()
    if settings.jobs != "celery":
        return
    _worker_sweeper = CeleryDispatcher(open_database(settings), settings)
    _worker_sweeper.start()


@signals.worker_shutdown.connect
def _stop_sweeper(**_: Any) -> None:
    if _worker_sweeper is not None:
        _worker_sweeper.stop()
        _worker_sweeper.db.dispose()
