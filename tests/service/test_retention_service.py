"""Deleting parts frees their bytes at the next retention sweep; what remains still reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.inprocess import InProcessServer
from tests.service.live import Api, LiveServer

CUBE = Path(__file__).resolve().parents[2] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"
FEATURES = Path(__file__).resolve().parents[1] / "data" / "featuretype.STL"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # No periodic sweep (the test sweeps by hand) and no grace: every unreferenced blob may go.
    server = InProcessServer(tmp_path_factory.mktemp("retention") / "data", gc_interval_s=0, gc_grace_s=0)
    server.start()
    yield server
    server.stop()


def _blob_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in (root / "blobs").rglob("*") if p.is_file())


def test_deleted_parts_are_swept_and_the_rest_still_reads(live: LiveServer) -> None:
    api = Api(live.url)
    ids = []
    for path in (CUBE, FEATURES):
        ids.append(api.upload_part(path.name, path.read_bytes()))
    for part_id in ids:
        assert api.analysis(part_id)["analysis_finished"]
    before = _blob_bytes(live.data_dir)
    assert api.delete(f"/api/v1/part/{ids[1]}/").status_code == 204
    dry = live.cli("admin", "gc", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["blobs"] >= 3  # the upload, the stored mesh, the report (and display) of featuretype
    assert _blob_bytes(live.data_dir) == before
    done = live.cli("admin", "gc", "--json")
    assert done.returncode == 0, done.stderr
    swept = json.loads(done.stdout)
    assert (swept["blobs"], swept["bytes"]) == (planned["blobs"], planned["bytes"])
    assert _blob_bytes(live.data_dir) == before - swept["bytes"]
    assert swept["bytes"] >= FEATURES.stat().st_size  # at least its upload
    kept = api.get(f"/api/v1/analysisResult/{ids[0]}/")
    assert kept.status_code == 200
    assert kept.json()["analysis_finished"]
    assert api.get(f"/api/v1/part/{ids[1]}/").status_code == 404
