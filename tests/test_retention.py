"""Retention: expired tasks and unreferenced blobs go; referenced, recent and in-flight ones stay."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from makeready.settings import Settings
from makeready.store.blobs import LocalBlobStore
from makeready.store.connect import open_database
from makeready.store.models import FileRecord, Job, PartRecord
from makeready.store.retention import sweep

DAY = 86400.0
NOW = time.time()


def _aged(blobs: LocalBlobStore, data: bytes, age_s: float) -> str:
    digest = blobs.put(data)
    stamp = NOW - age_s
    os.utime(blobs.path(digest), (stamp, stamp))
    return digest


def _job(job_id: str, status: str, finished_days_ago: float | None) -> Job:
    finished = None
    if finished_days_ago is not None:
        finished = dt.datetime.fromtimestamp(NOW - finished_days_ago * DAY, dt.UTC)
    return Job(id=job_id, owner="alice", kind="analysis", payload={}, status=status, finished_at=finished)


@pytest.fixture
def stores(tmp_path: Path):
    settings = Settings(data_dir=tmp_path, keep_tasks_days=30, gc_grace_s=3600)
    db = open_database(settings)
    db.migrate()
    blobs = LocalBlobStore(tmp_path / "blobs")
    names = {
        "file": _aged(blobs, b"an uploaded file", 10 * DAY),
        "report": _aged(blobs, b"a part's report", 10 * DAY),
        "orphan": _aged(blobs, b"a deleted part's mesh" * 100, 10 * DAY),
        "fresh": _aged(blobs, b"an upload whose row is not committed yet", 60.0),
    }
    with db.session() as session:
        session.add(FileRecord(id="f1", owner="alice", name="a.stl", sha256=names["file"], size=16))
        session.add(
            PartRecord(
                id="p1",
                owner="alice",
                name="a",
                basename="a.stl",
                file_id="f1",
                mesh_sha256=names["file"],
                report_sha256=names["report"],
                job_id="kept-by-part",
            )
        )
        session.add_all(
            [
                _job("expired", "done", 40),
                _job("expired-error", "error", 31),
                _job("recent", "done", 5),
                _job("kept-by-part", "done", 90),
                _job("running", "running", None),
            ]
        )
        session.commit()
    return settings, db, blobs, names


def test_dry_run_counts_what_the_sweep_deletes(stores) -> None:
    settings, db, blobs, names = stores
    dry = sweep(db, blobs, settings, dry_run=True, now=NOW)
    assert (dry.tasks, dry.blobs, dry.referenced) == (2, 1, 2)
    assert dry.bytes == len(b"a deleted part's mesh" * 100)
    assert blobs.path(names["orphan"]).exists()  # nothing deleted
    with db.session() as session:
        assert session.get(Job, "expired") is not None
    done = sweep(db, blobs, settings, now=NOW)
    assert (done.tasks, done.blobs, done.bytes) == (dry.tasks, dry.blobs, dry.bytes)
    assert not blobs.path(names["orphan"]).exists()
    for kept in ("file", "report", "fresh"):
        assert blobs.path(names[kept]).exists(), kept
    with db.session() as session:
        left = {job.id for job in session.query(Job)}
    assert left == {"recent", "kept-by-part", "running"}
    again = sweep(db, blobs, settings, now=NOW)
    assert (again.tasks, again.blobs) == (0, 0)


def test_a_blob_reused_during_the_sweep_is_kept(stores) -> None:
    settings, _db, blobs, names = stores
    cutoff = NOW - settings.gc_grace_s
    listed = dict(blobs.stored_before(cutoff))
    assert names["orphan"] in listed
    assert names["fresh"] not in listed  # inside the grace period: never a candidate
    blobs.put(b"a deleted part's mesh" * 100)  # an upload of the same bytes, its row not yet committed
    assert not blobs.delete_unless_touched(names["orphan"], cutoff)
    assert blobs.get(names["orphan"]) == b"a deleted part's mesh" * 100


def test_a_write_after_the_delete_stores_the_bytes_again(stores) -> None:
    settings, _db, blobs, names = stores
    cutoff = NOW - settings.gc_grace_s
    assert blobs.delete_unless_touched(names["orphan"], cutoff)
    assert blobs.put(b"a deleted part's mesh" * 100) == names["orphan"]
    assert blobs.get(names["orphan"]) == b"a deleted part's mesh" * 100
    assert not list(blobs.root.rglob(".gc-*"))  # nothing left aside


def test_admin_gc_command(stores, tmp_path: Path) -> None:
    env = {**os.environ, "MAKEREADY_DATA_DIR": str(tmp_path)}
    run = [sys.executable, "-m", "makeready", "admin", "gc"]
    dry = subprocess.run([*run, "--dry-run", "--json"], env=env, capture_output=True, text=True, check=True)
    summary = json.loads(dry.stdout)
    assert summary["dry_run"] is True
    assert (summary["tasks"], summary["blobs"], summary["referenced_blobs"]) == (2, 1, 2)
    done = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert (
        "deleted 2 expired task(s) (older than 30 days)\ndeleted 1 unreferenced blob(s), 2.1 kB"
        in done.stdout
    )
