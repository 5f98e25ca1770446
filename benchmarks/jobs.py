"""What crash isolation costs: embedded jobs in the worker thread vs in a process each.

The same jobs, on the same SQLite job table, through :class:`~makeready.jobs.runner.EmbeddedRunner`
with ``isolation="thread"`` and ``isolation="process"`` (a child forked from the warmed fork
server per job): an empty task (the bare overhead: fork, database connection, outcome) and the
analysis of the 20 mm calibration cube (SLS, PA12: the whole quote pipeline). One worker, jobs
queued together, wall time from the first enqueue to the last job done; the fork server's start
(once per server process) is measured apart.

Writes benchmarks/results/jobs.md and jobs.json. Run with ``make bench``.
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SAMPLE = HERE.parent / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"
JOBS = {"empty": 40, "analysis": 12}


def empty(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Nothing: the bare cost of running a job."""
    return {}


def analysis(ctx: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """The quote pipeline on the calibration cube (what part.analyze computes, without storing)."""
    from makeready.geometry.formats import load
    from makeready.workflows.quote import run_analysis

    run_analysis(load(SAMPLE), material="PA12", process="sls", lot_size=10)
    return {}


def _measure(isolation: str, kind: str, count: int) -> float:
    """Seconds per job over ``count`` jobs of ``kind`` run by one worker."""
    from makeready.jobs import queue
    from makeready.jobs.runner import EmbeddedRunner
    from makeready.settings import Settings
    from makeready.store.blobs import LocalBlobStore
    from makeready.store.db import Database
    from makeready.store.models import Job

    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=Path(scratch), workers=1, job_lease_s=30.0)
        db = Database(settings.sqlalchemy_url)
        db.migrate()
        # By the module's importable name (not __main__), so a job's process can import the tasks.
        sys.path.insert(0, str(HERE))
        import jobs as tasks

        runner = EmbeddedRunner(
            db,
            LocalBlobStore(settings.blob_path),
            settings,
            {"empty": tasks.empty, "analysis": tasks.analysis},
            isolation=isolation,  # type: ignore[arg-type]
        )
        runner.start()
        try:
            if isolation == "process":  # the fork server starts with the first job: not counted
                _finish(db, [queue.enqueue(db, owner="b", kind="empty", payload={}, max_attempts=1).id], Job)
            started = time.perf_counter()
            ids = [
                queue.enqueue(db, owner="b", kind=kind, payload={}, max_attempts=1).id for _ in range(count)
            ]
            runner.notify()
            _finish(db, ids, Job)
            return (time.perf_counter() - started) / count
        finally:
            runner.stop()
            db.dispose()


def _finish(db: Any, ids: list[str], job_type: Any) -> None:
    from sqlalchemy import func, select

    while True:
        with db.session() as session:
            done = session.scalar(
                select(func.count()).where(job_type.id.in_(ids), job_type.status.in_(("done", "error")))
            )
            failed = session.scalar(
                select(func.count()).where(job_type.id.in_(ids), job_type.status == "error")
            )
        if failed:
            raise RuntimeError(f"{failed} benchmark job(s) failed")
        if done == len(ids):
            return
        time.sleep(0.01)


def _fork_server_start() -> float:
    """Seconds from a fresh process's first isolated job to its end (fork server start + job)."""
    import subprocess

    code = (
        "import time, sys; sys.path.insert(0, %r); import jobs; t = time.perf_counter();"
        " jobs._measure('process', 'empty', 1); print(time.perf_counter() - t)" % str(HERE)
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=HERE)
    return float(out.stdout.split()[-1])


def main() -> None:
    """Measure, print and write the results."""
    rows = []
    for kind, count in JOBS.items():
        for isolation in ("thread", "process"):
            samples = [_measure(isolation, kind, count) for _ in range(3)]
            rows.append({"task": kind, "isolation": isolation, "s_per_job": min(samples), "jobs": count})
            print(f"{kind:9} {isolation:8} {min(samples) * 1000:8.1f} ms/job", flush=True)
    start = _fork_server_start()
    RESULTS.mkdir(exist_ok=True)
    payload = {"machine": platform.platform(), "rows": rows, "first_job_in_a_new_server_s": start}
    (RESULTS / "jobs.json").write_text(json.dumps(payload, indent=2) + "\n")
    by = {(r["task"], r["isolation"]): r["s_per_job"] for r in rows}
    lines = [
        "# Job isolation: a process per job vs the worker thread",
        "",
        "benchmarks/jobs.py: one embedded worker on SQLite, jobs queued together, min of 3 runs.",
        "",
        "| task | thread (ms/job) | process (ms/job) | process − thread (ms) |",
        "|---|---:|---:|---:|",
    ]
    for kind in JOBS:
        thread, process = by[(kind, "thread")] * 1000, by[(kind, "process")] * 1000
        lines.append(f"| {kind} | {thread:.1f} | {process:.1f} | {process - thread:+.1f} |")
    lines += [
        "",
        f"A new server's first isolated job also starts the fork server (imports and warm-up): {start:.2f} s",
        "end to end, once per server process.",
        "",
    ]
    (RESULTS / "jobs.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
