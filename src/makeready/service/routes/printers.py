"""Printers and print jobs: the 3D Print API family's printer registration and management, adapted.

A printer is registered as a connection to the print server that drives it (OctoPrint: URL and
API key, the key sealed at rest and never returned). ``POST printers/:id/jobs`` uploads a
printable (a file, or the latest printable of a tray) and starts it; job status and progress
are read from the printer whenever a job or the printer's status is asked for.
"""

from __future__ import annotations

import io
import re
import uuid
from functools import cache
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, HttpUrl
from sqlalchemy import ColumnElement, select

from makeready.connectors import (
    CONNECTION_KINDS,
    JobStatus,
    PrinterConnector,
    PrinterStatus,
    connector,
    job_status,
)
from makeready.errors import MakereadyError
from makeready.print_definitions import PrintDefinitions
from makeready.service.auth import Reader, Svc, Writer
from makeready.service.lookup import owned_or_404
from makeready.service.problems import ApiError
from makeready.service.state import Services
from makeready.store.models import FileRecord, Job, PrinterRecord, PrintJobRecord, TrayRecord, utcnow
from makeready.store.secrets import SecretBox
from makeready.wire import Printer, PrintJob
from makeready.wire import PrinterStatus as PrinterStatusWire

router = APIRouter(prefix="/api/v1/print", tags=["printers and print jobs"])


class Connection(BaseModel):
    """How to reach the printer's server."""

    type: Literal["octoprint"] = Field("octoprint", description=f"one of {', '.join(CONNECTION_KINDS)}")
    url: HttpUrl
    api_key: str = Field(
        min_length=1, max_length=500, pattern=r"^[!-~]+$", description="stored encrypted, never returned"
    )


class RegisterPrinter(BaseModel):
    """``POST printers/register``."""

    printer_name: str = Field(min_length=1, max_length=255)
    connection: Connection
    printer_type_id: str | None = Field(None, max_length=100, description="a printer type id or name")


class CreateJob(BaseModel):
    """``POST printers/:id/jobs``: print a file, or the latest printable of a tray."""

    file_id: uuid.UUID | None = None
    tray_id: uuid.UUID | None = None
    job_name: str | None = Field(None, max_length=200)
    start: bool = Field(True, description="start printing at once (else only upload)")


class PrinterCommand(BaseModel):
    """``POST printers/:id/command``."""

    command: Literal["pause", "resume", "cancel"]


class UpdateJob(BaseModel):
    """``PUT jobs/:id``: ``{"job_status": "cancelled"}`` cancels the job on its printer."""

    job_status: Literal["cancelled"]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def printer_json(row: PrinterRecord) -> dict[str, Any]:
    """The printer object (no key)."""
    return {
        "id": row.id,
        "printer_name": row.name,
        "connection": {"type": row.kind, "url": row.url, "server": row.server},
        "printer_type_id": row.printer_type_id,
        "created": _iso(row.created_at),
    }


def job_json(row: PrintJobRecord) -> dict[str, Any]:
    """The print job object."""
    return {
        "id": row.id,
        "printer_id": row.printer_id,
        "job_name": row.job_name,
        "job_status": row.status,
        "job_progress": row.progress,
        "file_id": row.file_id,
        "tray_id": row.tray_id,
        "created": _iso(row.created_at),
        "updated": _iso(row.updated_at),
        "finished": _iso(row.finished_at),
    }


def _box(svc: Services) -> SecretBox:
    return _secret_box(svc.settings.secret_key, svc.settings.data_dir)


@cache
def _secret_box(secret_key: str | None, data_dir: Path) -> SecretBox:
    """One box per key: the key file is read once per process, not on every printer request."""
    return SecretBox.from_settings(secret_key, data_dir)


def _connect(svc: Services, row: PrinterRecord) -> PrinterConnector:
    return connector(
        row.kind, row.url, _box(svc).open(row.api_key_sealed), timeout_s=svc.settings.printer_timeout_s
    )


def _printer(svc: Services, printer_id: str, owner: str) -> PrinterRecord:
    with svc.db.session() as session:
        row = owned_or_404(session, PrinterRecord, printer_id, owner, "printer")
    return row


def _job(svc: Services, job_id: str, owner: str) -> PrintJobRecord:
    with svc.db.session() as session:
        row = owned_or_404(session, PrintJobRecord, job_id, owner, "print job")
    return row


def _refresh(
    svc: Services, jobs: list[PrintJobRecord], reading: PrinterStatus, link: PrinterConnector
) -> None:
    """Bring the unfinished ``jobs`` of one printer up to date with its reading (and store them)."""
    with svc.db.session() as session:
        for job in jobs:
            if JobStatus(job.status).finished:
                continue
            running = reading.file_name == job.remote_name and reading.state.value in ("printing", "paused")
            outcome = None if running else link.outcome(job.remote_name)
            status, progress = job_status(
                JobStatus(job.status),
                job.remote_name,
                reading,
                outcome,
                cancel_requested=job.cancel_requested,
            )
            if status.value != job.status or progress != job.progress:
                job.status, job.progress, job.updated_at = status.value, progress, utcnow()
                if status.finished:
                    job.finished_at = job.updated_at
                session.merge(job)
        session.commit()


