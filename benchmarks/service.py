"""Service benchmark: the result-polling endpoint under 50 concurrent clients, side by side with a
bare FastAPI endpoint on the same uvicorn settings, and upload-to-result latency of a 20 k part.

Load comes from wrk (C, Debian package) so the client does not steal the server's CPU the way a
Python load generator would; both servers run one uvicorn process, access log off. Writes
benchmarks/results/service.md and service.json. Run from the benchmarks directory.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from run import RESULTS, WORK, knot_files

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.service.live import Api, LiveServer, free_port  # noqa: E402

CLIENTS, SECONDS, THREADS = 50, 10, 2
CUBE = ROOT / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"


def _wrk(url: str, headers: dict[str, str]) -> dict[str, float]:
    """Requests/s and latency percentiles (ms) from ``wrk --latency``."""
    args = ["wrk", f"-t{THREADS}", f"-c{CLIENTS}", f"-d{SECONDS}s", "--latency"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    percentiles = {}
    for label in ("50%", "99%"):
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()  # type: ignore[union-attr]
        percentiles[label] = float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rate,
        "p50_ms": percentiles["50%"],
        "p99_ms": percentiles["99%"],
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def _bare_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=Path(__file__).parent,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(url + "/api/v1/analysisResult/x/", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("bare server did not start")


def _upload_to_result(api: Api, path: Path) -> float:
    started = time.perf_counter()
    with path.open("rb") as handle:
        reply = api.post(
            "/api/v1/part/", data={"mat_name": "316L", "prc_acronym": "slm"}, files={"file": handle}
        )
    part_id = reply.json()["part_id"]
    while not api.get(f"/api/v1/analysisResult/simplified/{part_id}/").json().get("analysis_finished", True):
        time.sleep(0.05)
    return time.perf_counter() - started


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed (apt-get install wrk)")
    WORK.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    small, _ = knot_files()
    data = Path(tempfile.mkdtemp(prefix="makeready-bench-"))
    live = LiveServer(data / "data", log_level="WARNING").start()
    uncached = LiveServer(data / "uncached", log_level="WARNING", poll_cache_s=0).start()
    bare, bare_url = _bare_server()
    rows: dict[str, dict[str, float]] = {}
    try:
        rows["bare FastAPI endpoint (no auth, no database)"] = _wrk(
            f"{bare_url}/api/v1/analysisResult/x/", {}
        )
        for label, server in (("poll cache 0.2 s (default)", live), ("poll cache off", uncached)):
            api = Api(server.url)
            with CUBE.open("rb") as handle:
                done_id = api.post("/api/v1/part/", data={"mat_name": "316L"}, files={"file": handle}).json()[
                    "part_id"
                ]
            report_kb = len(json.dumps(api.analysis(done_id)["analysis_report"])) // 1000
            with CUBE.open("rb") as handle:
                waiting_id = api.post(
                    "/api/v1/part/", data={"start_analysis": "false"}, files={"file": handle}
                )
            auth = {"Authorization": api.headers["Authorization"]}
            base_url = f"{server.url}/api/v1/analysisResult"
            rows[f"makeready, not finished, {label}"] = _wrk(
                f"{base_url}/{waiting_id.json()['part_id']}/", auth
            )
            rows[f"makeready, simplified result, {label}"] = _wrk(f"{base_url}/simplified/{done_id}/", auth)
            rows[f"makeready, full report ({report_kb} kB), {label}"] = _wrk(f"{base_url}/{done_id}/", auth)
        api = Api(live.url)
        latencies = [_upload_to_result(api, small) for _ in range(3)]
    finally:
        live.stop()
        uncached.stop()
        bare.terminate()
        bare.wait(10)
        shutil.rmtree(data, ignore_errors=True)
    base = rows["bare FastAPI endpoint (no auth, no database)"]["rps"]
    for row in rows.values():
        row["vs_bare"] = row["rps"] / base
    info = {
        "machine": f"{platform.machine()}, {platform.python_version()}, cores={len(os.sched_getaffinity(0))}",
        "load": f"wrk, {CLIENTS} connections, {THREADS} threads, {SECONDS} s; one uvicorn process each, access log off",
        "target": "polling >= 0.5x the bare endpoint's throughput",
        "rows": rows,
        "upload_to_result_20k_s": {"runs": latencies, "median": statistics.median(latencies)},
    }
    (RESULTS / "service.json").write_text(json.dumps(info, indent=1))
    lines = [
        "# Service: result polling under load, and upload-to-result latency",
        "",
        f"Machine: {info['machine']}. Load: {info['load']}. Target: {info['target']}.",
        "",
        "| endpoint | requests/s | p50 ms | p99 ms | vs bare | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, row in rows.items():
        lines.append(
            f"| {label} | {row['rps']:.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | "
            f"{row['vs_bare']:.2f}x | {row['non_2xx']} |"
        )
    lines += [
        "",
        f"Upload → analysis finished, 20,000-triangle torus knot (316L, all chains), polled every 50 ms: "
        f"median {statistics.median(latencies):.2f} s of 3 ({', '.join(f'{x:.2f}' for x in latencies)}).",
        "",
    ]
    (RESULTS / "service.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
