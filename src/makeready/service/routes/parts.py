"""3D Spark API (manufacturing analysis): parts, analysis results, feedback.

Wire-compatible with 3D Spark API's Python snippet: ``POST /api/v1/part/`` (multipart ``file`` +
form fields) answers ``{part_id, task, message, basename, name}``; ``GET
/api/v1/analysisResult/{part_id}/`` answers ``{analysis_finished, analysis_report}``, with
``status``, ``progress`` and ``stage`` beside them while it runs and ``error`` if it failed.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from pathlib import PurePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from makeready import wire
from makeready.catalog import Catalog
from makeready.costing.calibration import reported_actuals
from makeready.errors import MakereadyError
from makeready.geometry.mesh import Part
from makeready.rendering.reports import XLSX_MEDIA_TYPE, part_xlsx
from makeready.rendering.screening import chains_from_json
from makeready.service.auth import Principal, Reader, Svc, Writer
from makeready.service.display import DISPLAY_MEDIA_TYPE, display_response
from makeready.service.lookup import owned_or_404
from makeready.service.problems import ApiError
from makeready.service.state import Services
from makeready.service.uploads import load_upload, read_upload, upload_name
from makeready.store.meshes import pack_part
from makeready.store.models import Feedback, FileRecord, Job, PartRecord, utcnow
from makeready.store.resources import save_file

router = APIRouter(prefix="/api/v1", tags=["3D Spark API: manufacturing analysis"])
_TRUE = {"true", "1", "yes", "on"}


#: The ``nst_style`` form field of part and batch uploads.
NestingForm = Annotated[
    str | None,
    Form(
        description="alone (the lot fills its own builds) or shared (bureau mode: a share of a "
        "full build); default: the costing configuration's"
    ),
]


def display_name(basename: str) -> str:
    """3D Spark API's ``name``: the file stem with underscores as spaces (``my_model.stl`` → ``my model``)."""
    return re.sub(r"[_\s]+", " ", PurePath(basename).stem).strip() or "part"


def check_options(mat_name: str, prc_acronym: str, lot_size: int, nst_style: str | None = None) -> None:
    """Refuse unknown materials and processes, pairs the catalog does not offer, lot < 1, bad nesting."""
    catalog = Catalog.default()
    process, material = catalog.process(prc_acronym), catalog.material(mat_name)
    if not material.serves(process.prc_acronym):
        offered = ", ".join(m.mat_name for m in catalog.materials_for(process.prc_acronym))
        raise MakereadyError(
            "request.invalid",
            f"{material.mat_name} is not offered for {process.prc_acronym}; choose from {offered}",
        )
    if lot_size < 1:
        raise MakereadyError("request.invalid", "lot_size must be at least 1")
    if nst_style is not None:
        from makeready.workflows.quote import check_nesting

        check_nesting(nst_style)


def _start(svc: Services, session: Session, record: PartRecord) -> None:
    """Queue the part's analysis; the part row says so before any worker can see the job."""
    start_jobs(svc, session, [record])


@router.post(
    "/part/",
    status_code=201,
    response_model=wire.PartUpload,
    response_model_exclude_unset=True,
    summary="Upload a part (and start its analysis)",
)
async def upload_part(
    svc: Svc,
    principal: Writer,
    file: Annotated[UploadFile, File(description="STL, OBJ, 3MF, PLY, OFF, STEP or a zip of them")],
    start_analysis: Annotated[str, Form()] = "true",
    mat_name: Annotated[str, Form()] = "316L",
    prc_acronym: Annotated[str, Form()] = "slm",
    lot_size: Annotated[int, Form(ge=1, le=10_000_000)] = 1,
    name: Annotated[str | None, Form(max_length=255)] = None,
    units: Annotated[
        str | None, Form(description="units of STL/OBJ/PLY/OFF coordinates (default mm)")
    ] = None,
    nst_style: NestingForm = None,
) -> dict[str, Any]:
    """Store the file, read it (errors now, not later), and queue the analysis."""
    check_options(mat_name, prc_acronym, lot_size, nst_style)
    basename = upload_name(file.filename, "part.stl")
    data = await read_upload(file, svc.settings)
    part = await load_upload(data, basename, units, svc.settings)
    options = part_options(mat_name, prc_acronym, lot_size, basename, units, principal.username, nst_style)
    display = name or display_name(basename)
    content_type = file.content_type or "application/octet-stream"

    def store() -> PartRecord:
        with svc.db.session() as session:
            record = add_part(svc, session, principal.owner, part, data, display, content_type, options)
            session.commit()
            if start_analysis.strip().lower() in _TRUE:
                _start(svc, session, record)
            return record

    record = await run_in_threadpool(store)
    return {"part_id": record.id, "task": "upload_part", "message": "", "basename": basename, "name": display}


