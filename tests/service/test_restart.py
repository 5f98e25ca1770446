"""Jobs survive the server: a clean stop, a kill -9, and a job that kills its worker every time."""

from __future__ import annotations

import io
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from makeready import save
from tests.meshes import part, uv_sphere
from tests.service.live import Api, LiveServer, postgres_database

CUBE = Path(__file__).resolve().parents[2] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"


@pytest.fixture(scope="module")
def slow_part() -> bytes:
    """A 40 k-triangle sphere: its analysis runs for seconds, long enough to be interrupted."""
    buffer = io.BytesIO()
    save(part(*uv_sphere(10.0, 200, 100)), buffer, "stl")
    return buffer.getvalue()


@pytest.fixture(params=["sqlite", "postgresql"])
def stopped(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A server (not yet started) on either backend; stopped after the test."""
    if request.param == "postgresql":
        with postgres_database(tmp_path) as url:
            live = LiveServer(tmp_path / "data", url, job_max_attempts=2)
            yield live
            live.stop(signal.SIGKILL)
    else:
        live = LiveServer(tmp_path / "data", job_max_attempts=2)
        yield live
        live.stop(signal.SIGKILL)


def _upload(api: Api, data: bytes) -> str:
    reply = api.post(
        "/api/v1/part/", data={"mat_name": "316L", "prc_acronym": "slm"}, files={"file": ("sphere.stl", data)}
    )
    assert reply.status_code == 201, reply.text
    return reply.json()["part_id"]  # type: ignore[no-any-return]


def _wait_running(api: Api, part_id: str, attempt: int = 1, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/analysisResult/{part_id}/").json()
        assert not body["analysis_finished"], "finished before it could be interrupted"
        if body["status"] == "running" and body["progress"] > 0 and body["attempts"] == attempt:
            return
        time.sleep(0.05)
    raise AssertionError("the job never started")


def _finished_before(api: Api) -> tuple[str, dict]:
    with CUBE.open("rb") as handle:
        part_id = api.post("/api/v1/part/", data={"mat_name": "316L"}, files={"file": handle}).json()[
            "part_id"
        ]
    return part_id, api.analysis(part_id)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["clean-stop", "kill-9"])
def test_a_running_job_finishes_after_a_restart(stopped: LiveServer, slow_part: bytes, sig: int) -> None:
    stopped.start()
    api = Api(stopped.url)
    earlier_id, earlier = _finished_before(api)
    part_id = _upload(api, slow_part)
    _wait_running(api, part_id)
    stopped.stop(sig)
    stopped.start()
    api = Api(stopped.url)  # the signing key survived: a new sign-in works, and so would the old token
    result = api.analysis(part_id, timeout=180)
    assert result["analysis_report"] is not None, result
    # (4/3)·π·(1 cm)³, less the 0.04 % the facets cut off
    assert result["analysis_report"]["part_vol"] == pytest.approx(4.18879, rel=2e-3)
    # Nothing that was stored before is lost or changed.
    assert api.get(f"/api/v1/analysisResult/{earlier_id}/").json() == earlier
    log = stopped.log.read_text()
    if sig == signal.SIGTERM:
        assert "jobs released for the next start" in log
    else:
        assert "expired jobs recovered" in log


def test_a_job_that_kills_its_worker_every_time_ends_in_error(stopped: LiveServer, slow_part: bytes) -> None:
    stopped.start()
    api = Api(stopped.url)
    part_id = _upload(api, slow_part)
    for attempt in (1, 2):  # job_max_attempts = 2
        _wait_running(api, part_id, attempt)
        stopped.stop(signal.SIGKILL)
        stopped.start()
        api = Api(stopped.url)
    deadline = time.monotonic() + 60
    while True:
        body = api.get(f"/api/v1/analysisResult/{part_id}/").json()
        if body["analysis_finished"]:
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.2)
    assert body["analysis_report"] is None
    assert body["status"] == "error"
    assert body["error"]["code"] == "job.crashed"
    assert "2 times" in body["error"]["message"]
    assert api.get("/readyz").status_code == 200
