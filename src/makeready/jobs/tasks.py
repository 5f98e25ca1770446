"""The task functions behind both API families, by job kind.

3D Spark API: ``part.analyze`` runs the whole analysis pipeline on an uploaded part. 3D Print API:
``mesh.import|analyze|repair|export`` and ``tray.create|prepare|generate_printable|
export_support``. Each reads its inputs from the stores (owner-scoped), calls the library, and
writes new immutable resources; the returned dict is the task's ``result``. Unusable input is
a :class:`~makeready.errors.MakereadyError` (the task ends in ``error`` with its code, no retry).
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from makeready.costing.calibration import Calibration
from makeready.costing.calibration import Feedback as FeedbackRecord
from makeready.errors import MakereadyError
from makeready.geometry.analysis import analyze
from makeready.geometry.formats import load, save
from makeready.geometry.mesh import Part
from makeready.geometry.repair import ALL_ACTIONS, DEFAULT_ACTIONS, repair
from makeready.jobs.context import Task, TaskContext
from makeready.jsonsafe import json_ready
from makeready.limits import LoadLimits
from makeready.print_definitions import PrintDefinitions
from makeready.progress import Stage
from makeready.rendering.display import analysis_display, pack_display
from makeready.rendering.documents import repair_actions_json
from makeready.rendering.print_api import (
    IDENTITY,
    mesh_json,
    problems_in_cm,
    problems_json,
    transform_mm,
    tray_json,
)
from makeready.rendering.screening import chains_json
from makeready.rendering.spark import analysis_report, simplified
from makeready.rendering.visual import GLB_MEDIA_TYPE, tray_glb, visual_glb
from makeready.settings import Settings
from makeready.store.meshes import pack_part, unpack_part
from makeready.store.models import Feedback, FileRecord, MeshRecord, PartRecord, TrayRecord
from makeready.store.resources import create_mesh, mesh_part, new_id, owned, save_file, tray_meshes
from makeready.workflows.quote import run_analysis
from makeready.workflows.screening import chain_summaries
from makeready.workflows.tray_files import raw_tray, translate
from makeready.workflows.trays import MeshAttrs, Tray, TrayMesh, create_tray, export_supports
from makeready.workflows.trays import generate_printable as tray_printable
from makeready.workflows.trays import prepare as tray_prepare

__all__ = ["TASKS", "calibration_of", "load_limits"]

_CONTENT_TYPES = {"gcode": "text/x-gcode", "tar.gz": "application/gzip", "zip": "application/zip"}


def load_limits(settings: Settings) -> LoadLimits:
    """The library's load limits with the service's byte and triangle caps."""
    return LoadLimits(max_bytes=settings.max_upload_bytes, max_triangles=settings.max_triangles)


def _missing(kind: str, key: str) -> MakereadyError:
    return MakereadyError("request.not_found", f"{kind} {key} does not exist or is not yours", id=key)


def calibration_of(ctx: TaskContext) -> Calibration | None:
    """The owner's recorded feedback as a calibration; None without records."""
    with ctx.db.session() as session:
        rows = session.scalars(select(Feedback).where(Feedback.owner == ctx.owner)).all()
    if not rows:
        return None
    calibration = Calibration(ctx.owner)
    for row in rows:
        calibration.record(
            FeedbackRecord(
                machine=row.machine,
                predicted_process_time=float(row.predicted["process_time"]),
                process_time=float(row.actuals["process_time"]),
                predicted_cost_per_part=row.predicted.get("cost_pp"),
                cost_per_part=row.actuals.get("cost_pp"),
                setup_time=row.actuals.get("setup_time"),
                unloading_time=row.actuals.get("unloading_time"),
                machine_hourly_rate=row.actuals.get("machine_hourly_rate"),
                staff_time_factor=row.actuals.get("staff_time_factor"),
                leadtime=row.actuals.get("leadtime"),
            )
        )
    return calibration


