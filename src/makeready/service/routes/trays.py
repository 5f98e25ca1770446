"""3D Print API's trays (immutable): create, prepare, generate-printable, export-support."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from makeready.errors import MakereadyError
from makeready.print_definitions import PrintDefinitions
from makeready.rendering.print_api import tray_json
from makeready.service.auth import Reader, Svc, Writer
from makeready.service.lookup import owned_or_404
from makeready.service.routes.tasks import submit
from makeready.service.state import Services
from makeready.store.models import FileRecord, MeshRecord, TrayRecord
from makeready.store.resources import tray_meshes
from makeready.wire import Task, Tray
from makeready.workflows.trays import create_tray as create_library_tray

router = APIRouter(prefix="/api/v1/print/trays", tags=["3D Print API: trays"])


class MeshAttrsBody(BaseModel):
    """What prepare may do to one mesh."""

    reposition: bool = True
    reorient: bool = True
    support: bool = True


class CreateTray(BaseModel):
    """``POST trays``."""

    printer_type_id: str = Field(max_length=100)
    profile_id: str | None = Field(None, max_length=100)
    default_material_id: str | None = Field(None, max_length=100)
    mesh_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    mesh_attrs: dict[str, MeshAttrsBody] | None = None


class TrayRequest(BaseModel):
    """A request naming one tray."""

    id: uuid.UUID
    generate_visual: bool = False
    generate_raw: bool = False


class TranslateRequest(BaseModel):
    """``POST trays/translate``: a raw tray file -> a printer type's printable."""

    raw_file_id: uuid.UUID
    printer_type_id: str = Field(max_length=100)
    profile_id: str | None = Field(None, max_length=100)
    profile: str | None = Field(
        None, max_length=100, description="the API's alternative spelling of profile_id"
    )
    material_id: str | None = Field(None, max_length=100)
    job_name: str = Field("Spark", max_length=200)


class ExportSupport(TrayRequest):
    """``POST trays/export-support``."""

    mesh_ids: list[uuid.UUID] | None = None


def _tray(svc: Services, tray_id: uuid.UUID | str, owner: str) -> TrayRecord:
    with svc.db.session() as session:
        tray = owned_or_404(session, TrayRecord, str(tray_id), owner, "tray")
    return tray


@router.post(
    "",
    status_code=202,
    response_model=Task,
    response_model_exclude_unset=True,
    summary="Create a tray (task)",
)
def create_tray(svc: Svc, body: CreateTray, principal: Writer) -> JSONResponse:
    """Checks printer type, profile, material and meshes now; the task's result is the tray."""
    # The library's own checks (unknown names, 3D Print API error 100907), on a tray without meshes.
    checked = create_library_tray(
        body.printer_type_id, {}, profile=body.profile_id, material=body.default_material_id
    )
    printer, profile, material = checked.printer_type, checked.profile, checked.material
    mesh_ids = [str(m) for m in body.mesh_ids]
    with svc.db.session() as session:
        for mesh_id in mesh_ids:
            owned_or_404(session, MeshRecord, mesh_id, principal.owner, "mesh")
    attrs = {str(uuid.UUID(k)): v.model_dump() for k, v in (body.mesh_attrs or {}).items() if _is_uuid(k)}
    payload = {
        "printer_type_id": printer.id,
        "profile_id": profile.id,
        "default_material_id": material.id,
        "mesh_ids": mesh_ids,
        "mesh_attrs": attrs,
    }
    return submit(svc, principal, "tray.create", payload)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@router.get("/{tray_id}", response_model=Tray, response_model_exclude_unset=True, summary="One tray")
def get_tray(svc: Svc, tray_id: str, principal: Reader) -> dict[str, Any]:
    """3D Print API's tray object with each mesh's placement (cm)."""
    tray = _tray(svc, tray_id, principal.owner)
    settings = PrintDefinitions.default().profile(tray.profile_id).settings
    with svc.db.session() as session:
        return tray_json(tray, tray_meshes(session, tray), settings)


@router.post(
    "/prepare",
    status_code=202,
    response_model=Task,
    response_model_exclude_unset=True,
    summary="Repair, orient, position and support (task)",
)
def prepare(svc: Svc, body: TrayRequest, principal: Writer) -> JSONResponse:
    """The task's result is a new tray in state ``supported``, ``ready: true``.

    With ``generate_visual`` the tray names ``visual_file_id``: a binary glTF of the plate with
    every mesh where it stands and its supports.
    """
    tray = _tray(svc, body.id, principal.owner)
    payload = {"id": tray.id, "generate_visual": body.generate_visual}
    return submit(svc, principal, "tray.prepare", payload)


@router.post(
    "/generate-printable",
    status_code=202,
    response_model=Task,
    response_model_exclude_unset=True,
    summary="Slice into the printer's file (task)",
)
def generate_printable(request: Request, svc: Svc, body: TrayRequest, principal: Writer) -> JSONResponse:
    """409 ``tray.not_ready`` before prepare; the task's result is ``{"file_id", "summary"}``.

    With ``generate_raw`` the result also names ``raw_file_id``: the tray's device-independent
    raw file, which ``trays/translate`` turns into any printer type's printable.
    """
    tray = _tray(svc, body.id, principal.owner)
    if not tray.ready:
        raise MakereadyError(
            "tray.not_ready", "prepare the tray (POST trays/prepare) before generating its printable"
        )
    return submit(
        svc, principal, "tray.generate_printable", {"id": tray.id, "generate_raw": body.generate_raw}
    )


@router.post(
    "/export-support",
    status_code=202,
    response_model=Task,
    response_model_exclude_unset=True,
    summary="Support structures as meshes (task)",
)
def export_support(svc: Svc, body: ExportSupport, principal: Writer) -> JSONResponse:
    """The task's result maps each mesh id to its support mesh (tray coordinates)."""
    tray = _tray(svc, body.id, principal.owner)
    ids = [str(m) for m in body.mesh_ids] if body.mesh_ids else None
    return submit(svc, principal, "tray.export_support", {"id": tray.id, "mesh_ids": ids})


@router.post(
    "/translate",
    status_code=202,
    response_model=Task,
    response_model_exclude_unset=True,
    summary="A raw tray file as a printer type's printable (task)",
)
def translate(svc: Svc, body: TranslateRequest, principal: Writer) -> JSONResponse:
    """The task's result is ``{"file_id", "summary"}``; names are checked now."""
    checked = create_library_tray(
        body.printer_type_id, {}, profile=body.profile_id or body.profile, material=body.material_id
    )
    with svc.db.session() as session:
        owned_or_404(session, FileRecord, str(body.raw_file_id), principal.owner, "file")
    payload = {
        "raw_file_id": str(body.raw_file_id),
        "printer_type_id": checked.printer_type.id,
        "profile_id": checked.profile.id,
        "material_id": checked.material.id,
        "job_name": body.job_name,
    }
    return submit(svc, principal, "tray.translate", payload)
