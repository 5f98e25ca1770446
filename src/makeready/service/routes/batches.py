"""Screening many parts at once: one upload of files or zips, one combined result.

``POST /api/v1/batch/`` takes any number of part files and zip archives of part files (every
part file in a zip is a part of its own), reads each one now — a file that cannot be used is
listed under ``refused`` with its error code instead of failing the batch — and queues one
analysis per part, so the jobs fan out over all workers. ``GET /api/v1/batch/{id}/`` combines
the finished analyses: per part the cheapest feasible additive chain, the cheapest
conventional one and the saving between them, CO2 and lead time, and a ranking of the parts
by additive suitability (saving per part, feasible first).
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Response, UploadFile
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from makeready.errors import MakereadyError
from makeready.geometry.formats.archive import SafeZip
from makeready.geometry.mesh import Part
from makeready.jobs.tasks import load_limits
from makeready.rendering.reports import XLSX_MEDIA_TYPE, batch_csv, batch_xlsx
from makeready.rendering.screening import batch_json, chains_from_json, refusal_from_json, refusal_json
from makeready.service.auth import Reader, Svc, Writer
from makeready.service.lookup import owned_or_404
from makeready.service.problems import ApiError
from makeready.service.routes.parts import (
    NestingForm,
    add_part,
    check_options,
    display_name,
    part_options,
    part_status,
    start_jobs,
)
from makeready.service.state import Services
from makeready.service.uploads import load_upload, read_upload, upload_name
from makeready.store.models import BatchRecord, Job, PartRecord, utcnow
from makeready.wire import Batch, BatchCreated, BatchSummary
from makeready.workflows.batch_files import Refusal, archive_members
from makeready.workflows.screening import BatchResult, ScreenedPart, combine, screen

router = APIRouter(prefix="/api/v1", tags=["batches"])


def _refusal(name: str, error: MakereadyError) -> dict[str, Any]:
    return refusal_json(Refusal(name, error.code, error.message))


def _entries(name: str, data: bytes, svc: Services) -> list[tuple[str, bytes]]:
    """The part files in one upload: itself, or each part file of a zip (bomb-checked)."""
    limits = load_limits(svc.settings)
    inside = archive_members(name, data, limits)
    if inside is None:
        return [(name, data)]
    archive = SafeZip(data, limits)
    return [(PurePosixPath(n).name, archive.read(n)) for n in inside]


@router.post(
    "/batch/",
    status_code=201,
    response_model=BatchCreated,
    response_model_exclude_unset=True,
    summary="Screen many parts at once",
)
async def create_batch(
    svc: Svc,
    principal: Writer,
    files: Annotated[list[UploadFile], File(description="part files and zips of part files")],
    mat_name: Annotated[str, Form()] = "316L",
    prc_acronym: Annotated[str, Form()] = "slm",
    lot_size: Annotated[int, Form(ge=1, le=10_000_000)] = 1,
    name: Annotated[str | None, Form(max_length=255)] = None,
    units: Annotated[str | None, Form(description="units of STL/OBJ/PLY/OFF coordinates")] = None,
    nst_style: NestingForm = None,
) -> dict[str, Any]:
    """Read every part now, queue one analysis each; unusable files are listed, not fatal."""
    check_options(mat_name, prc_acronym, lot_size, nst_style)
    accepted: list[tuple[str, bytes, Part]] = []
    refused: list[dict[str, Any]] = []
    for upload in files:
        try:
            basename = upload_name(upload.filename, "part.stl")
            data = await read_upload(upload, svc.settings)
            entries = await run_in_threadpool(_entries, basename, data, svc)
        except MakereadyError as error:
            refused.append(_refusal(str(upload.filename or ""), error))
            continue
        for entry_name, entry_data in entries:
            if len(accepted) >= svc.settings.max_batch_parts:
                raise ApiError(
                    "request.invalid",
                    f"a batch holds at most {svc.settings.max_batch_parts} parts",
                    status=413,
                )
            try:
                part = await load_upload(entry_data, entry_name, units, svc.settings)
            except MakereadyError as error:
                refused.append(_refusal(entry_name, error))
                continue
            accepted.append((entry_name, entry_data, part))
    if not accepted:
        first = refused[0] if refused else {"code": "file.empty", "message": "no files"}
        raise ApiError(first["code"], f"no usable part in the batch: {first['message']}", refused=refused)
    batch_id = uuid.uuid4().hex

    def store() -> list[PartRecord]:
        with svc.db.session() as session:
            batch = BatchRecord(
                id=batch_id,
                owner=principal.owner,
                name=(name or f"batch of {len(accepted)} parts")[:255],
                options={
                    "mat_name": mat_name,
                    "prc_acronym": prc_acronym,
                    "lot_size": lot_size,
                    **({"nst_style": nst_style} if nst_style else {}),
                },
                refused=refused,
                created_at=utcnow(),
            )
            session.add(batch)
            records = [
                add_part(
                    svc,
                    session,
                    principal.owner,
                    part,
                    data,
                    display_name(basename),
                    "application/octet-stream",
                    part_options(
                        mat_name, prc_acronym, lot_size, basename, units, principal.username, nst_style
                    ),
                    batch_id,
                )
                for basename, data, part in accepted
            ]
            session.commit()
            start_jobs(svc, session, records)  # fanned out: one job per part, any worker
            return records

    records = await run_in_threadpool(store)
    return {
        "batch_id": batch_id,
        "parts": [{"part_id": r.id, "name": r.name, "basename": r.basename} for r in records],
        "refused": refused,
    }


def screened_part(record: PartRecord, job: Job | None) -> ScreenedPart:
    """One part's line in the combined result, screened from the chains stored with it."""
    status = part_status(record, job)
    return ScreenedPart(
        part_id=record.id,
        name=record.name,
        basename=record.basename,
        status=status,
        error=job.error if status == "error" and job is not None else None,
        screening=screen(chains_from_json(record.chains)) if record.chains else None,
    )