def _open_jobs(svc: Services, printer_id: str) -> list[PrintJobRecord]:
    finished = [s.value for s in JobStatus if s.finished]
    with svc.db.session() as session:
        return list(
            session.scalars(
                select(PrintJobRecord)
                .where(PrintJobRecord.printer_id == printer_id, PrintJobRecord.status.not_in(finished))
                .order_by(PrintJobRecord.created_at)
            ).all()
        )


@router.post("/printers/register", status_code=201, response_model=Printer, summary="Register a printer")
def register_printer(svc: Svc, body: RegisterPrinter, principal: Writer) -> dict[str, Any]:
    """Checks the connection now (the server must answer and accept the key); 201 with the printer."""
    printer_type = (
        PrintDefinitions.default().printer_type(body.printer_type_id).id if body.printer_type_id else None
    )
    url = str(body.connection.url).rstrip("/")
    link = connector(
        body.connection.type, url, body.connection.api_key, timeout_s=svc.settings.printer_timeout_s
    )
    server = link.identify()
    row = PrinterRecord(
        id=str(uuid.uuid4()),
        owner=principal.owner,
        name=body.printer_name,
        kind=body.connection.type,
        url=url,
        api_key_sealed=_box(svc).seal(body.connection.api_key),
        printer_type_id=printer_type,
        server=server[:200],
        created_at=utcnow(),
    )
    with svc.db.session() as session:
        session.add(row)
        session.commit()
        return printer_json(row)


@router.get("/printers", response_model=list[Printer], summary="Your printers")
def list_printers(svc: Svc, principal: Reader) -> list[dict[str, Any]]:
    """Every printer you registered, oldest first."""
    with svc.db.session() as session:
        rows = session.scalars(
            select(PrinterRecord)
            .where(PrinterRecord.owner == principal.owner)
            .order_by(PrinterRecord.created_at)
        ).all()
        return [printer_json(r) for r in rows]


@router.get(
    "/printers/status/{printer_id}", response_model=PrinterStatusWire, summary="A printer's state now"
)
def printer_status(svc: Svc, printer_id: str, principal: Reader) -> dict[str, Any]:
    """Read from the printer; its unfinished jobs are brought up to date on the way."""
    row = _printer(svc, printer_id, principal.owner)
    link = _connect(svc, row)
    reading = link.status()
    jobs = _open_jobs(svc, row.id)
    _refresh(svc, jobs, reading, link)
    current = next((j for j in jobs if j.remote_name == reading.file_name), None)
    temperature = {name: {"actual": a, "target": t} for name, (a, t) in reading.temperatures.items()}
    return {
        "printer_id": row.id,
        "printer_name": row.name,
        "printer_status": reading.state.value,
        "message": reading.message,
        "job_id": current.id if current else None,
        "job_name": current.job_name if current else None,
        "job_status": current.status if current else None,
        "job_progress": current.progress if current else None,
        "progress": reading.progress,
        "data": {
            "file_name": reading.file_name,
            "seconds_printing": reading.seconds_printing,
            "seconds_left": reading.seconds_left,
            "temperature": temperature,
        },
    }


@router.get("/printers/{printer_id}", response_model=Printer, summary="One printer")
def get_printer(svc: Svc, printer_id: str, principal: Reader) -> dict[str, Any]:
    """The printer object (the API key is never returned)."""
    return printer_json(_printer(svc, printer_id, principal.owner))


@router.delete("/printers/{printer_id}", status_code=204, response_class=Response, summary="Forget a printer")
def delete_printer(svc: Svc, printer_id: str, principal: Writer) -> Response:
    """Forget the printer and its sealed key; its jobs stay readable."""
    row = _printer(svc, printer_id, principal.owner)
    with svc.db.session() as session:
        session.delete(session.merge(row))
        session.commit()
    return Response(status_code=204)


@router.post(
    "/printers/{printer_id}/command", response_model=PrinterStatusWire, summary="Pause, resume, cancel"
)
def printer_command(
    request: Request, svc: Svc, printer_id: str, body: PrinterCommand, principal: Writer
) -> dict[str, Any]:
    """Send the command to the printer; the answer is its status afterwards."""
    row = _printer(svc, printer_id, principal.owner)
    _command(svc, row, body.command)
    return printer_status(svc, printer_id, principal)


def _command(svc: Services, row: PrinterRecord, command: str) -> None:
    link = _connect(svc, row)
    if command == "cancel":
        reading = link.status()
        with svc.db.session() as session:
            for job in _open_jobs(svc, row.id):
                if job.remote_name == reading.file_name:
                    job.cancel_requested = True
                    session.merge(job)
            session.commit()
    link.command(command)


