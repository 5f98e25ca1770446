"""Backup and restore: every row and every blob they refer to, in one portable tar file.

A backup is a logical dump, not a copy of database files: the rows of every table as JSON
lines, read from one consistent snapshot (SQLite: an online backup copy taken first with
SQLite's backup API; PostgreSQL: one REPEATABLE READ transaction), the schema revision they
were read at, and the blobs those rows refer to. So a backup taken on SQLite restores into
PostgreSQL (moving to the scaled mode) and one taken by an older makeready restores into a
newer one: :func:`restore` builds the schema as of the backup's revision, loads the rows, then
upgrades to this version's schema with the same migrations a running server applies.

Layout of the tar file::

    makeready-backup.json     format, revision, creation time, row and blob counts
    tables/<table>.jsonl      one JSON object per row (date-times as ISO 8601 strings)
    blobs/<sha256>            the blob's bytes, verified against its name on restore

Blobs are content-addressed and never change, so copying them after the snapshot is safe: a
blob a snapshot row refers to was stored before that row was committed. One that the
retention sweep deleted in between (possible only for a part deleted after the snapshot) is
reported as missing and the backup fails (``backup.incomplete``): run it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, DateTime, MetaData, Table, func, select, text

from makeready.errors import MakereadyError
from makeready.store.blobs import BlobStore
from makeready.store.db import Database
from makeready.store.retention import BLOB_COLUMNS

__all__ = ["BACKUP_FORMAT", "BackupReport", "RestoreReport", "backup", "restore"]

#: Version of the tar layout; a reader refuses formats it does not know.
BACKUP_FORMAT = 1
MANIFEST = "makeready-backup.json"
#: Rows inserted per statement on restore.
_INSERT_BATCH = 500


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What :func:`backup` wrote.

    Attributes
    ----------
    path : Path
        The tar file.
    revision : str
        The schema revision the rows were read at.
    rows : dict
        Table name -> rows written.
    blobs, blob_bytes : int
        Blobs written and their bytes.
    seconds : float
        Wall time.

    """

    path: Path
    revision: str
    rows: dict[str, int]
    blobs: int
    blob_bytes: int
    seconds: float


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """What :func:`restore` loaded.

    Attributes
    ----------
    from_revision, to_revision : str
        The backup's schema revision and this version's, after the upgrade.
    rows : dict
        Table name -> rows loaded (equal to the backup's counts, or restore fails).
    blobs, blob_bytes : int
        Blobs stored and their bytes.
    seconds : float
        Wall time.

    """

    from_revision: str
    to_revision: str
    rows: dict[str, int] = field(default_factory=dict)
    blobs: int = 0
    blob_bytes: int = 0
    seconds: float = 0.0