@router.get(
    "/batch/{batch_id}/",
    response_model=Batch,
    response_model_exclude_unset=True,
    summary="A batch's combined result",
)
def get_batch(svc: Svc, batch_id: str, principal: Reader) -> dict[str, Any]:
    """Progress while the analyses run; then every part's best chains, savings and ranking."""
    batch, result = _batch(svc, batch_id, principal.owner)
    return {
        "batch_id": batch.id,
        "name": batch.name,
        "options": batch.options,
        "created_at": batch.created_at.isoformat(),
        **batch_json(result),
    }


_REPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": XLSX_MEDIA_TYPE,
}


@router.get(
    "/batch/{batch_id}/report.{fmt}",
    summary="A batch's report as CSV or Excel",
    response_class=Response,
    responses={200: {"content": {t: {} for t in _REPORT_TYPES.values()}}},
)
def batch_report(svc: Svc, batch_id: str, fmt: Literal["csv", "xlsx"], principal: Reader) -> Response:
    """The ranking with cost per part per process, savings and CO2 (CSV); plus chains and totals (XLSX).

    Parts still running are listed with their status; fetch again when the batch is done.
    """
    batch, result = _batch(svc, batch_id, principal.owner)
    title = f"makeready batch {batch.name or batch_id}"
    if fmt == "csv":
        content = batch_csv(result, batch.options).encode()
    else:
        content = batch_xlsx(result, batch.options, title=title)
    filename = f"batch-{batch_id[:8]}.{fmt}"
    return Response(
        content,
        media_type=_REPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _batch(svc: Services, batch_id: str, owner: str) -> tuple[BatchRecord, BatchResult]:
    """The batch's record and its parts combined as they stand."""
    with svc.db.session() as session:
        batch = owned_or_404(session, BatchRecord, batch_id, owner, "batch")
        rows = session.execute(
            select(PartRecord, Job)
            .outerjoin(Job, Job.id == PartRecord.job_id)
            .where(PartRecord.batch_id == batch_id, PartRecord.owner == owner)
            .order_by(PartRecord.created_at, PartRecord.basename)
        ).all()
    parts = [screened_part(record, job) for record, job in rows]
    return batch, combine(parts, [refusal_from_json(r) for r in batch.refused or ()])


@router.get(
    "/batch/", response_model=list[BatchSummary], response_model_exclude_unset=True, summary="Your batches"
)
def list_batches(svc: Svc, principal: Reader) -> list[dict[str, Any]]:
    """Id, name, options and creation time of each batch, newest first."""
    with svc.db.session() as session:
        rows = session.scalars(
            select(BatchRecord)
            .where(BatchRecord.owner == principal.owner)
            .order_by(BatchRecord.created_at.desc())
        ).all()
    return [
        {"batch_id": b.id, "name": b.name, "options": b.options, "created_at": b.created_at.isoformat()}
        for b in rows
    ]
