"""The scaled mode under load and under attack.

* load: ``MAKEREADY_LOAD_UPLOADS`` uploads (``make test``: 40; ``make soak``: 200) from up to 20
  concurrent clients against API + 2 Celery workers + Redis + PostgreSQL + S3; every job finishes
  exactly once; latencies and throughput are written to ``build/test-results/scaled_load.json``;
* security: a zip bomb, a 3MF with external entities, path-traversal names, an oversized
  file and a malformed multipart body are each refused with their code while another user's
  job keeps running.
"""

from __future__ import annotations

import io
import json
import os
import statistics
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from makeready import save
from tests.meshes import box, part, uv_sphere
from tests.service.live import OTHER, OTHER_PASSWORD, Api
from tests.service.stack import Stack, scaled_stack
from tests.service.test_scaled_faults import state, upload, wait_all, wait_running

RESULTS = Path(__file__).resolve().parents[2] / "build" / "test-results"
MAX_UPLOAD = 12_000_000
#: Uploads of the load test: 40 in ``make test`` (two analyses a second on the 2-core machine is
#: the throughput, so 200 take 4 minutes), 200 and more in ``make soak``.
UPLOADS = int(os.environ.get("MAKEREADY_LOAD_UPLOADS", "40"))
CLIENTS = min(20, UPLOADS)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with scaled_stack(
        tmp_path_factory.mktemp("scaled-load"), workers=2, max_upload_bytes=MAX_UPLOAD
    ) as running:
        created = running.server.cli("users", "create", OTHER, "--password", OTHER_PASSWORD)
        assert created.returncode == 0, created.stderr
        yield running


