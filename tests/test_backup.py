"""Backup and restore of the stores (SQLite here; PostgreSQL and the upgrade from the first
release's schema in tests/service/test_backup_upgrade.py)."""

from __future__ import annotations

import datetime as dt
import io
import json
import tarfile
from pathlib import Path

import pytest

from makeready.errors import MakereadyError
from makeready.store.backup import MANIFEST, backup, restore
from makeready.store.blobs import LocalBlobStore
from makeready.store.db import Database
from makeready.store.models import FileRecord, Job, PartRecord


def _stores(root: Path) -> tuple[Database, LocalBlobStore]:
    db = Database(f"sqlite:///{root / 'makeready.db'}")
    db.migrate()
    return db, LocalBlobStore(root / "blobs")


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Database, LocalBlobStore, dict[str, str]]:
    db, blobs = _stores(tmp_path / "live")
    digests = {name: blobs.put(f"{name} bytes".encode() * 50) for name in ("upload", "mesh", "report")}
    blobs.put(b"a blob no row refers to")
    created = dt.datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=dt.UTC)
    with db.session() as session:
        session.add(
            FileRecord(
                id="f1",
                owner="alice",
                name="bracket.stl",
                sha256=digests["upload"],
                size=1,
                content_type="model/stl",
                created_at=created,
            )
        )
        session.add(
            PartRecord(
                id="p" * 32,
                owner="alice",
                name="bracket",
                basename="bracket.stl",
                file_id="f1",
                mesh_sha256=digests["mesh"],
                report_sha256=digests["report"],
                options={"material": "PA12", "lot_size": 10},
                status="done",
                chains={"sls": {"cost_pp": 12.5}},
                created_at=created,
            )
        )
        session.add(Job(id="j1", owner="alice", kind="part.analyze", payload={"n": [1, 2]}, status="done"))
        session.commit()
    return db, blobs, digests


def test_a_backup_restores_every_row_and_referenced_blob(filled, tmp_path: Path) -> None:
    db, blobs, digests = filled
    report = backup(db, blobs, tmp_path / "b.tar")
    assert (report.rows["files"], report.rows["parts"], report.rows["jobs"]) == (1, 1, 1)
    assert report.blobs == 3  # the unreferenced blob is not kept
    target_db, target_blobs = _stores(tmp_path / "new")
    restored = restore(target_db, target_blobs, tmp_path / "b.tar")
    assert restored.rows == report.rows
    assert restored.from_revision == restored.to_revision == report.revision
    with target_db.session() as session:
        part = session.get(PartRecord, "p" * 32)
        upload = session.get(FileRecord, "f1")
        job = session.get(Job, "j1")
    assert None not in (part, upload, job)
    assert part.options == {"material": "PA12", "lot_size": 10}
    assert part.chains == {"sls": {"cost_pp": 12.5}}
    assert upload.created_at.replace(tzinfo=dt.UTC) == dt.datetime(
        2026, 11, 30, 12, 0, 0, 123456, tzinfo=dt.UTC
    )
    assert job.payload == {"n": [1, 2]}
    for digest in digests.values():
        assert target_blobs.get(digest) == blobs.get(digest)


def test_restore_refuses_a_database_with_rows(filled, tmp_path: Path) -> None:
    db, blobs, _ = filled
    backup(db, blobs, tmp_path / "b.tar")
    with pytest.raises(MakereadyError) as refused:
        restore(db, blobs, tmp_path / "b.tar")
    assert refused.value.code == "backup.target_not_empty"


def test_a_backup_missing_a_referenced_blob_fails_and_leaves_no_file(filled, tmp_path: Path) -> None:
    db, blobs, digests = filled
    blobs.path(digests["report"]).unlink()
    blobs._cache.drop(digests["report"])
    with pytest.raises(MakereadyError) as failed:
        backup(db, blobs, tmp_path / "b.tar")
    assert failed.value.code == "backup.incomplete"
    assert not list(tmp_path.glob("b.tar*"))


def _rewrite(source: Path, target: Path, change) -> None:
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old:
            data = old.extractfile(member).read()
            data = change(member.name, data)
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda name, data: b"x" + data[1:] if name.startswith("blobs/") else data, "backup.invalid"),
        (
            lambda name, data: (
                json.dumps({**json.loads(data), "revision": "9999"}).encode() if name == MANIFEST else data
            ),
            "backup.newer",
        ),
        (lambda name, data: b"" if name == "tables/parts.jsonl" else data, "backup.invalid"),
    ],
    ids=["damaged blob", "newer schema", "rows missing"],
)
def test_a_damaged_or_newer_backup_is_refused(filled, tmp_path: Path, change, code: str) -> None:
    db, blobs, _ = filled
    backup(db, blobs, tmp_path / "b.tar")
    _rewrite(tmp_path / "b.tar", tmp_path / "bad.tar", change)
    target_db, target_blobs = _stores(tmp_path / "new")
    with pytest.raises(MakereadyError) as refused:
        restore(target_db, target_blobs, tmp_path / "bad.tar")
    assert refused.value.code == code
