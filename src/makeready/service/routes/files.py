"""Seed 003's files: upload bytes for ``meshes/import``; download results (printables, exports)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from makeready.service.auth import Reader, Writer, services
from makeready.service.problems import ApiError
from makeready.service.uploads import read_upload
from makeready.store.models import FileRecord
from makeready.store.resources import owned, save_file

router = APIRouter(prefix="/api/v1/files", tags=["seed 003: files"])


@router.post("/upload", summary="Upload files")
@router.post("", include_in_schema=False)
async def upload(
    request: Request,
    file: Annotated[list[UploadFile], File(description="one or more files")],
    principal: Writer,
) -> dict[str, Any]:
    """``{"files": [{"name", "file_id"}], "file_id": <first>}``."""
    svc = services(request)
    stored = []
    for item in file:
        data = await read_upload(item, svc.settings)
        name = PurePath(item.filename or "upload.bin").name[:255]
        stored.append((name, data, item.content_type or "application/octet-stream"))

    def store() -> list[dict[str, str]]:
        with svc.db.session() as session:
            rows = [save_file(session, svc.blobs, principal.owner, n, d, t) for n, d, t in stored]
            session.commit()
            return [{"name": r.name, "file_id": r.id} for r in rows]

    files = await run_in_threadpool(store)
    return {"files": files, "file_id": files[0]["file_id"]}


@router.get("", summary="Your files")
def list_files(request: Request, principal: Reader) -> list[dict[str, Any]]:
    """Name, size and type of every file you uploaded or a task made, newest first."""
    with services(request).db.session() as session:
        rows = session.scalars(
            select(FileRecord)
            .where(FileRecord.owner == principal.owner)
            .order_by(FileRecord.created_at.desc())
        ).all()
    return [{"file_id": r.id, "name": r.name, "size": r.size, "content_type": r.content_type} for r in rows]


@router.get("/{file_id}", summary="Download a file", response_class=Response)
def download(request: Request, file_id: str, principal: Reader) -> Response:
    """The file's bytes as an attachment."""
    svc = services(request)
    with svc.db.session() as session:
        record = owned(session, FileRecord, file_id, principal.owner)
        if record is None:
            raise ApiError("request.not_found", f"file {file_id} does not exist or is not yours")
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in record.name) or "file"
    return Response(
        svc.blobs.get(record.sha256),
        media_type=record.content_type,
        headers={"Content-Disposition": f'attachment; filename="{safe}"'},
    )
