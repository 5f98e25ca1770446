"""The job table as a queue: enqueue, claim with a lease, heartbeat, finish, recover.

Claiming is an optimistic compare-and-set (``UPDATE … WHERE id = ? AND status = 'queued'``),
which is atomic on SQLite and PostgreSQL alike, so several workers — threads in
``makeready serve`` or separate processes — can share one table. A worker holds a job under a
lease it renews while it runs; a job whose lease ran out belongs to a worker that died (the
process was killed, the machine went away): :func:`recover_expired` puts it back in the queue,
or, after ``max_attempts`` tries, marks it ``error`` with the reason.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from makeready.store.db import Database
from makeready.store.models import Job, utcnow

__all__ = [
    "claim",
    "claim_id",
    "due_for_redispatch",
    "enqueue",
    "error_body",
    "fail",
    "finish",
    "holds",
    "recover_expired",
    "release",
    "renew",
    "set_progress",
    "task_json",
]


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """A 3D Print API task error ``{error_id, code, message}`` (plus any ``extra`` facts)."""
    return {"error_id": str(uuid.uuid4()), "code": code, "message": message, **extra}


def enqueue(db: Database, *, owner: str, kind: str, payload: dict[str, Any], max_attempts: int) -> Job:
    """Add a queued job and commit; returns the stored row."""
    now = utcnow()
    job = Job(
        id=str(uuid.uuid4()),
        owner=owner,
        kind=kind,
        payload=payload,
        status="queued",
        max_attempts=max_attempts,
        created_at=now,
        updated_at=now,
    )
    with db.session() as session:
        session.add(job)
        session.commit()
    return job


def _take(session: Session, job_id: str, worker: str, lease_s: float) -> bool:
    """Compare-and-set ``queued`` -> ``running`` for ``worker``; True when this call won."""
    now = utcnow()
    taken = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued")
        .values(
            status="running",
            worker=worker,
            progress=0.0,
            stage="",
            attempts=Job.attempts + 1,
            lease_until=now + dt.timedelta(seconds=lease_s),
            updated_at=now,
        )
    )
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def claim(db: Database, worker: str, lease_s: float, kinds: Iterable[str] | None = None) -> Job | None:
    """Take the oldest queued job (of ``kinds``) for ``worker``; None when the queue is empty."""
    allowed = list(kinds) if kinds is not None else None
    for _ in range(8):  # another worker may win a race for the same row; try the next one
        with db.session() as session:
            query = select(Job.id).where(Job.status == "queued").order_by(Job.created_at).limit(1)
            if allowed is not None:
                query = query.where(Job.kind.in_(allowed))
            job_id = session.scalar(query)
            if job_id is None:
                return None
            taken = _take(session, job_id, worker, lease_s)
            session.commit()
            if taken:
                return session.get(Job, job_id, populate_existing=True)
    return None


def renew(db: Database, worker: str, job_ids: Iterable[str], lease_s: float) -> None:
    """Extend the leases ``worker`` holds on ``job_ids``."""
    ids = list(job_ids)
    if not ids:
        return
    with db.session() as session:
        session.execute(
            update(Job)
            .where(Job.id.in_(ids), Job.worker == worker, Job.status == "running")
            .values(lease_until=utcnow() + dt.timedelta(seconds=lease_s))
        )
        session.commit()


def set_progress(db: Database, job_id: str, worker: str, progress: float, stage: str) -> None:
    """Record progress 0..1 and the stage name of a running job."""
    with db.session() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.worker == worker, Job.status == "running")
            .values(progress=min(max(progress, 0.0), 1.0), stage=stage[:64], updated_at=utcnow())
        )
        session.commit()


def holds(session: Session, job_id: str, worker: str) -> bool:
    """Whether ``worker`` still runs ``job_id``, claimed inside ``session``'s transaction.

    The job's row is written under that condition (its ``updated_at``), so the check holds the
    row's write lock until the session commits: a task that writes its results in the same
    transaction cannot land them after its lease ran out and the job went to another attempt
    (the database refuses one of the two).
    """
    claimed = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.worker == worker, Job.status == "running")
        .values(updated_at=utcnow())
    )
    return bool(getattr(claimed, "rowcount", 0) == 1)


def finish(db: Database, job_id: str, worker: str, result: dict[str, Any]) -> bool:
    """Mark a job done with its result; False when the job is no longer this worker's."""
    now = utcnow()
    with db.session() as session:
        done = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.worker == worker, Job.status == "running")
            .values(status="done", progress=1.0, result=result, updated_at=now, finished_at=now)
        )
        session.commit()
        return bool(done.rowcount == 1)  # type: ignore[attr-defined]


