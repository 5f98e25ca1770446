"""The API keeps serving when a job's process segfaults or runs out of memory on a real part.

The server is the real app in this process (tests/service/inprocess.py); its runner forks a
process per job. The segfault is real (tests/job_tasks.py reads address 0 in the child); the
out-of-memory is the real analysis of an 81,920-triangle sphere under a memory limit too small
for its arrays (numpy maps arrays over 128 KiB afresh, so they need address space the limit
does not give).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trimesh

from tests import job_tasks
from tests.service.inprocess import InProcessServer
from tests.service.live import Api

CUBE = Path(__file__).resolve().parents[2] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux process limits")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessServer]:
    # A mesh analysis may take 1 MiB beyond the loaded code: far too little for any part.
    server = InProcessServer(
        tmp_path_factory.mktemp("isolation") / "data",
        job_memory_limits='{"mesh.analyze": 1}',
        gc_interval_s=0,
    )
    server.start()
    yield server
    server.stop()


def _analysis(api: Api, path: Path) -> dict:
    return api.analysis(api.upload_part(path.name, path.read_bytes()))


def test_a_segfaulting_analysis_ends_as_crashed_and_the_api_serves_on(live: InProcessServer) -> None:
    api = Api(live.url)
    runner = live.app.state.services.runner
    real = runner.tasks["part.analyze"]
    runner.tasks["part.analyze"] = job_tasks.segfault
    try:
        crashed = _analysis(api, CUBE)
    finally:
        runner.tasks["part.analyze"] = real
    assert crashed["status"] == "error"
    assert crashed["error"]["code"] == "job.crashed"
    assert "SIGSEGV" in crashed["error"]["message"]
    assert api.get("/readyz").status_code == 200
    after = _analysis(api, CUBE)
    assert after["analysis_report"] is not None, after


def test_an_analysis_over_its_memory_limit_ends_as_crashed(live: InProcessServer) -> None:
    api = Api(live.url)
    sphere = trimesh.creation.icosphere(subdivisions=6, radius=20.0)
    assert len(sphere.faces) == 81_920
    data = trimesh.exchange.stl.export_stl(sphere)
    uploaded = api.post("/api/v1/files/upload", files={"file": ("sphere.stl", data)})
    assert uploaded.status_code == 200, uploaded.text
    mesh = api.done(api.post("/api/v1/geom/meshes/import", json={"file_id": uploaded.json()["file_id"]}))
    task = api.task(api.post("/api/v1/geom/meshes/analyze", json={"id": mesh["id"]}))
    assert task["status"] == "error", task
    assert task["error"]["code"] == "job.crashed"
    assert "out of memory" in task["error"]["message"]
    assert api.get("/readyz").status_code == 200
    assert api.get(f"/api/v1/geom/meshes/{mesh['id']}").status_code == 200
