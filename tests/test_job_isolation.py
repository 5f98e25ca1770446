"""Embedded jobs in child processes: a real segfault, an allocation past the memory limit, a loop
past the time limit and a SIGKILL each end their own job, and the runner goes on with the next.

The tasks (tests/job_tasks.py) really do what native code can do to a process; the runner and the
job table are the real ones, on a real SQLite database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from makeready.jobs import queue
from makeready.jobs.runner import EmbeddedRunner
from makeready.settings import Settings
from makeready.store.blobs import LocalBlobStore
from makeready.store.db import Database
from makeready.store.models import Job
from tests import job_tasks

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux process limits")


def _runner(tmp_path: Path, **settings: object) -> tuple[Database, EmbeddedRunner]:
    options: dict[str, object] = {"workers": 1, "job_max_attempts": 3, "job_lease_s": 2.0, **settings}
    config = Settings(data_dir=tmp_path, **options)  # type: ignore[arg-type]
    db = Database(config.sqlalchemy_url)
    db.migrate()
    runner = EmbeddedRunner(db, LocalBlobStore(config.blob_path), config, job_tasks.TASKS)
    runner.start()
    return db, runner


def _run(db: Database, kind: str, payload: dict | None = None, timeout: float = 60.0) -> Job:
    job = queue.enqueue(db, owner="o", kind=kind, payload=payload or {}, max_attempts=3)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as session:
            row = session.get(Job, job.id)
            assert row is not None
            if row.status in ("done", "error"):
                return row
        time.sleep(0.05)
    raise AssertionError(f"{kind} did not finish in {timeout} s")


def test_a_job_runs_in_its_own_process_and_records_its_result(tmp_path: Path) -> None:
    db, runner = _runner(tmp_path)
    try:
        first, second = _run(db, "echo", {"n": 1}), _run(db, "echo", {"n": 2})
    finally:
        runner.stop()
    assert first.status == second.status == "done"
    assert (first.result["n"], first.progress) == (1, 1.0)
    assert first.result["pid"] != os.getpid()
    assert first.result["pid"] != second.result["pid"]  # a fresh process per job
    assert runner.describe() == "embedded (1 workers, a process per job)"


def test_a_segfault_ends_that_job_as_crashed_and_the_next_job_runs(tmp_path: Path) -> None:
    db, runner = _runner(tmp_path)
    try:
        crashed = _run(db, "segfault")
        after = _run(db, "echo", {"n": 3})
        assert runner.healthy
    finally:
        runner.stop()
    assert crashed.status == "error"
    assert crashed.error["code"] == "job.crashed"
    assert "SIGSEGV" in crashed.error["message"]
    assert crashed.attempts == 1  # the same input crashes again: no retry
    assert after.status == "done"
    assert after.result["n"] == 3


def test_an_allocation_past_the_memory_limit_ends_as_crashed(tmp_path: Path) -> None:
    db, runner = _runner(tmp_path, job_memory_limits={"allocate": 256})
    try:
        within = _run(db, "allocate", {"mib": 64})
        over = _run(db, "allocate", {"mib": 2048})
        after = _run(db, "echo")
    finally:
        runner.stop()
    assert within.status == "done"
    assert within.result["sum"] == 64 * 2**17
    assert over.status == "error"
    assert over.error["code"] == "job.crashed"
    assert over.error["message"] == "the job ran out of memory of its 256 MiB limit"
    assert over.attempts == 1
    assert after.status == "done"


def test_a_job_past_its_time_limit_is_stopped(tmp_path: Path) -> None:
    db, runner = _runner(tmp_path, job_time_limits={"sleep": 1.0})
    pid_file = tmp_path / "sleeper.pid"
    try:
        started = time.monotonic()
        late = _run(db, "sleep", {"s": 60, "pid_file": str(pid_file)})
        took = time.monotonic() - started
        after = _run(db, "echo")
    finally:
        runner.stop()
    assert late.status == "error"
    assert late.error["code"] == "job.timeout"
    assert late.attempts == 1
    assert took < 10.0  # stopped at its limit, not after its 60 s
    assert not _alive(int(pid_file.read_text()))
    assert after.status == "done"


def test_a_killed_job_is_retried_then_ends_as_crashed(tmp_path: Path) -> None:
    db, runner = _runner(tmp_path)
    try:
        killed = _run(db, "killed")
    finally:
        runner.stop()
    assert killed.status == "error"
    assert killed.error["code"] == "job.crashed"
    assert "SIGKILL" in killed.error["message"]
    assert killed.attempts == 3  # may be the system's OOM killer: tried job_max_attempts times


def test_unusable_input_in_a_child_is_refused_without_retry(tmp_path: Path) -> None:
    db, runner = _runner(tmp_path)
    try:
        refused = _run(db, "refuse")
    finally:
        runner.stop()
    assert (refused.status, refused.error["code"], refused.attempts) == ("error", "file.truncated", 1)


def test_a_clean_stop_stops_the_child_and_hands_its_job_back(tmp_path: Path) -> None:
    db, runner = _runner(tmp_path)
    pid_file = tmp_path / "sleeper.pid"
    job = queue.enqueue(
        db, owner="o", kind="sleep", payload={"s": 60, "pid_file": str(pid_file)}, max_attempts=3
    )
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int(pid_file.read_text())
    runner.stop(timeout=5.0)
    with db.session() as session:
        back = session.get(Job, job.id)
    assert back is not None
    assert back.status == "queued"
    assert not _alive(child)


def test_a_closure_cannot_run_in_a_child_process(tmp_path: Path) -> None:
    config = Settings(data_dir=tmp_path)
    db = Database(config.sqlalchemy_url)

    def local(ctx: object, payload: dict) -> dict:
        return {}

    with pytest.raises(ValueError, match="define it at module level"):
        EmbeddedRunner(db, LocalBlobStore(config.blob_path), config, {"local": local})  # type: ignore[dict-item]


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_warming_the_fork_server_starts_no_thread() -> None:
    # A fork copies only the forking thread: a pool started by the warm-up would be dead in
    # every job's process.
    code = (
        "import os, makeready.jobs.tasks\n"
        "before = len(os.listdir('/proc/self/task'))\n"
        "import makeready.jobs.warm\n"
        "print(before, len(os.listdir('/proc/self/task')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after = map(int, done.stdout.split())
    assert after == before