def _printable_of_tray(svc: Services, tray_id: str, owner: str) -> str:
    """The file id of the tray's latest printable (``trays/generate-printable``)."""
    with svc.db.session() as session:
        owned_or_404(session, TrayRecord, tray_id, owner, "tray")
        done = session.scalars(
            select(Job)
            .where(Job.owner == owner, Job.kind == "tray.generate_printable", Job.status == "done")
            .order_by(Job.finished_at.desc())
            .limit(500)
        ).all()
    for job in done:
        if job.payload.get("id") == tray_id and job.result and job.result.get("file_id"):
            return str(job.result["file_id"])
    raise MakereadyError(
        "tray.not_ready", f"tray {tray_id} has no printable yet: POST trays/generate-printable first"
    )


@router.post(
    "/printers/{printer_id}/jobs", status_code=201, response_model=PrintJob, summary="Print on a printer"
)
def create_job(
    request: Request, svc: Svc, printer_id: str, body: CreateJob, principal: Writer
) -> dict[str, Any]:
    """Upload the printable to the printer and start it; 201 with the job (``printing``)."""
    row = _printer(svc, printer_id, principal.owner)
    if (body.file_id is None) == (body.tray_id is None):
        raise MakereadyError("request.invalid", "give exactly one of file_id (a printable) or tray_id")
    tray_id = str(body.tray_id) if body.tray_id else None
    file_id = _printable_of_tray(svc, tray_id, principal.owner) if tray_id else str(body.file_id)
    with svc.db.session() as session:
        record = owned_or_404(session, FileRecord, file_id, principal.owner, "file")
    job_id = str(uuid.uuid4())
    # A name of its own on the printer, so the printer's record of how it ended is this job's.
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", record.name).strip("._") or "printable"
    remote = f"makeready-{job_id[:8]}-{stem}"
    link = _connect(svc, row)
    stored = link.upload(remote, io.BytesIO(svc.blobs.get(record.sha256)), start=body.start)
    now = utcnow()
    job = PrintJobRecord(
        id=job_id,
        owner=principal.owner,
        printer_id=row.id,
        job_name=body.job_name or record.name,
        file_id=file_id,
        tray_id=tray_id,
        remote_name=stored,
        status=(JobStatus.PRINTING if body.start else JobStatus.SENT).value,
        progress=0.0,
        cancel_requested=False,
        created_at=now,
        updated_at=now,
    )
    with svc.db.session() as session:
        session.add(job)
        session.commit()
        return job_json(job)


@router.get("/printers/{printer_id}/jobs", response_model=list[PrintJob], summary="A printer's jobs")
def printer_jobs(svc: Svc, printer_id: str, principal: Reader) -> list[dict[str, Any]]:
    """The printer's jobs as last read, newest first."""
    row = _printer(svc, printer_id, principal.owner)
    return _jobs(svc, PrintJobRecord.printer_id == row.id)


@router.get("/jobs", response_model=list[PrintJob], summary="Your print jobs")
def list_jobs(svc: Svc, principal: Reader) -> list[dict[str, Any]]:
    """Every print job you started, as last read, newest first."""
    return _jobs(svc, PrintJobRecord.owner == principal.owner)


def _jobs(svc: Services, condition: ColumnElement[bool]) -> list[dict[str, Any]]:
    """The print jobs meeting ``condition``, newest first."""
    with svc.db.session() as session:
        rows = session.scalars(
            select(PrintJobRecord).where(condition).order_by(PrintJobRecord.created_at.desc())
        ).all()
        return [job_json(r) for r in rows]


@router.get("/jobs/{job_id}", response_model=PrintJob, summary="One print job (read from its printer)")
def get_job(svc: Svc, job_id: str, principal: Reader) -> dict[str, Any]:
    """An unfinished job's status and progress are read from its printer first."""
    job = _job(svc, job_id, principal.owner)
    if not JobStatus(job.status).finished:
        with svc.db.session() as session:
            row = session.get(PrinterRecord, job.printer_id)
        if row is not None:
            link = _connect(svc, row)
            _refresh(svc, [job], link.status(), link)
            job = _job(svc, job_id, principal.owner)
    return job_json(job)


@router.put("/jobs/{job_id}", response_model=PrintJob, summary="Cancel a print job")
def update_job(request: Request, svc: Svc, job_id: str, body: UpdateJob, principal: Writer) -> dict[str, Any]:
    """``{"job_status": "cancelled"}``: cancel it on its printer if it is the printer's current job."""
    job = _job(svc, job_id, principal.owner)
    if JobStatus(job.status).finished:
        raise MakereadyError("printer.not_ready", f"print job {job_id} has already {job.status}")
    with svc.db.session() as session:
        row = session.get(PrinterRecord, job.printer_id)
    if row is None:
        raise ApiError("request.not_found", f"the printer of job {job_id} was removed")
    link = _connect(svc, row)
    reading = link.status()
    if reading.file_name != job.remote_name or reading.state.value not in ("printing", "paused", "busy"):
        raise MakereadyError("printer.not_ready", f"print job {job_id} is not running on its printer")
    with svc.db.session() as session:
        job.cancel_requested = True
        session.merge(job)
        session.commit()
    link.command("cancel")
    return get_job(svc, job_id, principal)