def backup(db: Database, blobs: BlobStore, target: Path) -> BackupReport:
    """Write every row and every referenced blob to the tar file ``target``.

    Safe while the service runs. Raises ``backup.incomplete`` when a referenced blob is gone
    from the store (nothing is left at ``target`` then).
    """
    started = time.perf_counter()
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    rows: dict[str, int] = {}
    referenced: set[str] = set()
    try:
        with tarfile.open(partial, "w") as archive, _snapshot(db) as connection:
            revision = _revision(connection)
            for table in _tables(connection):
                lines = io.BytesIO()
                count = 0
                for row in connection.execute(select(table)).mappings():
                    lines.write(json.dumps(dict(row), default=_encode, separators=(",", ":")).encode())
                    lines.write(b"\n")
                    count += 1
                    referenced.update(row[c] for c in BLOB_COLUMNS.get(table.name, ()) if row.get(c))
                rows[table.name] = count
                _add(archive, f"tables/{table.name}.jsonl", lines.getvalue())
            blob_bytes, missing = 0, []
            for sha256 in sorted(referenced):
                try:
                    data = blobs.get(sha256)
                except MakereadyError:
                    missing.append(sha256)
                    continue
                _add(archive, f"blobs/{sha256}", data)
                blob_bytes += len(data)
            if missing:
                raise MakereadyError(
                    "backup.incomplete",
                    f"{len(missing)} blob(s) the database refers to are not in the blob store"
                    f" (first: {missing[0]}); if the retention sweep ran during the backup, run it again",
                    missing=missing[:20],
                )
            manifest = {
                "format": BACKUP_FORMAT,
                "revision": revision,
                "database": db.backend,
                "created": dt.datetime.now(dt.UTC).isoformat(),
                "rows": rows,
                "blobs": len(referenced),
                "blob_bytes": blob_bytes,
            }
            _add(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(target, revision, rows, len(referenced), blob_bytes, time.perf_counter() - started)


def restore(db: Database, blobs: BlobStore, source: Path) -> RestoreReport:
    """Load the backup ``source`` into an empty database and blob store, then upgrade the schema.

    Raises ``backup.invalid`` for a file that is not a makeready backup (or is damaged),
    ``backup.newer`` for one made by a newer makeready, and ``backup.target_not_empty`` when
    the database holds rows (restore into a new data directory or database, before its
    server's first start).
    """
    started = time.perf_counter()
    with _open(source) as archive:
        manifest = _manifest(archive, source)
        revision = str(manifest["revision"])
        if revision not in db.revisions():
            raise MakereadyError(
                "backup.newer",
                f"{source}: made at schema revision {revision}, which this makeready does not know"
                " (restore it with the version that made it, or a newer one)",
            )
        _require_empty(db)
        db.downgrade("base")  # an empty schema of another revision: start from nothing
        db.upgrade(revision)
        loaded = _load_rows(db, archive, manifest, source)
        count, size = _load_blobs(blobs, archive, source)
    db.migrate()
    with db.engine.connect() as connection:
        to_revision = _revision(connection)
    return RestoreReport(revision, to_revision, loaded, count, size, time.perf_counter() - started)


# --- backup ---------------------------------------------------------------------------------------


@contextmanager
def _snapshot(db: Database) -> Iterator[Connection]:
    """A connection that sees one consistent state of the whole database."""
    if db.backend == "sqlite":
        database = db.url.database
        assert database, "the SQLite database is a file"
        with tempfile.TemporaryDirectory(prefix="makeready-backup-") as scratch:
            copy = Path(scratch) / "snapshot.sqlite"
            with sqlite3.connect(database) as live, sqlite3.connect(copy) as frozen:
                live.backup(frozen)  # SQLite's online backup: a consistent copy while writers go on
            snapshot = Database(f"sqlite:///{copy}")
            try:
                with snapshot.engine.connect() as connection:
                    yield connection
            finally:
                snapshot.dispose()
        return
    with (
        db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection,
        connection.begin(),
    ):
        yield connection


def _revision(connection: Connection) -> str:
    return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


def _tables(connection: Connection) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(connection)
    return [t for t in metadata.sorted_tables if t.name != "alembic_version"]


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    archive.addfile(info, io.BytesIO(data))


# --- restore --------------------------------------------------------------------------------------


def _open(source: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(source, "r")
    except (OSError, tarfile.TarError) as exc:
        raise MakereadyError("backup.invalid", f"{source}: not a makeready backup ({exc})") from None


def _manifest(archive: tarfile.TarFile, source: Path) -> dict[str, Any]:
    try:
        handle = archive.extractfile(MANIFEST)
        manifest = json.loads(handle.read()) if handle else None
    except (KeyError, ValueError, tarfile.TarError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        raise MakereadyError(
            "backup.invalid", f"{source}: no makeready backup manifest of format {BACKUP_FORMAT}"
        )
    return manifest


def _require_empty(db: Database) -> None:
    with db.engine.connect() as connection:
        for table in _tables(connection):
            if connection.execute(select(func.count()).select_from(table)).scalar_one():
                raise MakereadyError(
                    "backup.target_not_empty",
                    f"the database already holds {table.name}; restore into a new data directory"
                    " (MAKEREADY_DATA_DIR) or an empty database, before its server first starts",
                )


def _load_rows(
    db: Database, archive: tarfile.TarFile, manifest: dict[str, Any], source: Path
) -> dict[str, int]:
    expected: dict[str, int] = {str(k): int(v) for k, v in dict(manifest.get("rows", {})).items()}
    loaded: dict[str, int] = {}
    with db.engine.begin() as connection:
        tables = {t.name: t for t in _tables(connection)}
        for name in [n for n in tables if n in expected]:
            table = tables[name]
            times = [c.name for c in table.columns if isinstance(c.type, DateTime)]
            handle = _member(archive, f"tables/{name}.jsonl", source)
            batch: list[dict[str, Any]] = []
            count = 0
            for line in handle:
                row = json.loads(line)
                for column in times:
                    if row.get(column) is not None:
                        row[column] = dt.datetime.fromisoformat(row[column])
                batch.append(row)
                if len(batch) == _INSERT_BATCH:
                    connection.execute(table.insert(), batch)
                    count, batch = count + len(batch), []
            if batch:
                connection.execute(table.insert(), batch)
                count += len(batch)
            loaded[name] = count
        unknown = sorted(set(expected) - set(tables))
        if unknown or loaded != expected:
            raise MakereadyError(
                "backup.invalid",
                f"{source}: the rows do not match the manifest (tables {unknown or 'as listed'},"
                f" rows {loaded} against {expected})",
            )
    return loaded


def _load_blobs(blobs: BlobStore, archive: tarfile.TarFile, source: Path) -> tuple[int, int]:
    count = size = 0
    for member in archive:
        if not member.name.startswith("blobs/"):
            continue
        name = member.name.removeprefix("blobs/")
        data = _member(archive, member.name, source).read()
        if hashlib.sha256(data).hexdigest() != name:
            raise MakereadyError(
                "backup.invalid", f"{source}: blob {name} is damaged (its bytes do not match)"
            )
        blobs.put(data)
        count, size = count + 1, size + len(data)
    return count, size


def _member(archive: tarfile.TarFile, name: str, source: Path) -> IO[bytes]:
    try:
        handle = archive.extractfile(name)
    except KeyError:
        handle = None
    if handle is None:
        raise MakereadyError("backup.invalid", f"{source}: {name} is missing")
    return handle
