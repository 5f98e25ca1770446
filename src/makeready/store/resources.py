"""Reading and writing the stored resources: files, meshes, trays, all scoped to an owner.

Meshes and trays are stored in the 3D Print API's shapes (cm); the conversions from the library's
millimetres are :mod:`makeready.rendering.print_api`'s.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from makeready.geometry.mesh import Part
from makeready.rendering.print_api import IDENTITY, geom_json
from makeready.store.blobs import BlobStore
from makeready.store.meshes import pack_part, unpack_part
from makeready.store.models import Base, FileRecord, MeshRecord, TrayRecord, utcnow

__all__ = [
    "create_mesh",
    "deterministic_ids",
    "mesh_part",
    "new_id",
    "owned",
    "record_file",
    "save_file",
    "tray_meshes",
]


_Row = TypeVar("_Row", bound=Base)

_ID_NAMESPACE = uuid.UUID("6f0c9a52-57a1-4c7e-9a55-3f1d8e0b6a11")
_id_source: ContextVar[tuple[str, Iterator[int]] | None] = ContextVar("makeready_id_source", default=None)


@contextmanager
def deterministic_ids(seed: str) -> Iterator[None]:
    """Make :func:`new_id` return ``uuid5(seed, n)`` for n = 0, 1, 2… inside the block.

    A job runs with its id as the seed, so a second run of the same job (a retry after its
    worker was presumed dead) writes the same rows under the same keys — rows are merged, not
    added, so the job leaves one result however often it ran.
    """
    token = _id_source.set((seed, itertools.count()))
    try:
        yield
    finally:
        _id_source.reset(token)


def new_id() -> str:
    """A new resource id: random, or the next deterministic one inside :func:`deterministic_ids`."""
    source = _id_source.get()
    if source is None:
        return str(uuid.uuid4())
    seed, counter = source
    return str(uuid.uuid5(_ID_NAMESPACE, f"{seed}/{next(counter)}"))


def owned(session: Session, model: type[_Row], key: str, owner: str) -> _Row | None:
    """The row of ``model`` with primary key ``key`` if ``owner`` owns it, else None."""
    row = session.get(model, key)
    if row is None or getattr(row, "owner", None) != owner:
        return None
    return row


def record_file(
    session: Session, owner: str, name: str, sha256: str, size: int, content_type: str
) -> FileRecord:
    """A file resource for bytes already in the blob store (merged into the session)."""
    record = FileRecord(
        id=new_id(),
        owner=owner,
        name=name[:255],
        sha256=sha256,
        size=size,
        content_type=content_type,
        created_at=utcnow(),
    )
    return session.merge(record)


def save_file(
    session: Session, blobs: BlobStore, owner: str, name: str, data: bytes, content_type: str
) -> FileRecord:
    """Store bytes as a new file resource (merged into the session, not committed)."""
    return record_file(session, owner, name, blobs.put(data), len(data), content_type)


def create_mesh(
    session: Session,
    blobs: BlobStore,
    owner: str,
    part: Part,
    name: str,
    transform: list[list[float]] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> MeshRecord:
    """Store a part as a new immutable mesh (added to the session, not committed).

    ``problems`` given (also an empty list) marks the mesh analysed.
    """
    internal = save_file(session, blobs, owner, f"{name}.npz", pack_part(part), "application/x-npz")
    mesh = MeshRecord(
        id=new_id(),
        owner=owner,
        name=name[:255],
        internal_file_id=internal.id,
        transform=transform or IDENTITY,
        geom=geom_json(part),
        analyzed=problems is not None,
        problems=problems,
        created_at=utcnow(),
    )
    return session.merge(mesh)


def mesh_part(session: Session, blobs: BlobStore, mesh: MeshRecord) -> Part:
    """The mesh's geometry in its object space (mm), without its transform."""
    record = session.get(FileRecord, mesh.internal_file_id)
    if record is None:
        raise LookupError(f"mesh {mesh.id} lost its geometry file {mesh.internal_file_id}")
    return unpack_part(blobs.get(record.sha256))


def tray_meshes(session: Session, tray: TrayRecord) -> list[MeshRecord]:
    """The stored meshes a tray holds (any order; a mesh deleted meanwhile is left out)."""
    return list(session.scalars(select(MeshRecord).where(MeshRecord.id.in_(tray.mesh_ids))))