def _cube(size: float) -> bytes:
    buffer = io.BytesIO()
    save(part(*box((size, size, size))), buffer, "stl")
    return buffer.getvalue()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def test_uploads_from_concurrent_clients_all_finish_once(stack: Stack) -> None:
    clients = [Api(stack.server.url) for _ in range(CLIENTS)]
    sizes = [5.0 + (i % 40) * 0.5 for i in range(UPLOADS)]
    latencies: list[float] = []
    lock = threading.Lock()

    def send(i: int) -> tuple[str, float]:
        started = time.perf_counter()
        part_id = upload(clients[i % CLIENTS], _cube(sizes[i]), f"cube-{i}.stl")
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
        return part_id, time.monotonic()

    began = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        sent = list(pool.map(send, range(UPLOADS)))
    uploaded = time.monotonic()
    part_ids = [p for p, _ in sent]
    api = clients[0]
    finished_at: dict[str, float] = {}
    deadline = time.monotonic() + 120 + 3 * UPLOADS  # 0.5 analyses/s would be a regression
    while len(finished_at) < len(part_ids):
        for part_id in part_ids:
            if part_id not in finished_at and state(api, part_id)["analysis_finished"]:
                finished_at[part_id] = time.monotonic()
        assert time.monotonic() < deadline, f"{len(finished_at)}/{UPLOADS} finished\n{stack.logs()}"
        time.sleep(0.5)
    ended = max(finished_at.values())
    jobs = stack.jobs()
    # Every job ran to exactly one result: one job per part, each done on its first attempt.
    assert len(jobs) == UPLOADS
    assert sorted(jobs) == sorted(part_ids)
    assert all(job["status"] == "done" for job in jobs.values()), [
        j for j in jobs.values() if j["status"] != "done"
    ]
    attempts = [job["attempts"] for job in jobs.values()]
    for i, part_id in enumerate(part_ids[:20]):
        report = state(api, part_id)["analysis_report"]
        assert report["part_vol"] == pytest.approx(sizes[i] ** 3 / 1000, rel=1e-9)
    turnaround = [finished_at[p] - t for p, t in sent]
    result = {
        "uploads": UPLOADS,
        "clients": CLIENTS,
        "workers": 2,
        "cores": os.cpu_count(),
        "upload_latency_s": {"p50": statistics.median(latencies), "p99": _pct(latencies, 0.99)},
        "upload_to_done_s": {"p50": statistics.median(turnaround), "p99": _pct(turnaround, 0.99)},
        "uploads_per_s": UPLOADS / (uploaded - began),
        "analyses_per_s": UPLOADS / (ended - began),
        "wall_s": ended - began,
        "attempts": {str(a): attempts.count(a) for a in sorted(set(attempts))},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scaled_load.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    assert max(attempts) == 1


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


XXE_MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE model [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
 <metadata name="Title">&secret;</metadata>
 <resources><object id="1" type="model"><mesh>
  <vertices><vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/><vertex x="0" y="1" z="0"/></vertices>
  <triangles><triangle v1="0" v2="1" v3="2"/></triangles>
 </mesh></object></resources>
 <build><item objectid="1"/></build>
</model>"""
CONTENT_TYPES = b"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
 <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
 <Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>
</Types>"""
RELS = b"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
 <Relationship Target="/3D/3dmodel.model" Id="rel0"
  Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>
</Relationships>"""


def test_hostile_uploads_are_refused_while_other_jobs_run(stack: Stack) -> None:
    alice, bob = Api(stack.server.url), Api(stack.server.url, OTHER, OTHER_PASSWORD)
    sphere = io.BytesIO()
    save(part(*uv_sphere(10.0, 400, 200)), sphere, "stl")
    bobs = upload(bob, sphere.getvalue(), "sphere.stl")
    wait_running(bob, bobs)

    def refused(reply: requests.Response, status: int, code: str) -> None:
        assert reply.status_code == status, reply.text
        assert reply.headers["content-type"].startswith("application/problem+json")
        assert reply.json()["code"] == code

    bomb = _zip({"part.stl": b"\0" * (100 << 20)})  # ~100 KB that expands to 100 MB
    assert len(bomb) < 1 << 20
    refused(alice.post("/api/v1/part/", files={"file": ("bomb.zip", bomb)}), 422, "zip.bomb")
    refused(alice.post("/api/v1/batch/", files=[("files", ("bomb.zip", bomb))]), 422, "zip.bomb")
    xxe = _zip({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": RELS, "3D/3dmodel.model": XXE_MODEL})
    refused(alice.post("/api/v1/part/", files={"file": ("evil.3mf", xxe)}), 422, "3mf.xml_forbidden")
    refused(
        alice.post("/api/v1/part/", files={"file": ("../../etc/cron.d/evil.stl", _cube(5))}),
        422,
        "upload.unsafe_name",
    )
    refused(
        alice.post("/api/v1/files/upload", files={"file": ("..\\..\\boot.ini", b"data")}),
        422,
        "upload.unsafe_name",
    )
    traversal = _zip({"../../outside.stl": _cube(5)})
    refused(alice.post("/api/v1/part/", files={"file": ("parts.zip", traversal)}), 422, "zip.path_traversal")
    refused(
        alice.post("/api/v1/part/", files={"file": ("big.stl", b"\0" * (MAX_UPLOAD + 200_000))}),
        413,
        "file.too_large",
    )

    def raw(body: bytes) -> requests.Response:
        return requests.post(
            f"{stack.server.url}/api/v1/part/",
            data=body,
            headers={**alice.headers, "Content-Type": "multipart/form-data; boundary=xyz"},
            cookies=alice.cookies,
            timeout=30,
        )

    # A part without its Content-Disposition header: the multipart parser gives up.
    refused(raw(b"--xyz\r\nX-Junk: 1\r\n\r\nsolid\r\n--xyz--\r\n"), 400, "request.malformed")
    # A body cut off before its closing boundary: the file field never arrives.
    unterminated = raw(b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.stl"\r\n\r\nsolid')
    refused(unterminated, 422, "request.invalid")
    assert unterminated.json()["errors"][0]["loc"] == ["body", "file"]
    # Bob's job was never disturbed, and the server and workers are all still up.
    assert state(bob, bobs)["status"] in ("running", "done") or state(bob, bobs)["analysis_finished"]
    result = wait_all(bob, [bobs], stack)[bobs]
    assert result["analysis_report"]["part_vol"] == pytest.approx(4.18879, rel=2e-3)
    assert requests.get(f"{stack.server.url}/readyz", timeout=10).status_code == 200
    assert all(w.alive for w in stack.workers)
