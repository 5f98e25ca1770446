"""Running one embedded job in a child process of its own, under a time and a memory limit.

Geometry jobs run native code (OpenCascade, Embree, manifold, numpy) on files strangers send.
In a thread of the API process, a segfault there, or an allocation that takes the machine's
memory, would take the whole server down with every request in flight, and a job that loops
could not be stopped. Here each job runs in a child forked from a *fork server* that has the
task code imported already (``multiprocessing``'s ``forkserver`` start method: a clean,
single-threaded process, so a fork costs milliseconds and inherits no locks of the server's
threads). The worker thread that claimed the job:

* keeps the job's lease alive while the child lives (a child stuck in native code keeps it);
* stops the child at the job kind's time limit (``job.timeout``, no retry);
* reads how the child ended. The child itself records done, refused and failed jobs exactly as
  a thread would (:func:`~makeready.jobs.execute.execute`), and a :class:`MemoryError` under its
  address-space limit as ``job.crashed``. A child killed by a signal did not record anything:

  - SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE — a crash in native code on this input: the same
    input crashes again, so the job ends at once in ``job.crashed`` with the signal's name;
  - SIGKILL and the rest — the system's out-of-memory killer or an operator: it may pass on
    another attempt, so the job is retried until ``job_max_attempts``, then ``job.crashed``.

The memory limit is ``RLIMIT_AS``, set in the child as the task starts to the address space the
process holds then (the imported code, shared with every child, and its database connection)
plus the kind's limit, and lifted as the task ends. The fork server imports the task code and
warms it (:mod:`makeready.jobs.warm`), so a job's process starts in milliseconds.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.context
import os
import pickle
import resource
import signal
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

import structlog

from makeready.jobs import queue
from makeready.jobs.context import Task, TaskContext
from makeready.jobs.execute import LeaseKeeper, Outcome, RunResult, execute, timeout_error
from makeready.settings import Settings
from makeready.store.db import Database
from makeready.store.models import Job

__all__ = ["CRASH_SIGNALS", "check_picklable", "run_isolated"]

_log = structlog.get_logger("makeready.jobs")

#: Signals that mean the child crashed on its input (no retry); any other signal is retried.
CRASH_SIGNALS = frozenset({signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGILL, signal.SIGFPE})

#: The child's exit status for each way :func:`execute` can end: 64 and up, clear of 1 (an
#: exception Python did not catch) and of the statuses of ``sys.exit`` calls in libraries.
_EXIT_STATUS = {outcome: 64 + index for index, outcome in enumerate(Outcome)}
_OUTCOME_OF_STATUS = {status: outcome for outcome, status in _EXIT_STATUS.items()}

#: How often the worker thread looks at its child (stop requests, time limit), seconds.
_WATCH_S = 0.1
#: After SIGTERM, how long a child may take to go before SIGKILL, seconds.
_TERM_GRACE_S = 1.0
#: Modules the fork server imports once, so each child starts with the task code loaded.
#: ``__main__`` (the server's script, e.g. the ``makeready`` console script): without it every
#: job's process would run that script again as ``__mp_main__`` (multiprocessing's preparation of
#: a child), importing the CLI each time; preloaded, the children find it done.
_PRELOAD = ["__main__", "makeready.jobs.tasks", "makeready.jobs.warm"]
_MIB = 1 << 20

_context: multiprocessing.context.BaseContext | None = None


def _fork_server() -> multiprocessing.context.BaseContext:
    """The process context children are made in: a fork server where the platform has one."""
    global _context
    if _context is None:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if isinstance(context, multiprocessing.context.ForkServerContext):
            context.set_forkserver_preload(_PRELOAD)
        _context = context
    return _context


def check_picklable(tasks: Mapping[str, Task]) -> None:
    """Raise ValueError for a task a child process cannot import (a closure, a lambda)."""
    for kind, task in tasks.items():
        try:
            pickle.dumps(task)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise ValueError(
                f"task {kind!r} cannot run in a child process ({exc}); define it at module level,"
                " or run the jobs with isolation='thread'"
            ) from exc


def run_isolated(
    settings: Settings,
    task: Task,
    job: Job,
    worker: str,
    *,
    db: Database,
    stopping: Callable[[], bool] = lambda: False,
) -> RunResult:
    """Run a job this ``worker`` has claimed in a child process and record how it ended.

    Parameters
    ----------
    settings : Settings
        Configuration; the child opens its own database and blob store from it.
    task : callable
        The job kind's task function (importable: it is sent to the child by name).
    job : Job
        The claimed job row.
    worker : str
        The name the job was claimed under (the child records the outcome under it).
    db : Database
        The parent's database, for the lease and for outcomes the child could not record.
    stopping : callable
        True once the runner is stopping: the child is stopped (the job was handed back).

    """
    kind, job_id, attempt = job.kind, job.id, job.attempts
    time_limit_s = settings.time_limit_for(kind)
    memory_limit_mb = settings.memory_limit_for(kind)
    log = _log.bind(job=job_id, kind=kind, owner=job.owner, attempt=attempt, worker=worker)
    child = _fork_server().Process(  # type: ignore[attr-defined]
        target=_child_main,
        args=(settings, job_id, worker, kind, task, memory_limit_mb, os.getpid()),
        name=f"makeready-job-{job_id[:8]}",
    )
    with LeaseKeeper(db, worker, job_id, settings.job_lease_s):
        child.start()
        deadline = time.monotonic() + time_limit_s
        while child.exitcode is None:
            child.join(_WATCH_S)
            if child.exitcode is not None:
                break
            if stopping():
                _stop(child)
                return RunResult(Outcome.LOST, attempt)
            if time.monotonic() >= deadline:
                _stop(child)
                queue.fail(db, job_id, worker, timeout_error(time_limit_s), retry=False)
                log.error("job timed out; its process was stopped", limit_s=time_limit_s)
                return RunResult(Outcome.TIMEOUT, attempt)
    status = int(child.exitcode)
    child.close()
    if status in _OUTCOME_OF_STATUS:
        return RunResult(_OUTCOME_OF_STATUS[status], attempt)
    return _record_death(db, job_id, worker, attempt, status, memory_limit_mb, log)


def _record_death(
    db: Database, job_id: str, worker: str, attempt: int, status: int, memory_limit_mb: int, log: Any
) -> RunResult:
    """The child ended without recording an outcome: a signal, or an error before the task ran."""
    if status < 0:
        sig = signal.Signals(-status)
        crash = sig in CRASH_SIGNALS
        if crash:
            within = f", or its {memory_limit_mb:,} MiB memory limit reached there" if memory_limit_mb else ""
            reason = f"the job's process crashed ({sig.name}: a fault in native code on this input{within})"
        else:
            reason = (
                f"the job's process was killed ({sig.name}: the system's out-of-memory killer or an operator)"
            )
        error = queue.error_body("job.crashed", reason)
        retry = not crash
    else:  # the child could not set up (database or storage away): transient, try again
        reason = f"the job's process exited with status {status} before recording an outcome (see the log)"
        error = queue.error_body("job.failed", reason)
        retry = True
    next_status = queue.fail(db, job_id, worker, error, retry=retry)
    log.error("job process died", reason=reason, next=next_status or "lost", error_id=error["error_id"])
    outcome = {"queued": Outcome.RETRY, "error": Outcome.CRASHED if status < 0 else Outcome.FAILED}
    return RunResult(outcome.get(next_status, Outcome.LOST), attempt)


def _stop(child: Any) -> None:
    """SIGTERM the child, SIGKILL it if it is still there after a grace period; reap it."""
    child.terminate()
    child.join(_TERM_GRACE_S)
    if child.exitcode is None:
        child.kill()
        child.join()
    child.close()


# --- in the child ---------------------------------------------------------------------------------


def _child_main(
    settings: Settings,
    job_id: str,
    worker: str,
    kind: str,
    task: Task,
    memory_limit_mb: int,
    server_pid: int,
) -> None:
    """Entry point of a job's process: limits, own stores, run the job, exit with its outcome."""
    _die_with_parent()
    _die_with_server(server_pid)
    from makeready.logs import configure_logging
    from makeready.store.connect import open_blobs, open_database

    configure_logging(settings.log_format, settings.log_level)
    log = _log.bind(job=job_id, kind=kind, worker=worker, pid=os.getpid())
    db = open_database(settings)
    try:
        with db.session() as session:
            job = session.get(Job, job_id)
            if job is not None:
                session.expunge(job)
        if job is None or job.worker != worker or job.status != "running":
            log.warning(
                "job process found the job no longer its worker's",
                found=None if job is None else (job.status, job.worker),
                database=settings.sqlalchemy_url,
            )
            sys.exit(_EXIT_STATUS[Outcome.LOST])
        result = execute(
            db,
            open_blobs(settings),
            settings,
            {kind: _limited(task, memory_limit_mb * _MIB)},
            job,
            worker,
            keep_lease=False,
            memory_limit_mb=memory_limit_mb,
        )
    except Exception:  # setting up failed (database or storage away): the parent retries the job
        log.exception("job process failed before recording an outcome")
        sys.exit(1)
    # No db.dispose(): the process ends with os._exit (multiprocessing's), its connections
    # unclosed. Closing the last connection to a SQLite database checkpoints and deletes the WAL
    # file, and SQLite decides "last" by POSIX locks, which a process loses on closing any file
    # descriptor of the database; a server that did so would go on writing to a deleted WAL.
    sys.exit(_EXIT_STATUS[result.outcome])


