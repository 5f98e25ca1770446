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
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from makeready.errors import MakereadyError
from makeready.geometry.formats import sniff
from makeready.geometry.formats.archive import SafeZip
from makeready.geometry.mesh import Part
from makeready.jobs.tasks import load_limits
from makeready.service.auth import Reader, Writer, services
from makeready.service.problems import ApiError
from makeready.service.routes.parts import (
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
from makeready.store.resources import owned

router = APIRouter(prefix="/api/v1", tags=["batches"])

_PART_SUFFIXES = {".stl", ".obj", ".3mf", ".ply", ".off", ".step", ".stp"}


def _refusal(name: str, error: MakereadyError) -> dict[str, Any]:
    return {"basename": name, "code": error.code, "message": error.message}


def _entries(name: str, data: bytes, svc: Services) -> list[tuple[str, bytes]]:
    """The part files in one upload: itself, or each part file of a zip (bomb-checked)."""
    if sniff(data, name) != "zip":
        return [(name, data)]
    archive = SafeZip(data, load_limits(svc.settings))
    inside = [n for n in archive.names() if PurePosixPath(n).suffix.lower() in _PART_SUFFIXES]
    if not inside:
        raise MakereadyError(
            "zip.no_part", f"{name} holds no part file ({', '.join(sorted(_PART_SUFFIXES))})"
        )
    return [(PurePosixPath(n).name, archive.read(n)) for n in inside]


@router.post("/batch/", status_code=201, summary="Screen many parts at once")
async def create_batch(
    request: Request,
    principal: Writer,
    files: Annotated[list[UploadFile], File(description="part files and zips of part files")],
    mat_name: Annotated[str, Form()] = "316L",
    prc_acronym: Annotated[str, Form()] = "slm",
    lot_size: Annotated[int, Form(ge=1, le=10_000_000)] = 1,
    name: Annotated[str | None, Form(max_length=255)] = None,
    units: Annotated[str | None, Form(description="units of STL/OBJ/PLY/OFF coordinates")] = None,
) -> dict[str, Any]:
    """Read every part now, queue one analysis each; unusable files are listed, not fatal."""
    svc = services(request)
    check_options(mat_name, prc_acronym, lot_size)
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
                options={"mat_name": mat_name, "prc_acronym": prc_acronym, "lot_size": lot_size},
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
                    part_options(mat_name, prc_acronym, lot_size, basename, units, principal.username),
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


def _chain_view(chain_id: str, chain: dict[str, Any]) -> dict[str, Any]:
    keys = ("prc_acronym", "machine", "cost_pp", "cost_pl", "leadtime", "co2_pp", "feasible", "reason")
    return {"process_chain_id": chain_id, **{k: chain.get(k) for k in keys}}


def _cheapest(chains: dict[str, Any], tech: str) -> dict[str, Any] | None:
    usable = [
        (c["cost_pp"], cid)
        for cid, c in chains.items()
        if c.get("tech") == tech and c.get("feasible") and c.get("cost_pp") is not None
    ]
    if not usable:
        return None
    _, best = min(usable)
    return _chain_view(best, chains[best])


def part_summary(record: PartRecord, job: Job | None) -> dict[str, Any]:
    """One part's line in the combined result."""
    status = part_status(record, job)
    line: dict[str, Any] = {"part_id": record.id, "name": record.name, "basename": record.basename}
    line["status"] = status
    if status == "error" and job is not None:
        line["error"] = job.error
    if not record.chains:
        return line
    additive = _cheapest(record.chains, "additive_manufacturing")
    conventional = _cheapest(record.chains, "conventional")
    line.update(
        best_additive=additive,
        best_conventional=conventional,
        savings_pp=(conventional["cost_pp"] - additive["cost_pp"]) if additive and conventional else None,
        additive_feasible=additive is not None,
        chains=sorted(
            (_chain_view(cid, c) for cid, c in record.chains.items()),
            key=lambda c: (not c["feasible"], c["cost_pp"] if c["cost_pp"] is not None else float("inf")),
        ),
    )
    return line


def _suitability(line: dict[str, Any]) -> tuple[int, float]:
    """Sort key: feasible additive first, then the larger saving against conventional."""
    if not line.get("additive_feasible"):
        return (1, 0.0)
    saving = line.get("savings_pp")
    return (0, -(saving if saving is not None else float("-inf")))


def batch_json(batch: BatchRecord, rows: list[tuple[PartRecord, Job | None]]) -> dict[str, Any]:
    """The combined result of a batch."""
    lines = [part_summary(record, job) for record, job in rows]
    counts = {"parts": len(lines), "done": 0, "error": 0, "pending": 0, "refused": len(batch.refused)}
    for line in lines:
        key = line["status"] if line["status"] in ("done", "error") else "pending"
        counts[key] += 1
    finished = counts["done"] + counts["error"]
    ranked = sorted((ln for ln in lines if ln["status"] == "done"), key=_suitability)
    best = [ln["best_additive"] for ln in ranked if ln.get("best_additive")]
    return {
        "batch_id": batch.id,
        "name": batch.name,
        "options": batch.options,
        "created_at": batch.created_at.isoformat(),
        "status": "done" if finished == len(lines) else "running",
        "progress": finished / len(lines) if lines else 1.0,
        "counts": counts,
        "ranking": [ln["part_id"] for ln in ranked],
        "totals": {
            "additive_cost_pl": sum(c["cost_pl"] for c in best if c.get("cost_pl") is not None),
            "additive_co2_pp": sum(c["co2_pp"] for c in best if c.get("co2_pp") is not None),
            "savings_pp": sum(ln["savings_pp"] for ln in ranked if ln.get("savings_pp") is not None),
        },
        "parts": lines,
        "refused": batch.refused,
    }


@router.get("/batch/{batch_id}/", summary="A batch's combined result")
def get_batch(request: Request, batch_id: str, principal: Reader) -> dict[str, Any]:
    """Progress while the analyses run; then every part's best chains, savings and ranking."""
    svc = services(request)
    with svc.db.session() as session:
        batch = owned(session, BatchRecord, batch_id, principal.owner)
        if batch is None:
            raise ApiError("request.not_found", f"batch {batch_id} does not exist or is not yours")
        rows = session.execute(
            select(PartRecord, Job)
            .outerjoin(Job, Job.id == PartRecord.job_id)
            .where(PartRecord.batch_id == batch_id, PartRecord.owner == principal.owner)
            .order_by(PartRecord.created_at, PartRecord.basename)
        ).all()
    return batch_json(batch, [(r[0], r[1]) for r in rows])


@router.get("/batch/", summary="Your batches")
def list_batches(request: Request, principal: Reader) -> list[dict[str, Any]]:
    """Id, name, options and creation time of each batch, newest first."""
    with services(request).db.session() as session:
        rows = session.scalars(
            select(BatchRecord)
            .where(BatchRecord.owner == principal.owner)
            .order_by(BatchRecord.created_at.desc())
        ).all()
    return [
        {"batch_id": b.id, "name": b.name, "options": b.options, "created_at": b.created_at.isoformat()}
        for b in rows
    ]
