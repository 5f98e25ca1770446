"""The job table and the embedded runner on a real SQLite database, with tasks defined here.

The tasks here are closures that share state with the test, so they run in the runner's threads
(``isolation="thread"``); tests/test_job_isolation.py runs jobs in child processes.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from makeready.errors import MakereadyError
from makeready.jobs import queue
from makeready.jobs.context import TaskContext
from makeready.jobs.runner import EmbeddedRunner
from makeready.progress import Stage
from makeready.settings import Settings
from makeready.store.blobs import LocalBlobStore
from makeready.store.db import Database
from makeready.store.models import Job


@pytest.fixture
def stores(tmp_path: Path) -> tuple[Database, LocalBlobStore, Settings]:
    settings = Settings(data_dir=tmp_path, workers=2, job_max_attempts=3, job_lease_s=1.0)
    db = Database(settings.sqlalchemy_url)
    db.migrate()
    return db, LocalBlobStore(settings.blob_path), settings


def _wait(db: Database, job_id: str, timeout: float = 20.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as session:
            job = session.get(Job, job_id)
            assert job is not None
            if job.status in ("done", "error"):
                return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} did not finish")


def test_jobs_run_once_each_across_runners(stores) -> None:
    db, blobs, settings = stores
    seen: list[str] = []
    lock = threading.Lock()

    def record(ctx: TaskContext, payload: dict) -> dict:
        ctx.progress(0.5, Stage.ANALYSING)
        with lock:
            seen.append(payload["n"])
        return {"n": payload["n"]}

    runners = [EmbeddedRunner(db, blobs, settings, {"record": record}, isolation="thread") for _ in range(2)]
    jobs = [
        queue.enqueue(db, owner="o", kind="record", payload={"n": str(i)}, max_attempts=3) for i in range(40)
    ]
    for runner in runners:
        runner.start()
    try:
        finished = [_wait(db, j.id) for j in jobs]
    finally:
        for runner in runners:
            runner.stop()
    assert sorted(seen, key=int) == [str(i) for i in range(40)]  # every job exactly once
    assert all(j.status == "done" and j.progress == 1.0 and j.attempts == 1 for j in finished)
    assert finished[0].result == {"n": "0"}
    assert sum(r.completed for r in runners) == 40


def test_a_failing_task_is_retried_then_marked_error(stores) -> None:
    db, blobs, settings = stores
    calls = []

    def flaky(ctx: TaskContext, payload: dict) -> dict:
        calls.append(1)
        raise RuntimeError("disk on fire")

    runner = EmbeddedRunner(db, blobs, settings, {"flaky": flaky}, isolation="thread")
    job = queue.enqueue(db, owner="o", kind="flaky", payload={}, max_attempts=3)
    runner.start()
    try:
        done = _wait(db, job.id)
    finally:
        runner.stop()
    assert len(calls) == 3
    assert done.attempts == 3
    assert done.status == "error"
    assert done.error is not None
    assert done.error["code"] == "job.failed"
    assert "RuntimeError: disk on fire" in done.error["message"]
    assert set(queue.task_json(done)["error"]) >= {"error_id", "code", "message"}


def test_unusable_input_is_not_retried(stores) -> None:
    db, blobs, settings = stores

    def refuse(ctx: TaskContext, payload: dict) -> dict:
        raise MakereadyError("file.truncated", "ends early")

    runner = EmbeddedRunner(db, blobs, settings, {"refuse": refuse}, isolation="thread")
    job = queue.enqueue(db, owner="o", kind="refuse", payload={}, max_attempts=3)
    runner.start()
    try:
        done = _wait(db, job.id)
    finally:
        runner.stop()
    assert done.attempts == 1
    assert done.error is not None
    assert done.error["code"] == "file.truncated"


def test_expired_leases_are_recovered_and_bounded(stores) -> None:
    db, _, _ = stores
    job = queue.enqueue(db, owner="o", kind="k", payload={}, max_attempts=2)
    for attempt in (1, 2):
        claimed = queue.claim(db, "dead-worker", lease_s=-1.0)  # a worker that died at once
        assert claimed is not None
        assert claimed.id == job.id
        assert claimed.attempts == attempt
        requeued, failed = queue.recover_expired(db)
        assert (requeued, failed) == (([(job.id, "k")], 0) if attempt == 1 else ([], 1))
    with db.session() as session:
        final = session.get(Job, job.id)
    assert final is not None
    assert final.status == "error"
    assert final.error["code"] == "job.crashed"
    assert queue.claim(db, "w", 10.0) is None


def test_a_clean_stop_hands_running_jobs_back(stores) -> None:
    db, blobs, settings = stores
    started = threading.Event()

    def slow(ctx: TaskContext, payload: dict) -> dict:
        started.set()
        time.sleep(1.0)
        return {}

    runner = EmbeddedRunner(db, blobs, settings, {"slow": slow}, isolation="thread")
    job = queue.enqueue(db, owner="o", kind="slow", payload={}, max_attempts=3)
    runner.start()
    assert started.wait(10)
    runner.stop(timeout=0.1)
    with db.session() as session:
        back = session.get(Job, job.id)
    assert back is not None
    assert back.status == "queued"
    assert back.attempts == 0
    time.sleep(1.2)  # the abandoned thread finishing must not mark the requeued job done
    with db.session() as session:
        assert session.get(Job, job.id).status == "queued"  # type: ignore[union-attr]


def test_a_task_whose_job_went_to_another_worker_writes_nothing(stores) -> None:
    """Fencing (found 2026-12-04): a job process that ran on after its server was killed wrote
    its part's report although the job had been handed to another attempt. A task claims its
    job in the transaction that writes its results; once the job is another worker's, the
    claim fails and nothing is written."""
    db, blobs, settings = stores
    job = queue.enqueue(db, owner="o", kind="write", payload={}, max_attempts=3)
    with db.session() as session:
        row = session.get(Job, job.id)
        assert row is not None
        row.status, row.worker = "running", "first"
        session.commit()
    first = TaskContext(db, blobs, settings, job.id, "o", lambda _f, _s: None, "first")
    with db.session() as session:
        assert first.holds_job(session)
        session.rollback()
    with db.session() as session:  # the lease ran out; another worker took the job over
        row = session.get(Job, job.id)
        assert row is not None
        row.worker = "second"
        session.commit()
    with db.session() as session:
        assert not first.holds_job(session)
    second = TaskContext(db, blobs, settings, job.id, "o", lambda _f, _s: None, "second")
    with db.session() as session:
        assert second.holds_job(session)


def test_every_writing_task_drops_its_writes_once_its_job_is_another_workers(stores) -> None:
    """The fencing of part.analyze, for the 3D Print API's tasks too: an import whose job was
    taken over while it read the file adds no mesh (the attempt that took over adds the one)."""
    from sqlalchemy import func, select

    from makeready.jobs.tasks import DROPPED, import_mesh
    from makeready.store.models import MeshRecord
    from makeready.store.resources import save_file

    db, blobs, settings = stores
    stl = (Path(__file__).parent / "data" / "unit_cube.STL").read_bytes()
    with db.session() as session:
        upload = save_file(session, blobs, "o", "cube.stl", stl, "model/stl")
        session.commit()
        file_id = upload.id
    job = queue.enqueue(db, owner="o", kind="mesh.import", payload={}, max_attempts=3)
    with db.session() as session:
        row = session.get(Job, job.id)
        assert row is not None
        row.status, row.worker = "running", "second"  # the first attempt's lease ran out
        session.commit()
    stale = TaskContext(db, blobs, settings, job.id, "o", lambda _f, _s: None, "first")
    assert import_mesh(stale, {"file_id": file_id}) == DROPPED
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(MeshRecord)) == 0
    current = TaskContext(db, blobs, settings, job.id, "o", lambda _f, _s: None, "second")
    made = import_mesh(current, {"file_id": file_id})
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(MeshRecord)) == 1
        assert session.get(MeshRecord, made["id"]) is not None