def analyze_part(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """3D Spark API: the full analysis report of an uploaded part, stored as a blob."""
    with ctx.db.session() as session:
        record = owned(session, PartRecord, payload["part_id"], ctx.owner)
        if record is None:
            raise _missing("part", payload["part_id"])
        part = _unpack(ctx, record.mesh_sha256)
        options = dict(record.options)
        name = record.name
    ctx.progress(0.02, Stage.LOADED)
    result = run_analysis(
        part,
        options.get("mat_name", "316L"),
        options.get("prc_acronym", "slm"),
        int(options.get("lot_size", 1)),
        part_id=payload["part_id"],
        name=name,
        creator=options.get("creator", ""),
        calibration=calibration_of(ctx),
        nesting=options.get("nst_style"),
        progress=lambda fraction, stage: ctx.progress(0.02 + 0.96 * fraction, stage),
    )
    report = analysis_report(result)
    report["basename"] = options.get("basename", report.get("basename"))
    data = json.dumps(report, allow_nan=False, separators=(",", ":")).encode()
    ctx.progress(0.985, Stage.DISPLAY)
    # What the viewer draws, built while the analysis is at hand (stored gzip: served as is).
    display = gzip.compress(
        pack_display(analysis_display(result, max_faces=ctx.settings.display_max_faces)), 5, mtime=0
    )
    chains = chains_json(chain_summaries(result))
    with ctx.db.session() as session:
        record = owned(session, PartRecord, payload["part_id"], ctx.owner)
        if record is None:  # deleted while it ran: keep nothing
            return {"part_id": payload["part_id"], "deleted": True}
        record.report_sha256 = ctx.blobs.put(data)
        record.display_sha256 = ctx.blobs.put(display)
        # Infeasible chains carry NaN times; JSON (and PostgreSQL) has no NaN: store null.
        record.simplified = json_ready(simplified(report))
        record.chains = json_ready(chains)
        record.status = "done"
        if not _commit_held(ctx, session):  # its lease ran out: the job is another attempt's now
            return {"part_id": payload["part_id"], **DROPPED}
    return {"part_id": payload["part_id"], "analysis_finished": True}


#: A task's result when its job went to another attempt while it ran: its writes were dropped
#: (the job's own result is the other attempt's; this one is never recorded).
DROPPED: dict[str, Any] = {"dropped": True}


def _commit_held(ctx: TaskContext, session: Session) -> bool:
    """Commit the task's writes if its job is still this worker's, else roll them back.

    Every task that creates or changes rows ends this way: an attempt whose lease ran out
    while it worked would otherwise overwrite the part report of the attempt that took over,
    or add a second mesh, tray or file beside the ones that attempt writes.
    """
    if not ctx.holds_job(session):
        session.rollback()
        return False
    session.commit()
    return True


def _unpack(ctx: TaskContext, sha256: str) -> Part:
    return unpack_part(ctx.blobs.get(sha256))


def _mesh_and_part(ctx: TaskContext, mesh_id: str) -> tuple[MeshRecord, Part]:
    with ctx.db.session() as session:
        mesh = owned(session, MeshRecord, mesh_id, ctx.owner)
        if mesh is None:
            raise _missing("mesh", mesh_id)
        return mesh, mesh_part(session, ctx.blobs, mesh)


def import_mesh(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """3D Print API ``meshes/import``: read an uploaded file into a new mesh."""
    with ctx.db.session() as session:
        record = owned(session, FileRecord, payload["file_id"], ctx.owner)
        if record is None:
            raise _missing("file", payload["file_id"])
        data, filename = ctx.blobs.get(record.sha256), record.name
    ctx.progress(0.1, Stage.READING)
    part = load(data, filename=filename, units=payload.get("units"), limits=load_limits(ctx.settings))
    ctx.progress(0.8, Stage.STORING)
    with ctx.db.session() as session:
        mesh = create_mesh(
            session,
            ctx.blobs,
            ctx.owner,
            part,
            payload.get("name") or _stem(filename),
            payload.get("transform"),
        )
        if not _commit_held(ctx, session):
            return DROPPED
        body = mesh_json(mesh)
    if payload.get("generate_visual"):
        ctx.progress(0.9, Stage.DRAWING)
        return _with_visual(ctx, body["id"], part)
    return body


def _stem(filename: str) -> str:
    """A mesh's default name: its file's name without the extension (``bracket.stl`` -> ``bracket``)."""
    stem, dot, _ = filename.rpartition(".")
    return (stem if dot and stem else filename) or "unknown"


def analyze_mesh(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """3D Print API ``meshes/analyze``: the eight problem types with locations (cm)."""
    mesh, part = _mesh_and_part(ctx, payload["id"])
    ctx.progress(0.1, Stage.ANALYSING)
    problems = problems_in_cm(
        problems_json(analyze(part, self_intersections=False), include_self_intersections=False)
    )
    with ctx.db.session() as session:
        row = owned(session, MeshRecord, mesh.id, ctx.owner)
        if row is None:
            raise _missing("mesh", mesh.id)
        row.analyzed, row.problems = True, problems
        if not _commit_held(ctx, session):
            return DROPPED
        return mesh_json(row)


def repair_mesh(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """3D Print API ``meshes/repair``: a new mesh with the problems that remain (empty: clean)."""
    mesh, part = _mesh_and_part(ctx, payload["id"])
    everything = bool(payload.get("all", False))
    ctx.progress(0.1, Stage.REPAIRING)
    actions = tuple(a for a in ALL_ACTIONS if a != "decimate") if everything else DEFAULT_ACTIONS
    fixed, report = repair(part, actions=actions, self_intersections=everything)
    remaining = problems_in_cm(problems_json(report.after, include_self_intersections=everything))
    ctx.progress(0.9, Stage.STORING)
    with ctx.db.session() as session:
        new = create_mesh(session, ctx.blobs, ctx.owner, fixed, mesh.name, mesh.transform, remaining)
        if not _commit_held(ctx, session):
            return DROPPED
        body = mesh_json(new)
    if payload.get("generate_visual"):
        body = _with_visual(ctx, body["id"], fixed)
    body["repair"] = {"actions": repair_actions_json(report, applied_only=True), "notes": list(report.notes)}
    return body


_EXPORTS = {
    "obj": ("obj", ".obj", "model/obj"),
    "stl_ascii": ("stl-ascii", ".stl", "model/stl"),
    "stl_binary": ("stl", ".stl", "model/stl"),
    "3mf": ("3mf", ".3mf", "model/3mf"),
}
#: A textured mesh exported as OBJ: the OBJ, its MTL and images in one zip (what import reads).
_TEXTURED_OBJ = ("obj-zip", ".zip", "application/zip")


def export_mesh(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """3D Print API ``meshes/export``: the mesh in mm with its transform applied.

    OBJ (a zip with its MTL and images when the mesh is textured), STL, or 3MF with textures.
    """
    fmt, extension, content_type = _EXPORTS[payload["file_type"]]
    mesh, part = _mesh_and_part(ctx, payload["id"])
    if fmt == "obj" and part.has_uvs and any(b.appearance and b.appearance.textures for b in part.bodies):
        fmt, extension, content_type = _TEXTURED_OBJ
    placed = part.transformed(transform_mm(mesh.transform))
    buffer = io.BytesIO()
    save(placed, buffer, fmt)
    with ctx.db.session() as session:
        record = save_file(
            session, ctx.blobs, ctx.owner, f"{mesh.name}{extension}", buffer.getvalue(), content_type
        )
        if not _commit_held(ctx, session):
            return DROPPED
        return {"file_id": record.id}


def generate_visual(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """3D Print API ``meshes/generate-visual``: the mesh's visual file (binary glTF, with its problems)."""
    mesh, part = _mesh_and_part(ctx, payload["id"])
    ctx.progress(0.2, Stage.DRAWING)
    return _with_visual(ctx, mesh.id, part)


def _with_visual(ctx: TaskContext, mesh_id: str, part: Part) -> dict[str, Any]:
    """Store the visual file of a mesh and point the mesh at it; the mesh object."""
    with ctx.db.session() as session:
        row = owned(session, MeshRecord, mesh_id, ctx.owner)
        if row is None:
            raise _missing("mesh", mesh_id)
        glb = visual_glb(part, row.problems if row.analyzed else None)
        record = save_file(session, ctx.blobs, ctx.owner, f"{row.name}.glb", glb, GLB_MEDIA_TYPE)
        row.visual_file_id = record.id
        if not _commit_held(ctx, session):
            return DROPPED
        return mesh_json(row)


def _definitions() -> PrintDefinitions:
    return PrintDefinitions.default()


def create_tray_task(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """3D Print API ``POST trays``: a tray in state ``created`` (checks compatibility, error 100907)."""
    defs = _definitions()
    with ctx.db.session() as session:
        meshes = []
        for mesh_id in payload["mesh_ids"]:
            mesh = owned(session, MeshRecord, mesh_id, ctx.owner)
            if mesh is None:
                raise _missing("mesh", mesh_id)
            meshes.append(mesh)
    empty = Part((), "none")
    tray = create_tray(
        payload["printer_type_id"],
        {m.id: empty for m in meshes},
        profile=payload["profile_id"],
        material=payload.get("default_material_id"),
        definitions=defs,
    )
    attrs_in = payload.get("mesh_attrs") or {}
    attrs = {
        m.id: {
            k: bool((attrs_in.get(m.id) or {}).get(k, True)) for k in ("reposition", "reorient", "support")
        }
        for m in meshes
    }
    with ctx.db.session() as session:
        row = TrayRecord(
            id=new_id(),
            owner=ctx.owner,
            printer_type_id=tray.printer_type.id,
            profile_id=tray.profile.id,
            default_material_id=tray.material.id,
            mesh_ids=[m.id for m in meshes],
            mesh_attrs=attrs,
            placements={},
            support_files={},
            state="created",
            ready=False,
            notes=[],
        )
        row = session.merge(row)
        if not _commit_held(ctx, session):
            return DROPPED
        return tray_json(row, tray_meshes(session, row), _settings(defs, row))


def _settings(defs: PrintDefinitions, row: TrayRecord) -> dict[str, Any]:
    return defs.profile(row.profile_id).settings


def _library_tray(ctx: TaskContext, row: TrayRecord, defs: PrintDefinitions) -> Tray:
    """The stored tray as the library's value object (parts in tray mm)."""
    with ctx.db.session() as session:
        items = []
        supports: dict[str, Part] = {}
        for mesh_id in row.mesh_ids:
            mesh = owned(session, MeshRecord, mesh_id, ctx.owner)
            if mesh is None:
                raise _missing("mesh", mesh_id)
            part = mesh_part(session, ctx.blobs, mesh)
            placement = row.placements.get(mesh_id)
            matrix = np.asarray(placement) if placement is not None else transform_mm(mesh.transform)
            items.append(TrayMesh(mesh.id, mesh.name, part, matrix))
            file_id = row.support_files.get(mesh_id)
            if file_id:
                record = session.get(FileRecord, file_id)
                if record is not None:
                    supports[mesh_id] = _unpack(ctx, record.sha256)
    attrs = {k: MeshAttrs(**v) for k, v in row.mesh_attrs.items()}
    return Tray(
        row.id,
        defs.printer_type(row.printer_type_id),
        defs.profile(row.profile_id),
        defs.material(row.default_material_id),
        tuple(items),
        attrs,
        state=row.state,  # type: ignore[arg-type]
        ready=row.ready,
        supports=supports,
    )


def _tray_row(ctx: TaskContext, tray_id: str) -> TrayRecord:
    with ctx.db.session() as session:
        row = owned(session, TrayRecord, tray_id, ctx.owner)
        if row is None:
            raise _missing("tray", tray_id)
        return row


def prepare_tray(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """3D Print API ``trays/prepare``: repaired → oriented → positioned → supported, a new tray."""
    defs = _definitions()
    row = _tray_row(ctx, payload["id"])
    stored = _library_tray(ctx, row, defs)
    # The library places parts as given: fold each mesh's own transform into its geometry.
    start = Tray(
        stored.id,
        stored.printer_type,
        stored.profile,
        stored.material,
        tuple(TrayMesh(m.id, m.name, m.placed()) for m in stored.meshes),
        stored.mesh_attrs,
    )
    ctx.progress(0.05, Stage.CREATED)
    ready = tray_prepare(
        start,
        progress=lambda fraction, stage: ctx.progress(0.05 + 0.9 * fraction, stage),
        definitions=defs,
    )
    ctx.progress(0.96, Stage.STORING)
    with ctx.db.session() as session:
        mesh_ids, placements, support_files, done = [], {}, {}, {}
        for before, after, original in zip(start.meshes, ready.meshes, stored.meshes, strict=True):
            mesh_id, placement = original.id, after.transform @ original.transform
            if after.part is not before.part:  # repaired: the fixed geometry is a new mesh
                new = create_mesh(session, ctx.blobs, ctx.owner, after.part, original.name, IDENTITY, [])
                mesh_id, placement = new.id, after.transform
            mesh_ids.append(mesh_id)
            placements[mesh_id] = placement.tolist()
            done[mesh_id] = dataclasses.asdict(ready.mesh_attrs[original.id])  # what was done to it
            if original.id in ready.supports:
                data = pack_part(ready.supports[original.id])
                support = save_file(
                    session, ctx.blobs, ctx.owner, f"{original.name}-supports.npz", data, "application/x-npz"
                )
                support_files[mesh_id] = support.id
        new_row = TrayRecord(
            id=new_id(),
            owner=ctx.owner,
            printer_type_id=row.printer_type_id,
            profile_id=row.profile_id,
            default_material_id=row.default_material_id,
            mesh_ids=mesh_ids,
            mesh_attrs=done,
            placements=placements,
            support_files=support_files,
            state=ready.state,
            ready=True,
            notes=list(ready.notes),
        )
        if payload.get("generate_visual"):
            glb = tray_glb(ready)
            new_row.visual_file_id = save_file(
                session, ctx.blobs, ctx.owner, f"tray-{new_row.id[:8]}.glb", glb, GLB_MEDIA_TYPE
            ).id
        new_row = session.merge(new_row)
        if not _commit_held(ctx, session):
            return DROPPED
        return tray_json(new_row, tray_meshes(session, new_row), _settings(defs, new_row))


def generate_printable(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """3D Print API ``trays/generate-printable``: the printer's file (G-code, PNG stack, CLI)."""
    defs = _definitions()
    row = _tray_row(ctx, payload["id"])
    tray = _library_tray(ctx, row, defs)
    raw = None
    if payload.get("generate_raw"):
        # The API split the work 75 % device-independent file / 25 % translation.
        ctx.progress(0.1, Stage.RAW_FILE)
        raw = raw_tray(tray)
        ctx.progress(0.75, Stage.TRANSLATING)
    else:
        ctx.progress(0.1, Stage.SLICING)
    content, extension, summary = tray_printable(tray)
    ctx.progress(0.95, Stage.STORING)
    with ctx.db.session() as session:
        record = save_file(
            session,
            ctx.blobs,
            ctx.owner,
            f"tray-{row.id[:8]}.{extension}",
            content,
            _CONTENT_TYPES.get(extension, "application/octet-stream"),
        )
        result = {"file_id": record.id, "summary": json_ready(summary)}
        if raw is not None:
            raw_record = save_file(
                session, ctx.blobs, ctx.owner, f"tray-{row.id[:8]}.raw.zip", raw, "application/zip"
            )
            result["raw_file_id"] = raw_record.id
        if not _commit_held(ctx, session):
            return DROPPED
        return result


def translate_tray(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """3D Print API ``trays/translate``: a raw tray file turned into a printer type's printable."""
    with ctx.db.session() as session:
        record = owned(session, FileRecord, payload["raw_file_id"], ctx.owner)
        if record is None:
            raise _missing("file", payload["raw_file_id"])
        raw = ctx.blobs.get(record.sha256)
    ctx.progress(0.1, Stage.TRANSLATING)
    content, extension, summary = translate(
        raw,
        payload["printer_type_id"],
        profile=payload.get("profile_id"),
        material=payload.get("material_id"),
        limits=load_limits(ctx.settings),
    )
    ctx.progress(0.95, Stage.STORING)
    with ctx.db.session() as session:
        out = save_file(
            session,
            ctx.blobs,
            ctx.owner,
            f"{payload.get('job_name') or 'Spark'}.{extension}",
            content,
            _CONTENT_TYPES.get(extension, "application/octet-stream"),
        )
        if not _commit_held(ctx, session):
            return DROPPED
        return {"file_id": out.id, "summary": json_ready(summary)}


def export_support(ctx: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """3D Print API ``trays/export-support``: each mesh's support structure as a new mesh (tray space)."""
    defs = _definitions()
    row = _tray_row(ctx, payload["id"])
    tray = _library_tray(ctx, row, defs)
    wanted = payload.get("mesh_ids") or row.mesh_ids
    result: dict[str, Any] = {}
    with ctx.db.session() as session:
        for mesh_id, part in export_supports(tray).items():
            if mesh_id in wanted:
                mesh = create_mesh(session, ctx.blobs, ctx.owner, part, f"support-{mesh_id[:8]}", IDENTITY)
                result[mesh_id] = mesh_json(mesh)
        if not _commit_held(ctx, session):
            return DROPPED
    return result


#: Every job kind the runners execute.
TASKS: dict[str, Task] = {
    "part.analyze": analyze_part,
    "mesh.import": import_mesh,
    "mesh.analyze": analyze_mesh,
    "mesh.repair": repair_mesh,
    "mesh.export": export_mesh,
    "mesh.generate_visual": generate_visual,
    "tray.create": create_tray_task,
    "tray.prepare": prepare_tray,
    "tray.generate_printable": generate_printable,
    "tray.translate": translate_tray,
    "tray.export_support": export_support,
}