def fail(db: Database, job_id: str, worker: str, error: dict[str, Any], *, retry: bool) -> str:
    """Record a failed attempt: requeue when ``retry`` and attempts remain, else ``error``.

    Returns the job's new status (``"queued"`` or ``"error"``), or ``""`` when the job was no
    longer this worker's.
    """
    now = utcnow()
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.worker != worker or job.status != "running":
            return ""
        if retry and job.attempts < job.max_attempts:
            job.status, job.worker, job.lease_until = "queued", None, None
            job.error = error
        else:
            job.status, job.error, job.finished_at, job.progress = "error", error, now, 1.0
        job.updated_at = now
        session.commit()
        return job.status


def recover_expired(db: Database) -> tuple[list[tuple[str, str]], int]:
    """Requeue running jobs whose lease ran out, or fail those out of attempts.

    Returns the ``(id, kind)`` of each requeued job (a broker must be told about them) and the
    number of jobs failed.
    """
    now = utcnow()
    requeued: list[tuple[str, str]] = []
    failed = 0
    with db.session() as session:
        stale = session.scalars(select(Job).where(Job.status == "running", Job.lease_until < now)).all()
        for job in stale:
            if job.attempts >= job.max_attempts:
                job.status, job.finished_at, job.progress = "error", now, 1.0
                job.error = error_body(
                    "job.crashed",
                    f"the worker running this job stopped {job.attempts} times "
                    f"(last: {job.worker}); giving up",
                    attempts=job.attempts,
                )
                failed += 1
            else:
                job.status, job.worker, job.lease_until = "queued", None, None
                requeued.append((job.id, job.kind))
            job.updated_at = now
        session.commit()
    return requeued, failed


def claim_id(db: Database, job_id: str, worker: str, lease_s: float) -> Job | None:
    """Take the queued job ``job_id`` for ``worker``; None when it is not queued (any more).

    A broker may deliver one job's message more than once (a redelivery after a worker died,
    a redispatch of a message Redis lost); only the first delivery that finds the job queued
    runs it, the others see None and drop their message.
    """
    with db.session() as session:
        taken = _take(session, job_id, worker, lease_s)
        session.commit()
        if not taken:
            return None
        return session.get(Job, job_id, populate_existing=True)


def due_for_redispatch(db: Database, waited_s: float, limit: int = 500) -> list[tuple[str, str]]:
    """Queued jobs nobody took for ``waited_s`` seconds, marked as sent again now.

    Their broker message may be lost (a Redis restart without persistence, a worker killed
    while it held prefetched messages); sending another is safe because :func:`claim_id`
    runs a job once however many messages name it. Returns ``(id, kind)`` pairs, oldest first.
    """
    now = utcnow()
    cutoff = now - dt.timedelta(seconds=waited_s)
    with db.session() as session:
        rows = session.execute(
            select(Job.id, Job.kind)
            .where(Job.status == "queued", Job.updated_at < cutoff)
            .order_by(Job.created_at)
            .limit(limit)
        ).all()
        if rows:
            session.execute(
                update(Job)
                .where(Job.id.in_([r[0] for r in rows]), Job.status == "queued")
                .values(updated_at=now)
            )
            session.commit()
    return [(r[0], r[1]) for r in rows]


def release(db: Database, worker: str) -> int:
    """Put ``worker``'s running jobs back in the queue without counting the attempt (clean stop)."""
    with db.session() as session:
        released = session.execute(
            update(Job)
            .where(Job.worker == worker, Job.status == "running")
            .values(
                status="queued", worker=None, lease_until=None, attempts=Job.attempts - 1, updated_at=utcnow()
            )
        )
        session.commit()
        return int(released.rowcount)  # type: ignore[attr-defined]


def task_json(job: Job) -> dict[str, Any]:
    """3D Print API's task object: ``{id, status: running|done|error, progress, result | error}``.

    Queued jobs read as ``running`` with progress 0 (3D Print API has no queued state); the
    makeready-specific ``state``, ``stage`` and ``attempts`` say more.
    """
    status = "running" if job.status in ("queued", "running") else job.status
    body: dict[str, Any] = {
        "id": job.id,
        "status": status,
        "progress": float(job.progress),
        "state": job.status,
        "stage": job.stage,
        "attempts": job.attempts,
        "task_update_time": (job.updated_at or job.created_at).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
    }
    if job.status == "done":
        body["result"] = job.result
    elif job.status == "error":
        body["error"] = job.error
    return body
