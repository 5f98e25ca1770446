"""Backup, restore and upgrade, end to end through the API.

1. A server on SQLite gets real data through both APIs: an analysed part (3D Spark API), an
   uploaded file, an imported mesh, a created tray and their tasks (3D Print API).
2. Its database is taken down to the first release's schema (Alembic's base revision, 0001)
   with the migrations' own downgrades: a database as the first release left it.
3. ``makeready admin backup`` writes it out; ``admin restore`` loads it into PostgreSQL,
   building the 0001 schema, loading the rows and upgrading to this version's schema.
4. A server on the restored PostgreSQL database answers for every resource as before, and a
   token issued before the backup still signs in (the signing keys came along). The SQLite
   database left at 0001 is upgraded in place by a server's start, and answers the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from makeready.store.db import Database
from tests.service.inprocess import InProcessServer
from tests.service.live import Api, postgres_database

CUBE = Path(__file__).resolve().parents[2] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"
FDM = "FC94B6A0-DC1A-56BC-89D1-6C9323FCF953"  # Prusa MK4
FDM_PROFILE = "CC4E883A-7364-586F-A0C3-292349DD18EA"
BASE_REVISION = "0001"


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[InProcessServer, dict[str, Any]]]:
    server = InProcessServer(tmp_path_factory.mktemp("backup") / "data", gc_interval_s=0)
    server.start()
    try:
        yield server, _populate(Api(server.url))
    finally:
        server.stop()


def _populate(api: Api) -> dict[str, Any]:
    """Real data through both APIs; returns the ids and what each resource answered."""
    part = {"part_id": api.upload_part(CUBE.name, CUBE.read_bytes(), lot_size=10)}
    analysis = api.analysis(part["part_id"])
    assert analysis["analysis_report"] is not None
    upload = api.post("/api/v1/files/upload", files={"file": ("cube.stl", CUBE.read_bytes())}).json()
    imported = api.post("/api/v1/geom/meshes/import", json={"file_id": upload["file_id"], "name": "cube"})
    mesh = api.done(imported)
    tray = api.done(
        api.post(
            "/api/v1/print/trays",
            json={"printer_type_id": FDM, "profile_id": FDM_PROFILE, "mesh_ids": [mesh["id"]]},
        )
    )
    ids = {
        "part": part["part_id"],
        "file": upload["file_id"],
        "mesh": mesh["id"],
        "tray": tray["id"],
        "task": imported.json()["id"],
    }
    return {"ids": ids, "answers": _answers(api, ids), "token": api.token}


def _answers(api: Api, ids: dict[str, str]) -> dict[str, Any]:
    """Each resource as the API answers it (the fields a release keeps)."""
    analysis = api.get(f"/api/v1/analysisResult/{ids['part']}/").json()
    mesh = api.get(f"/api/v1/geom/meshes/{ids['mesh']}").json()
    tray = api.get(f"/api/v1/print/trays/{ids['tray']}").json()
    task = api.get(f"/api/v1/print/tasks/{ids['task']}").json()
    download = api.get(f"/api/v1/files/{ids['file']}")
    return {
        "analysis": {
            k: analysis[k]
            for k in ("analysis_finished", "analysis_report", "simplified_result")
            if k in analysis
        },
        "mesh": {k: mesh[k] for k in ("id", "name", "geom", "problems") if k in mesh},
        "tray": {k: tray[k] for k in ("id", "printer_type_id", "profile_id", "meshes", "state") if k in tray},
        "task": {k: task[k] for k in ("id", "status", "result") if k in task},
        "file": (download.status_code, download.content),
    }


def _reads_back(server: InProcessServer, before: dict[str, Any]) -> None:
    api = Api(server.url)
    assert _answers(api, before["ids"]) == before["answers"]
    # A token issued by the original server verifies here: its signing key was restored.
    old = requests.get(
        f"{server.url}/api/v1/geom/meshes/{before['ids']['mesh']}",
        headers={"Authorization": f"Bearer {before['token']}"},
        timeout=30,
    )
    assert old.status_code == 200, old.text


def test_a_first_release_database_is_backed_up_restored_into_postgresql_and_upgraded(
    original: tuple[InProcessServer, dict[str, Any]], tmp_path: Path
) -> None:
    server, before = original
    assert all(v for v in before["answers"].values())
    server.stop()
    database = Database(f"sqlite:///{server.data_dir / 'makeready.db'}")
    assert database.revisions()[0] == BASE_REVISION
    database.downgrade(BASE_REVISION)
    database.dispose()

    archive = tmp_path / "first-release.tar"
    wrote = server.cli("admin", "backup", str(archive), "--json")
    assert wrote.returncode == 0, wrote.stderr
    backup = json.loads(wrote.stdout)
    assert backup["revision"] == BASE_REVISION
    assert (backup["rows"]["parts"], backup["rows"]["meshes"], backup["rows"]["trays"]) == (1, 1, 1)
    assert backup["blobs"] >= 3  # two uploads of one cube share a blob; mesh, report

    with postgres_database(tmp_path) as url:
        restored = InProcessServer(tmp_path / "restored", url, gc_interval_s=0)
        loaded = restored.cli("admin", "restore", str(archive), "--json")
        assert loaded.returncode == 0, loaded.stderr
        report = json.loads(loaded.stdout)
        assert report["from_revision"] == BASE_REVISION
        assert report["to_revision"] == database.revisions()[-1]
        assert report["rows"] == backup["rows"]
        assert report["blobs"] == backup["blobs"]
        again = restored.cli("admin", "restore", str(archive))
        assert again.returncode == 2
        assert "backup.target_not_empty" in again.stderr + again.stdout
        restored.start()
        try:
            _reads_back(restored, before)
        finally:
            restored.stop()

    server.start()  # the SQLite database still at 0001: the server's start upgrades it in place
    _reads_back(server, before)


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    fresh = InProcessServer(tmp_path / "data")
    bogus = tmp_path / "bogus.tar"
    bogus.write_bytes(CUBE.read_bytes())
    refused = fresh.cli("admin", "restore", str(bogus))
    assert refused.returncode == 2
    assert "backup.invalid" in refused.stderr + refused.stdout
