"""Scale-out benchmark: a batch of 100 small parts through the batch endpoint, end to end.

Three deployments, same parts, same API: the embedded mode (SQLite, one job thread), and the
scaled mode (PostgreSQL, Redis, moto S3) with one and with two Celery workers of one process
each. Throughput is parts analysed per second from the upload's start to the batch being
done. Target: two workers >= 1.8x one, on a machine with a core per worker besides the API,
broker, database and S3 server; the cores available are reported beside the numbers.
Writes benchmarks/results/scale.md and scale.json. Run from the benchmarks directory.
"""

from __future__ import annotations

import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from run import RESULTS

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.meshes import box, part  # noqa: E402
from tests.service.live import Api, LiveServer  # noqa: E402
from tests.service.stack import scaled_stack  # noqa: E402

from makeready import save  # noqa: E402

PARTS = int(os.environ.get("MAKEREADY_BENCH_PARTS", "100"))


def _parts() -> list[tuple[str, bytes]]:
    out = []
    for i in range(PARTS):
        buffer = io.BytesIO()
        size = 5.0 + (i % 25)
        save(part(*box((size, size * 0.8, size * 0.6))), buffer, "stl")
        out.append((f"part-{i:03d}.stl", buffer.getvalue()))
    return out


def _run_batch(url: str, parts: list[tuple[str, bytes]]) -> dict[str, Any]:
    api = Api(url)
    started = time.perf_counter()
    reply = api.post(
        "/api/v1/batch/",
        files=[("files", (name, data, "model/stl")) for name, data in parts],
        data={"mat_name": "PA12", "prc_acronym": "sls"},
    )
    assert reply.status_code == 201, reply.text
    uploaded = time.perf_counter() - started
    batch_id = reply.json()["batch_id"]
    while True:
        body = api.get(f"/api/v1/batch/{batch_id}/").json()
        if body["status"] == "done":
            break
        time.sleep(0.25)
    wall = time.perf_counter() - started
    assert body["counts"]["done"] == len(parts), body["counts"]
    return {"parts": len(parts), "upload_s": uploaded, "wall_s": wall, "parts_per_s": len(parts) / wall}


def main() -> None:
    parts = _parts()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        embedded = LiveServer(Path(tmp) / "embedded", workers=1, poll_min_interval_s=0)
        embedded.start()
        try:
            rows["embedded, 1 job thread (SQLite)"] = _run_batch(embedded.url, parts)
        finally:
            embedded.stop()
        for workers in (1, 2):
            with scaled_stack(Path(tmp) / f"celery{workers}", workers=workers) as stack:
                rows[f"celery, {workers} worker{'s' if workers > 1 else ''} (PostgreSQL, Redis, S3)"] = (
                    _run_batch(stack.server.url, parts)
                )
    one = next(v for k, v in rows.items() if k.startswith("celery, 1 "))["parts_per_s"]
    two = next(v for k, v in rows.items() if k.startswith("celery, 2 "))["parts_per_s"]
    result = {
        "machine": {"cores": cores, "python": platform.python_version(), "platform": platform.platform()},
        "rows": rows,
        "speedup_2_over_1": two / one,
    }
    (RESULTS / "scale.json").write_text(json.dumps(result, indent=2))
    lines = [
        "# Scale-out: a batch of small parts, end to end",
        "",
        f"{PARTS} boxes (12 triangles each) uploaded in one `POST /api/v1/batch/` (PA12, SLS: 5 process chains",
        "each), timed until the batch reads done. Every deployment runs on this one machine, with "
        f"**{cores} cores** shared by the API, workers, database, broker and S3 server.",
        "",
        "| deployment | upload s | wall s | parts/s |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {k} | {v['upload_s']:.2f} | {v['wall_s']:.1f} | {v['parts_per_s']:.2f} |" for k, v in rows.items()
    ]
    lines += [
        "",
        f"Two workers over one: **{two / one:.2f}x** (target >= 1.8x with a free core per worker; "
        f"here {cores} cores hold everything).",
    ]
    (RESULTS / "scale.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
