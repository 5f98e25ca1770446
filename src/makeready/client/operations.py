"""Every SDK operation, written once as a generator of :class:`Call` and :class:`Pause`.

The drivers in :mod:`makeready.client.sessions` run them; see
:mod:`makeready.client.protocol` for why. Polling starts at ``interval`` seconds and grows
by half each round up to ``max_interval`` (the server answers faster polling with
``429 Retry-After``, which the drivers wait out without failing).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from makeready import wire
from makeready.client.protocol import (
    Call,
    FileInput,
    Op,
    Pause,
    ProgressCallback,
    TaskFailedError,
    WaitTimeoutError,
)

#: Default polling: first pause, growth factor and longest pause (s).
POLL_START_S, POLL_GROWTH, POLL_MAX_S = 1.0, 1.5, 5.0


def _backoff(deadline: float, interval: float, what: str, timeout: float) -> Op[float]:
    if time.monotonic() + interval > deadline:
        raise WaitTimeoutError(f"{what} not finished after {timeout:g} s")
    yield Pause(interval)
    return min(POLL_MAX_S, interval * POLL_GROWTH)


# --- 3D Spark API ------------------------------------------------------------------------------------


def _part_form(
    mat_name: str, prc_acronym: str, lot_size: int, name: str | None, nst_style: str | None
) -> dict[str, Any]:
    data: dict[str, Any] = {"mat_name": mat_name, "prc_acronym": prc_acronym, "lot_size": str(lot_size)}
    if name:
        data["name"] = name
    if nst_style:
        data["nst_style"] = nst_style
    return data


def upload_part(
    file: FileInput,
    mat_name: str,
    prc_acronym: str,
    lot_size: int,
    name: str | None,
    nst_style: str | None = None,
) -> Op[wire.PartUpload]:
    data = _part_form(mat_name, prc_acronym, lot_size, name, nst_style)
    body = yield Call("POST", "/api/v1/part/", data=data, files=[("file", file)])
    return wire.PartUpload.model_validate(body)


def part(part_id: str) -> Op[wire.Part]:
    return wire.Part.model_validate((yield Call("GET", f"/api/v1/part/{part_id}/")))


def parts(limit: int, offset: int) -> Op[list[wire.Part]]:
    body = yield Call("GET", "/api/v1/part/", params={"limit": limit, "offset": offset})
    return [wire.Part.model_validate(p) for p in body]


def delete_part(part_id: str) -> Op[None]:
    yield Call("DELETE", f"/api/v1/part/{part_id}/")


def start_analysis(part_id: str, changes: dict[str, Any]) -> Op[dict[str, Any]]:
    body = yield Call("POST", f"/api/v1/part/{part_id}/start_analysis/", json=changes or None)
    return dict(body)


def analysis_result(part_id: str) -> Op[wire.AnalysisResult]:
    return wire.AnalysisResult.model_validate((yield Call("GET", f"/api/v1/analysisResult/{part_id}/")))


def simplified(part_id: str) -> Op[wire.Simplified]:
    body = yield Call("GET", f"/api/v1/analysisResult/simplified/{part_id}/")
    return wire.Simplified.model_validate(body)


def wait_analysis(part_id: str, timeout: float, progress: ProgressCallback | None) -> Op[wire.AnalysisReport]:
    deadline, interval = time.monotonic() + timeout, POLL_START_S
    while True:
        result = yield from analysis_result(part_id)
        if progress is not None:
            done = 1.0 if result.analysis_finished else (result.progress or 0.0)
            progress(done, result.stage or result.status or "")
        if result.analysis_report is not None:
            return result.analysis_report
        if result.analysis_finished:
            raise TaskFailedError(f"analysis of part {part_id}", result.error)
        interval = yield from _backoff(deadline, interval, f"analysis of part {part_id}", timeout)


def feedback(process_chain_id: str, actuals: dict[str, Any]) -> Op[dict[str, Any]]:
    body = yield Call("PUT", f"/api/v1/process-chain/{process_chain_id}/feedback/", json=actuals)
    return dict(body)


def catalog_list(kind: Literal["machine", "material"], prc_acronym: str | None) -> Op[list[wire.Catalog]]:
    params = {"prc_acronym": prc_acronym} if prc_acronym else None
    body = yield Call("GET", f"/api/v1/{kind}/", params=params)
    return [wire.Catalog.model_validate(r) for r in body]


def catalog_one(kind: Literal["machine", "material"], key: str) -> Op[wire.Catalog]:
    return wire.Catalog.model_validate((yield Call("GET", f"/api/v1/{kind}/{key}/")))


# --- batches -------------------------------------------------------------------------------------


def create_batch(
    files: Sequence[FileInput],
    mat_name: str,
    prc_acronym: str,
    lot_size: int,
    name: str | None,
    nst_style: str | None = None,
) -> Op[wire.BatchCreated]:
    data = _part_form(mat_name, prc_acronym, lot_size, name, nst_style)
    body = yield Call("POST", "/api/v1/batch/", data=data, files=[("files", f) for f in files])
    return wire.BatchCreated.model_validate(body)


def batch(batch_id: str) -> Op[wire.Batch]:
    return wire.Batch.model_validate((yield Call("GET", f"/api/v1/batch/{batch_id}/")))


def batches() -> Op[list[wire.BatchSummary]]:
    return [wire.BatchSummary.model_validate(b) for b in (yield Call("GET", "/api/v1/batch/"))]


def wait_batch(batch_id: str, timeout: float, progress: ProgressCallback | None) -> Op[wire.Batch]:
    deadline, interval = time.monotonic() + timeout, POLL_START_S
    while True:
        result = yield from batch(batch_id)
        if progress is not None:
            counts = result.counts
            progress(
                result.progress, f"{counts.get('done', 0) + counts.get('error', 0)}/{counts.get('parts', 0)}"
            )
        if result.status == "done":
            return result
        interval = yield from _backoff(deadline, interval, f"batch {batch_id}", timeout)


def download_batch_report(batch_id: str, target: Path, fmt: Literal["csv", "xlsx"]) -> Op[Path]:
    path = yield Call("GET", f"/api/v1/batch/{batch_id}/report.{fmt}", download=target)
    return Path(path)


def download_part_display(part_id: str, target: Path) -> Op[Path]:
    return Path((yield Call("GET", f"/api/v1/part/{part_id}/display", download=target)))


def download_analysis_report(part_id: str, target: Path) -> Op[Path]:
    return Path((yield Call("GET", f"/api/v1/analysisResult/{part_id}/report.xlsx", download=target)))


# --- 3D Print API ------------------------------------------------------------------------------------


def upload_file(file: FileInput) -> Op[wire.FileUpload]:
    body = yield Call("POST", "/api/v1/files/upload", files=[("file", file)])
    return wire.FileUpload.model_validate(body)


def files() -> Op[list[wire.FileInfo]]:
    return [wire.FileInfo.model_validate(f) for f in (yield Call("GET", "/api/v1/files"))]


def download(file_id: str, target: Path) -> Op[Path]:
    return Path((yield Call("GET", f"/api/v1/files/{file_id}", download=target)))


def _task(body: Any) -> wire.Task:
    return wire.Task.model_validate(body)


def import_mesh(file_id: str, name: str | None, units: str | None) -> Op[wire.Task]:
    request: dict[str, Any] = {"file_id": file_id}
    if name is not None:
        request["name"] = name
    if units is not None:
        request["units"] = units
    return _task((yield Call("POST", "/api/v1/geom/meshes/import", json=request)))


def mesh(mesh_id: str) -> Op[wire.Mesh]:
    return wire.Mesh.model_validate((yield Call("GET", f"/api/v1/geom/meshes/{mesh_id}")))


def analyze_mesh(mesh_id: str) -> Op[wire.Task | wire.Mesh]:
    body = yield Call("POST", "/api/v1/geom/meshes/analyze", json={"id": mesh_id})
    # A mesh analysed before comes back at once (3D Print API), a new analysis as a task.
    return wire.Mesh.model_validate(body) if "geom" in body else _task(body)


def repair_mesh(mesh_id: str, everything: bool) -> Op[wire.Task]:
    return _task((yield Call("POST", "/api/v1/geom/meshes/repair", json={"id": mesh_id, "all": everything})))


def transform_mesh(mesh_id: str, transform: list[list[float]]) -> Op[wire.Mesh]:
    body = yield Call("POST", "/api/v1/geom/meshes/transform", json={"id": mesh_id, "transform": transform})
    return wire.Mesh.model_validate(body)


def rename_mesh(mesh_id: str, name: str) -> Op[wire.Mesh]:
    body = yield Call("POST", "/api/v1/geom/meshes/rename", json={"id": mesh_id, "name": name})
    return wire.Mesh.model_validate(body)


def export_mesh(mesh_id: str, file_type: str) -> Op[wire.Task]:
    body = yield Call("POST", "/api/v1/geom/meshes/export", json={"id": mesh_id, "file_type": file_type})
    return _task(body)


def create_tray(
    printer_type_id: str,
    mesh_ids: Sequence[str],
    profile_id: str | None,
    default_material_id: str | None,
    mesh_attrs: dict[str, dict[str, bool]] | None,
) -> Op[wire.Task]:
    request: dict[str, Any] = {"printer_type_id": printer_type_id, "mesh_ids": list(mesh_ids)}
    for key, value in (
        ("profile_id", profile_id),
        ("default_material_id", default_material_id),
        ("mesh_attrs", mesh_attrs),
    ):
        if value is not None:
            request[key] = value
    return _task((yield Call("POST", "/api/v1/print/trays", json=request)))


def tray(tray_id: str) -> Op[wire.Tray]:
    return wire.Tray.model_validate((yield Call("GET", f"/api/v1/print/trays/{tray_id}")))


def tray_step(step: str, request: dict[str, Any]) -> Op[wire.Task]:
    return _task((yield Call("POST", f"/api/v1/print/trays/{step}", json=request)))


def task(task_id: str) -> Op[wire.Task]:
    return _task((yield Call("GET", f"/api/v1/print/tasks/{task_id}")))


def wait_task(task_id: str, timeout: float, progress: ProgressCallback | None) -> Op[wire.Task]:
    deadline, interval = time.monotonic() + timeout, POLL_START_S
    while True:
        current = yield from task(task_id)
        if progress is not None:
            progress(current.progress, current.stage or current.state or current.status)
        if current.status == "done":
            return current
        if current.status == "error":
            raise TaskFailedError(f"task {task_id}", current.error.model_dump() if current.error else None)
        interval = yield from _backoff(deadline, interval, f"task {task_id}", timeout)


def print_definitions(kind: str) -> Op[list[wire.PrintDefinition]]:
    return [wire.PrintDefinition.model_validate(d) for d in (yield Call("GET", f"/api/v1/printdb/{kind}"))]


def print_definition(kind: str, key: str) -> Op[wire.PrintDefinition]:
    return wire.PrintDefinition.model_validate((yield Call("GET", f"/api/v1/printdb/{kind}/{key}")))


def version() -> Op[str]:
    return str((yield Call("GET", "/version", auth=False))["version"])


# --- printers and print jobs ------------------------------------------------------------------------


def register_printer(
    name: str, url: str, api_key: str, kind: str, printer_type: str | None
) -> Op[wire.Printer]:
    body = {
        "printer_name": name,
        "connection": {"type": kind, "url": url, "api_key": api_key},
        "printer_type_id": printer_type,
    }
    return wire.Printer.model_validate((yield Call("POST", "/api/v1/print/printers/register", json=body)))


def printers() -> Op[list[wire.Printer]]:
    return [wire.Printer.model_validate(p) for p in (yield Call("GET", "/api/v1/print/printers"))]


def printer(printer_id: str) -> Op[wire.Printer]:
    return wire.Printer.model_validate((yield Call("GET", f"/api/v1/print/printers/{printer_id}")))


def delete_printer(printer_id: str) -> Op[None]:
    yield Call("DELETE", f"/api/v1/print/printers/{printer_id}")


def printer_status(printer_id: str) -> Op[wire.PrinterStatus]:
    return wire.PrinterStatus.model_validate(
        (yield Call("GET", f"/api/v1/print/printers/status/{printer_id}"))
    )


def printer_command(printer_id: str, command: str) -> Op[wire.PrinterStatus]:
    body = yield Call("POST", f"/api/v1/print/printers/{printer_id}/command", json={"command": command})
    return wire.PrinterStatus.model_validate(body)


def start_print(
    printer_id: str, *, file_id: str | None, tray_id: str | None, job_name: str | None, start: bool
) -> Op[wire.PrintJob]:
    request: dict[str, Any] = {"start": start}
    for key, value in (("file_id", file_id), ("tray_id", tray_id), ("job_name", job_name)):
        if value is not None:
            request[key] = value
    body = yield Call("POST", f"/api/v1/print/printers/{printer_id}/jobs", json=request)
    return wire.PrintJob.model_validate(body)


def print_job(job_id: str) -> Op[wire.PrintJob]:
    return wire.PrintJob.model_validate((yield Call("GET", f"/api/v1/print/jobs/{job_id}")))


def print_jobs(printer_id: str | None) -> Op[list[wire.PrintJob]]:
    path = f"/api/v1/print/printers/{printer_id}/jobs" if printer_id else "/api/v1/print/jobs"
    return [wire.PrintJob.model_validate(j) for j in (yield Call("GET", path))]


def cancel_print(job_id: str) -> Op[wire.PrintJob]:
    body = yield Call("PUT", f"/api/v1/print/jobs/{job_id}", json={"job_status": "cancelled"})
    return wire.PrintJob.model_validate(body)


def wait_print(job_id: str, timeout: float, progress: ProgressCallback | None) -> Op[wire.PrintJob]:
    """Poll a print job until it has completed, been cancelled or failed."""
    deadline, interval = time.monotonic() + timeout, POLL_START_S
    while True:
        job = yield from print_job(job_id)
        if progress is not None:
            progress(job.job_progress or 0.0, job.job_status)
        if job.job_status in ("completed", "cancelled", "failed"):
            return job
        interval = yield from _backoff(deadline, interval, f"print job {job_id}", timeout)
