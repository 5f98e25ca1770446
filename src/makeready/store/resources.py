"""Reading and writing the stored resources: files, meshes, trays, all scoped to an owner.

Lengths on the 3D Print API wire are centimetres; the library works in millimetres. Conversions
happen here and nowhere else: :func:`transform_mm` turns a wire transform (3 × 4, cm) into a
4 × 4 matrix in mm, :func:`mesh_json` reports bounding boxes and problem locations in cm.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from makeready.geometry.mesh import Part
from makeready.store.blobs import BlobStore
from makeready.store.meshes import pack_part, unpack_part
from makeready.store.models import Base, FileRecord, MeshRecord, TrayRecord, utcnow

__all__ = [
    "IDENTITY",
    "create_mesh",
    "deterministic_ids",
    "mesh_json",
    "mesh_part",
    "new_id",
    "owned",
    "problems_in_cm",
    "record_file",
    "save_file",
    "transform_cm",
    "transform_mm",
    "tray_json",
]

#: 3D Print API's identity transform (3 rows of a 3 × 4 affine matrix, cm).
IDENTITY: list[list[float]] = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
MM_PER_CM = 10.0

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


def transform_mm(transform: Any) -> npt.NDArray[np.float64]:
    """A wire transform (3 × 4 rows, cm translation) as a 4 × 4 matrix in mm."""
    matrix = np.eye(4)
    matrix[:3, :] = np.asarray(transform, dtype=np.float64).reshape(3, 4)
    matrix[:3, 3] *= MM_PER_CM
    return matrix


def transform_cm(matrix: npt.ArrayLike) -> list[list[float]]:
    """A 4 × 4 matrix in mm as a wire transform (3 × 4 rows, cm translation)."""
    rows = np.array(matrix, dtype=np.float64)[:3, :].copy()
    rows[:, 3] /= MM_PER_CM
    return [[float(x) for x in row] for row in rows]


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
    lo, hi = part.bounds if part.triangle_count else (np.zeros(3), np.zeros(3))
    mesh = MeshRecord(
        id=new_id(),
        owner=owner,
        name=name[:255],
        internal_file_id=internal.id,
        transform=transform or IDENTITY,
        geom={
            "num_vertices": part.vertex_count,
            "num_triangles": part.triangle_count,
            "has_uvs": part.has_uvs,
            "bounding_box": {
                "min": [float(x) / MM_PER_CM for x in lo],
                "max": [float(x) / MM_PER_CM for x in hi],
            },
        },
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


def mesh_json(mesh: MeshRecord, transform: list[list[float]] | None = None) -> dict[str, Any]:
    """3D Print API's mesh object (cm); ``problems`` only once analysed."""
    body: dict[str, Any] = {
        "id": mesh.id,
        "name": mesh.name,
        "internal_file_id": mesh.internal_file_id,
        "transform": transform or mesh.transform,
        "geom": mesh.geom,
        "analyzed": mesh.analyzed,
    }
    if mesh.analyzed:
        body["problems"] = mesh.problems or []
    if mesh.visual_file_id:
        body["visual_file_id"] = mesh.visual_file_id
    return body


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return value * factor
    if isinstance(value, list):
        return [_scaled(v, factor) for v in value]
    if isinstance(value, dict):
        return {k: _scaled(v, factor) for k, v in value.items()}
    return value


def problems_in_cm(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """3D Print API problems with every location converted from mm to cm (counts untouched)."""
    out = []
    for problem in problems:
        converted = {
            k: (v if k in ("type", "count") else _scaled(v, 1.0 / MM_PER_CM)) for k, v in problem.items()
        }
        out.append(converted)
    return out


def tray_json(session: Session, tray: TrayRecord, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """3D Print API's tray object: meshes in full, each with its placement on the tray (cm).

    ``settings`` are the profile's printing and slicing settings shown under ``settings``.
    """
    rows = {m.id: m for m in session.scalars(select(MeshRecord).where(MeshRecord.id.in_(tray.mesh_ids)))}
    meshes = []
    for mesh_id in tray.mesh_ids:
        mesh = rows.get(mesh_id)
        if mesh is None:
            continue
        placement = tray.placements.get(mesh_id)
        meshes.append(mesh_json(mesh, transform_cm(placement) if placement is not None else None))
    body = {
        "id": tray.id,
        "printer_type_id": tray.printer_type_id,
        "profile_id": tray.profile_id,
        "default_material_id": tray.default_material_id,
        "settings": settings or {},
        "meshes": meshes,
        "mesh_attrs": tray.mesh_attrs,
        "state": tray.state,
        "ready": tray.ready,
        "notes": tray.notes,
    }
    if tray.visual_file_id:
        body["visual_file_id"] = tray.visual_file_id
    return body
