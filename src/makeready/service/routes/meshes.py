"""3D Print API's meshes (immutable): import, analyze, repair, transform, rename, export."""

from __future__ import annotations

import gzip
import math
import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, field_validator

from makeready.rendering.display import mesh_display, pack_display
from makeready.rendering.print_api import mesh_json
from makeready.service.auth import Reader, Svc, Writer
from makeready.service.display import DISPLAY_MEDIA_TYPE, display_response
from makeready.service.lookup import owned_or_404
from makeready.service.routes.tasks import submit
from makeready.service.state import Services
from makeready.store.models import FileRecord, MeshRecord, utcnow
from makeready.store.resources import mesh_part
from makeready.wire import Mesh, Task

router = APIRouter(prefix="/api/v1/geom/meshes", tags=["3D Print API: meshes"])

Transform = list[list[float]]


def _valid_transform(value: Transform | None) -> Transform | None:
    if value is None:
        return None
    if len(value) != 3 or any(len(row) != 4 for row in value):
        raise ValueError("transform must be 3 rows of 4 numbers, e.g. [[1,0,0,0],[0,1,0,0],[0,0,1,0]]")
    if not all(math.isfinite(x) for row in value for x in row):
        raise ValueError("transform numbers must be finite")
    linear = [row[:3] for row in value]
    det = (
        linear[0][0] * (linear[1][1] * linear[2][2] - linear[1][2] * linear[2][1])
        - linear[0][1] * (linear[1][0] * linear[2][2] - linear[1][2] * linear[2][0])
        + linear[0][2] * (linear[1][0] * linear[2][1] - linear[1][1] * linear[2][0])
    )
    if abs(det) < 1e-12:
        raise ValueError("transform must not flatten the mesh (its 3 x 3 part is singular)")
    return value


class ImportRequest(BaseModel):
    """``POST meshes/import``."""

    file_id: uuid.UUID
    name: str | None = Field(None, max_length=255, description="default: the file's name without extension")
    transform: Transform | None = None
    units: str | None = Field(None, description="units of STL/OBJ/PLY/OFF coordinates before cm conversion")
    generate_visual: bool = False

    _check = field_validator("transform")(_valid_transform)


class MeshRequest(BaseModel):
    """A request naming one mesh."""

    id: uuid.UUID


class RepairRequest(MeshRequest):
    """``POST meshes/repair``: ``all`` also resolves self-intersections."""

    all: bool = False
    generate_visual: bool = False


class TransformRequest(MeshRequest):
    """``POST meshes/transform``."""

    transform: Transform

    _check = field_validator("transform")(_valid_transform)


class RenameRequest(MeshRequest):
    """``POST meshes/rename``."""

    name: str = Field(max_length=255)


class ExportRequest(MeshRequest):
    """``POST meshes/export``."""

    file_type: Literal["obj", "stl_ascii", "stl_binary", "3mf"]


def _mesh(svc: Services, mesh_id: uuid.UUID | str, owner: str) -> MeshRecord:
    with svc.db.session() as session:
        mesh = owned_or_404(session, MeshRecord, str(mesh_id), owner, "mesh")
    return mesh


@router.post(
    "/import",
    status_code=202,
    response_model=Task,
    response_model_exclude_unset=True,
    summary="Import an uploaded file as a mesh (task)",
)
def import_mesh(svc: Svc, body: ImportRequest, principal: Writer) -> JSONResponse:
    """Read the file into a new mesh; the task's result is the mesh."""
    with svc.db.session() as session:
        owned_or_404(session, FileRecord, str(body.file_id), principal.owner, "file")
    payload = {
        "file_id": str(body.file_id),
        "name": body.name,
        "transform": body.transform,
        "units": body.units,
        "generate_visual": body.generate_visual,
    }
    return submit(svc, principal, "mesh.import", payload)


@router.get("/{mesh_id}", response_model=Mesh, response_model_exclude_unset=True, summary="One mesh")
def get_mesh(svc: Svc, mesh_id: str, principal: Reader) -> dict[str, Any]:
    """3D Print API's mesh object (cm)."""
    return mesh_json(_mesh(svc, mesh_id, principal.owner))


