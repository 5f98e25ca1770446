"""Reading and writing the stored resources: files, meshes, trays, all scoped to an owner.

Lengths on the seed 003 wire are centimetres; the library works in millimetres. Conversions
happen here and nowhere else: :func:`transform_mm` turns a wire transform (3 × 4, cm) into a
4 × 4 matrix in mm, :func:`mesh_json` reports bounding boxes and problem locations in cm.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

from makeready.geometry.mesh import Part
from makeready.store.blobs import LocalBlobStore
from makeready.store.meshes import pack_part, unpack_part
from makeready.store.models import Base, FileRecord, MeshRecord, TrayRecord, utcnow

__all__ = [
    "IDENTITY",
    "create_mesh",
    "mesh_json",
    "mesh_part",
    "owned",
    "problems_in_cm",
    "save_file",
    "transform_cm",
    "transform_mm",
    "tray_json",
]

#: Seed 003's identity transform (3 rows of a 3 × 4 affine matrix, cm).
IDENTITY: list[list[float]] = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
MM_PER_CM = 10.0

_Row = TypeVar("_Row", bound=Base)


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


def save_file(
    session: Session, blobs: LocalBlobStore, owner: str, name: str, data: bytes, content_type: str
) -> FileRecord:
    """Store bytes as a new file resource (added to the session, not committed)."""
    record = FileRecord(
        id=str(uuid.uuid4()),
        owner=owner,
        name=name[:255],
        sha256=blobs.put(data),
        size=len(data),
        content_type=content_type,
        created_at=utcnow(),
    )
    session.add(record)
    return record


def create_mesh(
    session: Session,
    blobs: LocalBlobStore,
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
        id=str(uuid.uuid4()),
        owner=owner,
        name=name[:255],
        internal_file_id=internal.id,
        transform=transform or IDENTITY,
        geom={
            "num_vertices": part.vertex_count,
            "num_triangles": part.triangle_count,
            "has_uvs": False,
            "bounding_box": {
                "min": [float(x) / MM_PER_CM for x in lo],
                "max": [float(x) / MM_PER_CM for x in hi],
            },
        },
        analyzed=problems is not None,
        problems=problems,
        created_at=utcnow(),
    )
    session.add(mesh)
    return mesh


def mesh_part(session: Session, blobs: LocalBlobStore, mesh: MeshRecord) -> Part:
    """The mesh's geometry in its object space (mm), without its transform."""
    record = session.get(FileRecord, mesh.internal_file_id)
    if record is None:
        raise LookupError(f"mesh {mesh.id} lost its geometry file {mesh.internal_file_id}")
    return unpack_part(blobs.get(record.sha256))


def mesh_json(mesh: MeshRecord, transform: list[list[float]] | None = None) -> dict[str, Any]:
    """Seed 003's mesh object (cm); ``problems`` only once analysed."""
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
    """Seed 003 problems with every location converted from mm to cm (counts untouched)."""
    out = []
    for problem in problems:
        converted = {
            k: (v if k in ("type", "count") else _scaled(v, 1.0 / MM_PER_CM)) for k, v in problem.items()
        }
        out.append(converted)
    return out


def tray_json(session: Session, tray: TrayRecord, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """Seed 003's tray object: meshes in full, each with its placement on the tray (cm).

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
    return {
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