def part_options(
    mat_name: str,
    prc_acronym: str,
    lot_size: int,
    basename: str,
    units: str | None,
    creator: str,
    nst_style: str | None = None,
) -> dict[str, Any]:
    """A part's stored analysis options (``nst_style`` only when chosen)."""
    options: dict[str, Any] = {
        "mat_name": mat_name,
        "prc_acronym": prc_acronym,
        "lot_size": lot_size,
        "basename": basename,
        "units": units or "mm",
        "creator": creator,
    }
    if nst_style is not None:
        options["nst_style"] = nst_style
    return options


def add_part(
    svc: Services,
    session: Session,
    owner: str,
    part: Part,
    data: bytes,
    display: str,
    content_type: str,
    options: dict[str, Any],
    batch_id: str | None = None,
) -> PartRecord:
    """Store an uploaded part's file and geometry as a new part row (added, not committed)."""
    raw = save_file(session, svc.blobs, owner, options["basename"], data, content_type)
    record = PartRecord(
        id=uuid.uuid4().hex,
        owner=owner,
        name=display[:255],
        basename=options["basename"],
        file_id=raw.id,
        mesh_sha256=svc.blobs.put(pack_part(part)),
        options=options,
        status="uploaded",
        created_at=utcnow(),
        batch_id=batch_id,
    )
    session.add(record)
    return record


def start_jobs(svc: Services, session: Session, records: list[PartRecord]) -> None:
    """Queue the analyses of several parts, dispatched after the part rows say so."""
    jobs = []
    for record in records:
        job = svc.enqueue(record.owner, "part.analyze", {"part_id": record.id}, dispatch=False)
        record.job_id, record.status = job.id, "queued"
        jobs.append(job)
    session.commit()
    for job in jobs:
        svc.dispatch(job)


def _part_json(record: PartRecord, job: Job | None) -> dict[str, Any]:
    return {
        "part_id": record.id,
        "name": record.name,
        "basename": record.basename,
        "created_date": record.created_at.strftime("%d.%m.%Y"),
        "mat_name": record.options.get("mat_name"),
        "prc_acronym": record.options.get("prc_acronym"),
        "lot_size": record.options.get("lot_size"),
        "units": record.options.get("units") or "mm",
        "status": part_status(record, job),
        "analysis_finished": record.report_sha256 is not None or (job is not None and job.status == "error"),
        "file_id": record.file_id,
        **(
            {"progress": job.progress, "stage": job.stage}
            if job is not None and job.status == "running"
            else {}
        ),
    }


def part_status(record: PartRecord, job: Job | None) -> str:
    """uploaded, queued, running, done or error."""
    if record.report_sha256:
        return "done"
    if job is None:
        return record.status
    return {"queued": "queued", "running": "running", "error": "error"}.get(job.status, record.status)


def _owned_part(svc: Services, part_id: str, owner: str) -> tuple[PartRecord, Job | None]:
    with svc.db.session() as session:
        record = owned_or_404(session, PartRecord, part_id, owner, "part")
        job = session.get(Job, record.job_id) if record.job_id else None
        return record, job