@router.get(
    "/{mesh_id}/display",
    response_class=Response,
    summary="The mesh to draw (binary: positions and triangles, mm)",
    responses={200: {"content": {DISPLAY_MEDIA_TYPE: {}}}},
)
def mesh_display_document(request: Request, svc: Svc, mesh_id: str, principal: Reader) -> Response:
    """The mesh's display document (docs/viewer.md) in its own coordinates, mm.

    Apply the mesh's ``transform`` (cm) to place it; decimated above
    ``MAKEREADY_DISPLAY_MAX_FACES`` triangles; gzip when accepted.
    """
    mesh = _mesh(svc, mesh_id, principal.owner)
    with svc.db.session() as session:
        part = mesh_part(session, svc.blobs, mesh)
    document = pack_display(mesh_display(part, max_faces=svc.settings.display_max_faces))
    # Meshes are immutable: the id and the decimation limit name the content.
    etag = f"{mesh.id}-{svc.settings.display_max_faces}"
    return display_response(request, gzip.compress(document, 5, mtime=0), etag)


@router.post(
    "/analyze",
    status_code=202,
    response_model=Task | Mesh,
    response_model_exclude_unset=True,
    summary="Find the eight problem types (task)",
)
def analyze_mesh(svc: Svc, body: MeshRequest, principal: Writer) -> JSONResponse:
    """200 with the mesh if it was analysed already, else 202 with a task."""
    mesh = _mesh(svc, body.id, principal.owner)
    if mesh.analyzed:
        return JSONResponse(mesh_json(mesh))
    return submit(svc, principal, "mesh.analyze", {"id": mesh.id})


@router.post(
    "/repair",
    status_code=202,
    response_model=Task,
    response_model_exclude_unset=True,
    summary="Repair into a new mesh (task)",
)
def repair_mesh(request: Request, svc: Svc, body: RepairRequest, principal: Writer) -> JSONResponse:
    """The task's result is the new mesh with the problems that remain."""
    mesh = _mesh(svc, body.id, principal.owner)
    return submit(
        svc,
        principal,
        "mesh.repair",
        {"id": mesh.id, "all": body.all, "generate_visual": body.generate_visual},
    )


@router.post(
    "/generate-visual",
    status_code=202,
    response_model=Task,
    response_model_exclude_unset=True,
    summary="A visual file of the mesh: binary glTF with its problems (task)",
)
def generate_visual(svc: Svc, body: MeshRequest, principal: Writer) -> JSONResponse:
    """The task's result is the mesh with ``visual_file_id``: a .glb (metres) with its problems marked."""
    mesh = _mesh(svc, body.id, principal.owner)
    return submit(svc, principal, "mesh.generate_visual", {"id": mesh.id})


def _copy(svc: Services, mesh: MeshRecord, **changes: Any) -> dict[str, Any]:
    """A new mesh sharing the geometry file (meshes are immutable; their files too)."""
    with svc.db.session() as session:
        new = MeshRecord(
            id=str(uuid.uuid4()),
            owner=mesh.owner,
            name=mesh.name,
            internal_file_id=mesh.internal_file_id,
            transform=mesh.transform,
            geom=mesh.geom,
            analyzed=mesh.analyzed,
            problems=mesh.problems,
            visual_file_id=mesh.visual_file_id if not changes.get("transform") else None,
            created_at=utcnow(),
        )
        for key, value in changes.items():
            setattr(new, key, value)
        session.add(new)
        session.commit()
        return mesh_json(new)


@router.post(
    "/transform",
    response_model=Mesh,
    response_model_exclude_unset=True,
    summary="A new mesh with another transform",
)
def transform_mesh(svc: Svc, body: TransformRequest, principal: Writer) -> dict[str, Any]:
    """Synchronous; problems and ``analyzed`` carry over."""
    return _copy(svc, _mesh(svc, body.id, principal.owner), transform=body.transform)


@router.post(
    "/rename", response_model=Mesh, response_model_exclude_unset=True, summary="A new mesh with another name"
)
def rename_mesh(svc: Svc, body: RenameRequest, principal: Writer) -> dict[str, Any]:
    """Synchronous; problems and ``analyzed`` carry over."""
    return _copy(svc, _mesh(svc, body.id, principal.owner), name=body.name)


@router.post(
    "/export",
    status_code=202,
    response_model=Task,
    response_model_exclude_unset=True,
    summary="Export as OBJ or STL (task)",
)
def export_mesh(svc: Svc, body: ExportRequest, principal: Writer) -> JSONResponse:
    """The task's result is ``{"file_id"}`` (mm, the mesh's transform applied)."""
    mesh = _mesh(svc, body.id, principal.owner)
    return submit(svc, principal, "mesh.export", {"id": mesh.id, "file_type": body.file_type})