def _limited(task: Task, extra_bytes: int) -> Task:
    """``task`` under an address-space limit: what the process holds as it starts + ``extra_bytes``.

    The limit holds while the task runs and is lifted as it ends, so a :class:`MemoryError`
    reaches :func:`execute` with room to record it in the database.
    """
    if not extra_bytes:
        return task

    def run(context: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
        before = resource.getrlimit(resource.RLIMIT_AS)
        _limit_address_space(extra_bytes)
        try:
            return task(context, payload)
        finally:
            resource.setrlimit(resource.RLIMIT_AS, before)

    return run


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent (the fork server) goes.

    A fork server that is killed takes its job processes with it. The server process's own end
    is watched by :func:`_die_with_server`, so a job's process never outlives the server that
    would record its outcome; the job's lease then runs out and the next start retries it.
    """
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() == 1:  # the parent went before the request took effect
        os._exit(_EXIT_STATUS[Outcome.LOST])


def _die_with_server(server_pid: int) -> None:
    """End this process the moment the server process that holds its job's lease ends.

    The fork server cannot be relied on for that: ``multiprocessing`` hands every child the
    write end of the fork server's "parent alive" pipe, so while a job's process lives the fork
    server never sees the server go, and the job's process (asking to die with the fork server)
    ran on for seconds after a ``kill -9`` of the server and wrote its part's report after the
    job had been handed to another attempt (found 2026-12-04). A thread blocks on the server's
    pidfd (Linux >= 5.3) and exits the process when it becomes readable.
    """
    import select
    import threading

    try:
        pidfd = os.pidfd_open(server_pid)
    except ProcessLookupError:  # already gone
        os._exit(_EXIT_STATUS[Outcome.LOST])
    except (OSError, AttributeError):  # no pidfd (old kernel): poll the server's pid instead
        pidfd = None

    def watch() -> None:
        if pidfd is not None:
            select.select([pidfd], [], [])
        else:
            while _alive(server_pid):
                time.sleep(_WATCH_S)
        os._exit(_EXIT_STATUS[Outcome.LOST])

    threading.Thread(target=watch, name="makeready-job-watch-server", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _limit_address_space(extra_bytes: int) -> None:
    """Cap this process's address space at what it holds now plus ``extra_bytes``."""
    held = _address_space_bytes()
    if held is None:
        return
    soft = held + extra_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)  # an unprivileged process can only lower its hard limit
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _address_space_bytes() -> int | None:
    """The virtual memory size of this process (VmSize) in bytes, or None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None
