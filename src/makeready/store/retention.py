"""Retention: delete expired tasks and the blobs nothing refers to any more.

A sweep has two parts.

* Tasks (job rows) that finished more than ``keep_tasks_days`` ago are deleted, except the
  analysis job a stored part still points at (its status is read through it).
* Blobs are content-addressed and shared, so a blob is deleted only when no row refers to it:
  mark-and-sweep over the rows that hold a blob's SHA-256 (files; parts' stored mesh, report
  and display document). Deleting a part, a file or a task therefore frees its bytes at the
  next sweep.

Safe against writes in flight: only blobs last written *or reused* before ``now - gc_grace_s``
are candidates (a write of content that already exists renews the blob's time), the rows are
read after the candidates are listed, and each candidate is deleted only if its time is still
old (the local store renames it aside first and puts it back if a writer touched it). A blob
written during a sweep is never lost; an upload whose database row is not yet committed holds
a blob written moments ago, inside the grace period.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from makeready.settings import Settings
from makeready.store.blobs import BlobStore
from makeready.store.db import Database
from makeready.store.models import Base, Job, PartRecord

__all__ = ["SweepReport", "referenced_blobs", "sweep"]

#: Task states that are over (the others may still change).
FINISHED = ("done", "error", "cancelled")


@dataclass
class SweepReport:
    """What one sweep deleted (or, with ``dry_run``, would delete).

    Attributes
    ----------
    dry_run : bool
        True when nothing was deleted.
    tasks : int
        Expired task rows.
    blobs : int
        Unreferenced blobs.
    bytes : int
        Their size, bytes.
    referenced : int
        Blobs rows refer to (kept).
    recent : int
        Unreferenced blobs kept because they were written or reused within the grace period
        (counted when listed; a sweep does not list newer blobs, so this is the candidates a
        writer touched while the sweep ran).
    seconds : float
        How long the sweep took.

    """

    dry_run: bool
    tasks: int = 0
    blobs: int = 0
    bytes: int = 0
    referenced: int = 0
    recent: int = 0
    seconds: float = 0.0
    freed: list[str] = field(default_factory=list, repr=False)


#: Columns that name a blob, by table: what keeps a blob from the sweep and goes into a backup.
BLOB_COLUMNS: dict[str, tuple[str, ...]] = {
    "files": ("sha256",),
    "parts": ("mesh_sha256", "report_sha256", "display_sha256"),
}


def referenced_blobs(db: Database) -> set[str]:
    """Every blob SHA-256 a row refers to."""
    found: set[str] = set()
    with db.session() as session:
        for name, columns in BLOB_COLUMNS.items():
            table = Base.metadata.tables[name]
            for column in columns:
                found.update(s for s in session.scalars(select(table.c[column])) if s)
    return found


def sweep(
    db: Database,
    blobs: BlobStore,
    settings: Settings,
    *,
    dry_run: bool = False,
    now: float | None = None,
) -> SweepReport:
    """Delete expired tasks, then unreferenced blobs older than the grace period.

    Parameters
    ----------
    db, blobs : Database, BlobStore
        The service's stores.
    settings : Settings
        ``keep_tasks_days`` and ``gc_grace_s``.
    dry_run : bool
        Count only; delete nothing.
    now : float, optional
        Epoch seconds to sweep as of (tests); default the clock.

    """
    started = time.monotonic()
    now = time.time() if now is None else now
    report = SweepReport(dry_run=dry_run)
    expiry = dt.datetime.fromtimestamp(now, dt.UTC) - dt.timedelta(days=settings.keep_tasks_days)
    with db.session() as session:
        kept_jobs = select(PartRecord.job_id).where(PartRecord.job_id.is_not(None))
        expired = (
            Job.status.in_(FINISHED),
            Job.finished_at.is_not(None),
            Job.finished_at < expiry,
            Job.id.not_in(kept_jobs),
        )
        report.tasks = len(session.scalars(select(Job.id).where(*expired)).all())
        if not dry_run and report.tasks:
            session.execute(delete(Job).where(*expired))
            session.commit()
    cutoff = now - settings.gc_grace_s
    # Candidates first, rows second: a row committed after this listing refers to a blob that
    # is either listed (then it is marked below) or newer than the cutoff (never listed).
    candidates = list(blobs.stored_before(cutoff))
    marked = referenced_blobs(db)
    for sha256, size in candidates:
        if sha256 in marked:
            report.referenced += 1
            continue
        if dry_run or blobs.delete_unless_touched(sha256, cutoff):
            report.blobs += 1
            report.bytes += size
            report.freed.append(sha256)
        else:
            report.recent += 1
    report.seconds = time.monotonic() - started
    return report