@router.get("/part/", response_model=list[wire.Part], response_model_exclude_unset=True, summary="Your parts")
def list_parts(
    svc: Svc,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
) -> list[dict[str, Any]]:
    """Newest first."""
    with svc.db.session() as session:
        rows = session.scalars(
            select(PartRecord)
            .where(PartRecord.owner == principal.owner)
            .order_by(PartRecord.created_at.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        jobs = {
            j.id: j
            for j in session.scalars(select(Job).where(Job.id.in_([r.job_id for r in rows if r.job_id])))
        }
    return [_part_json(r, jobs.get(r.job_id or "")) for r in rows]


@router.get(
    "/part/{part_id}/", response_model=wire.Part, response_model_exclude_unset=True, summary="One part"
)
def get_part(svc: Svc, part_id: str, principal: Reader) -> dict[str, Any]:
    """The part's upload facts and analysis status."""
    record, job = _owned_part(svc, part_id, principal.owner)
    return _part_json(record, job)


@router.delete("/part/{part_id}/", status_code=204, summary="Delete a part")
def delete_part(svc: Svc, part_id: str, principal: Writer) -> Response:
    """Remove the part, its uploaded file, its analysis task (unless running) and its feedback.

    Their blobs (the upload, the stored mesh, the report) are freed by the next retention sweep.
    """
    with svc.db.session() as session:
        record = owned_or_404(session, PartRecord, part_id, principal.owner, "part")
        if record.job_id:
            session.execute(delete(Job).where(Job.id == record.job_id, Job.status != "running"))
        session.execute(delete(Feedback).where(Feedback.part_id == part_id))
        session.execute(delete(FileRecord).where(FileRecord.id == record.file_id))
        session.delete(record)
        session.commit()
    svc.polls.drop((principal.owner, part_id))
    return Response(status_code=204)


class StartAnalysis(BaseModel):
    """Options to change before (re)starting an analysis; omitted ones stay as uploaded."""

    mat_name: str | None = None
    prc_acronym: str | None = None
    lot_size: int | None = Field(None, ge=1, le=10_000_000)
    nst_style: Literal["alone", "shared"] | None = None


@router.post("/part/{part_id}/start_analysis/", status_code=202, summary="Start or rerun an analysis")
def start_analysis(
    request: Request, svc: Svc, part_id: str, principal: Writer, body: StartAnalysis | None = None
) -> dict[str, Any]:
    """Queue the analysis of an uploaded part, optionally with other material, process or lot size."""
    with svc.db.session() as session:
        record = owned_or_404(session, PartRecord, part_id, principal.owner, "part")
        job = session.get(Job, record.job_id) if record.job_id else None
        if job is not None and job.status in ("queued", "running"):
            raise ApiError("request.invalid", "the analysis is already queued or running", status=409)
        options = dict(record.options)
        changes = body.model_dump(exclude_none=True) if body else {}
        options.update(changes)
        check_options(
            options["mat_name"], options["prc_acronym"], int(options["lot_size"]), options.get("nst_style")
        )
        record.options = options
        record.report_sha256, record.simplified, record.chains = None, None, None
        session.commit()  # the job reads these options: store them before it can start
        _start(svc, session, record)
    svc.polls.drop((principal.owner, part_id))
    return {"part_id": part_id, "task": "start_analysis", "message": "", "job_id": record.job_id}


@dataclass(frozen=True, slots=True)
class _PollState:
    """What a poll needs, read in one query (polling is the hottest path of the service)."""

    report_sha256: str | None
    simplified: dict[str, Any] | None
    status: str
    job_status: str | None
    progress: float
    stage: str
    attempts: int
    error: dict[str, Any] | None


_POLL = (
    select(
        PartRecord.report_sha256,
        PartRecord.simplified,
        PartRecord.status,
        Job.status,
        Job.progress,
        Job.stage,
        Job.attempts,
        Job.error,
    )
    .outerjoin(Job, Job.id == PartRecord.job_id)
    .where(PartRecord.id == bindparam("part_id"), PartRecord.owner == bindparam("owner"))
)


def _poll(svc: Services, principal: Principal, part_id: str, path: str) -> _PollState:
    """The part's analysis state (through the short-lived poll cache), then the rate limit."""

    def load() -> list[Any]:  # JSON: the cache may be Redis, shared by every API process
        with svc.db.engine.connect() as connection:
            row = connection.execute(_POLL, {"part_id": part_id, "owner": principal.owner}).first()
        if row is None:
            raise ApiError("request.not_found", f"part {part_id} does not exist or is not yours")
        return [row[0], row[1], row[2], row[3], row[4] or 0.0, row[5] or "", row[6] or 0, row[7]]

    state = _PollState(*svc.polls.get((principal.owner, part_id), load))
    svc.limiter.check(principal.owner, path)
    return state


def _running(state: _PollState) -> dict[str, Any]:
    status = "done" if state.report_sha256 else (state.job_status or state.status)
    body: dict[str, Any] = {"analysis_finished": False, "analysis_report": None, "status": status}
    if state.job_status is not None:
        body.update(progress=state.progress, stage=state.stage, attempts=state.attempts)
        if state.job_status == "error":
            body.update(analysis_finished=True, error=state.error)
    return body


@router.get(
    "/analysisResult/{part_id}/",
    response_model=wire.AnalysisResult,
    response_model_exclude_unset=True,
    summary="Poll for the analysis report",
)
def analysis_result(request: Request, svc: Svc, part_id: str, principal: Reader) -> Response:
    """``{"analysis_finished": false, "analysis_report": null}`` until the full report is ready."""
    state = _poll(svc, principal, part_id, request.url.path)
    if state.report_sha256 is None:
        return Response(json.dumps(_running(state)), media_type="application/json")
    report = svc.blobs.get(state.report_sha256)
    # The report is stored as JSON: splice it in instead of parsing and re-encoding megabytes.
    return Response(
        b'{"analysis_finished":true,"analysis_report":' + report + b"}", media_type="application/json"
    )


@router.get(
    "/analysisResult/simplified/{part_id}/",
    response_model=wire.Simplified,
    response_model_exclude_unset=True,
    summary="Poll for the simplified result",
)
def simplified_result(request: Request, svc: Svc, part_id: str, principal: Reader) -> Response:
    """3D Spark API's eleven keys once finished; ``{part_id, analysis_finished: false, …}`` before."""
    state = _poll(svc, principal, part_id, request.url.path)
    body = state.simplified if state.simplified is not None else {"part_id": part_id, **_running(state)}
    return Response(json.dumps(body), media_type="application/json")


@router.get(
    "/part/{part_id}/display",
    response_class=Response,
    summary="The analysed part to draw (binary: mesh, per-face values, overlays)",
    responses={200: {"content": {DISPLAY_MEDIA_TYPE: {}}}, 409: {"description": "not analysed yet"}},
)
def part_display(request: Request, svc: Svc, part_id: str, principal: Reader) -> Response:
    """The part's display document (docs/viewer.md), made when its analysis finished.

    Positions, triangles, thickness, gap and flags per face, the support structures, and a JSON
    header with problems, thin regions and orientations. Decimated above
    ``MAKEREADY_DISPLAY_MAX_FACES`` triangles; gzip when accepted; ETag.
    """
    record, _ = _owned_part(svc, part_id, principal.owner)
    if record.display_sha256 is None:
        raise ApiError(
            "part.not_analysed",
            f"part {part_id} has no finished analysis to draw"
            + (" yet" if record.report_sha256 is None else "; start its analysis again"),
        )
    return display_response(request, svc.blobs.get(record.display_sha256), record.display_sha256)


@router.get(
    "/analysisResult/{part_id}/report.xlsx",
    response_class=Response,
    summary="The analysis report as an Excel workbook",
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
)
def analysis_workbook(svc: Svc, part_id: str, principal: Reader) -> Response:
    """Sheets Part, Chains, Break-even and Mesh checks.

    Chains holds every process chain: costs and their breakdown, times, CO2 and feasibility.
    """
    record, _ = _owned_part(svc, part_id, principal.owner)
    if record.report_sha256 is None:
        raise ApiError("part.not_analysed", f"part {part_id} has no finished analysis yet")
    report = json.loads(svc.blobs.get(record.report_sha256))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", PurePath(record.basename).stem) or "part"
    return Response(
        part_xlsx(report),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{stem}-analysis.xlsx"'},
    )


class ChainFeedback(BaseModel):
    """Actuals of a made job (3D Spark API process-chain feedback); hours, EUR, EUR/h, days.

    Give the machine time per part, job or lot (``mac_t_pp|mac_t_pj|mac_t_pl``, or
    ``process_time`` = per job) and optionally the cost per part, job or lot; the other two are
    derived through parts per job and lot size of the analysed chain.
    """

    setup_time: float | None = Field(None, ge=0)
    process_time: float | None = Field(None, gt=0)
    unloading_time: float | None = Field(None, ge=0)
    machine_hourly_rate: float | None = Field(None, ge=0)
    staff_time_factor: float | None = Field(None, ge=0, le=1)
    leadtime: float | None = Field(None, ge=0)
    cost_pp: float | None = Field(None, ge=0)
    cost_pj: float | None = Field(None, ge=0)
    cost_pl: float | None = Field(None, ge=0)
    labor_pp: float | None = Field(None, ge=0)
    labor_pj: float | None = Field(None, ge=0)
    labor_pl: float | None = Field(None, ge=0)
    mac_t_pp: float | None = Field(None, gt=0)
    mac_t_pj: float | None = Field(None, gt=0)
    mac_t_pl: float | None = Field(None, gt=0)


@router.put("/process-chain/{process_chain_id}/feedback/", summary="Report actual times and costs")
def chain_feedback(
    request: Request, svc: Svc, process_chain_id: str, body: ChainFeedback, principal: Writer
) -> dict[str, Any]:
    """Record actuals for an analysed chain; later analyses of this owner are calibrated by them."""
    with svc.db.session() as session:
        rows = session.scalars(
            select(PartRecord).where(PartRecord.owner == principal.owner, PartRecord.chains.is_not(None))
        ).all()
        match = next((r for r in rows if process_chain_id in (r.chains or {})), None)
        if match is None:
            raise ApiError("request.not_found", f"no analysed process chain {process_chain_id} of yours")
        chain = next(c for c in chains_from_json(match.chains or {}) if c.chain_id == process_chain_id)
        process_time, cost_pp = reported_actuals(
            process_time=body.process_time,
            machine_time=(body.mac_t_pp, body.mac_t_pj, body.mac_t_pl),
            cost=(body.cost_pp, body.cost_pj, body.cost_pl),
            parts_per_job=chain.parts_per_job,
            jobs=chain.jobs,
            lot_size=int(match.options.get("lot_size", 1)),
        )
        actuals = body.model_dump(exclude_none=True)
        actuals["process_time"] = process_time
        if cost_pp is not None:
            actuals["cost_pp"] = cost_pp
        predicted = {"process_time": chain.machine_h_per_job, "cost_pp": chain.verdict.cost_per_part}
        row = Feedback(
            id=str(uuid.uuid4()),
            owner=principal.owner,
            part_id=match.id,
            process_chain_id=process_chain_id,
            machine=chain.verdict.machine,
            actuals=actuals,
            predicted=predicted,
            created_at=utcnow(),
        )
        session.add(row)
        session.commit()
        count = len(session.scalars(select(Feedback.id).where(Feedback.owner == principal.owner)).all())
    return {
        "process_chain_id": process_chain_id,
        "part_id": match.id,
        "machine": chain.verdict.machine,
        "actuals": actuals,
        "predicted": predicted,
        "records": count,
    }
