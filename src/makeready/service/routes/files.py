"""3D Print API's files: upload bytes for ``meshes/import``; download results (printables, exports)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from makeready.errors import MakereadyError
from makeready.rendering.print_definitions import definition_file
from makeready.service.auth import Reader, Svc, Writer
from makeready.service.problems import ApiError
from makeready.service.uploads import upload_name
from makeready.store.models import FileRecord
from makeready.store.resources import owned, record_file
from makeready.wire import FileInfo, FileUpload

router = APIRouter(prefix="/api/v1/files", tags=["3D Print API: files"])


@router.post("/upload", response_model=FileUpload, response_model_exclude_unset=True, summary="Upload files")
@router.post("", include_in_schema=False)
async def upload(
    svc: Svc,
    file: Annotated[list[UploadFile], File(description="one or more files")],
    principal: Writer,
) -> dict[str, Any]:
    """``{"files": [{"name", "file_id"}], "file_id": <first>}``."""
    names = [upload_name(item.filename, "upload.bin") for item in file]

    def store() -> list[dict[str, str]]:
        # Streamed from the request's spooled temporary file into the blob store, one chunk
        # in memory at a time (S3: a multipart upload above 8 MiB).
        stored = []
        for item, name in zip(file, names, strict=True):
            sha256, size = svc.blobs.put_stream(item.file)
            if size == 0:
                raise MakereadyError("file.empty", f"{name} holds no bytes")
            if size > svc.settings.max_upload_bytes:
                raise MakereadyError(
                    "file.too_large", f"{name} exceeds {svc.settings.max_upload_bytes} bytes"
                )
            stored.append((name, sha256, size, item.content_type or "application/octet-stream"))
        with svc.db.session() as session:
            rows = [record_file(session, principal.owner, *entry) for entry in stored]
            session.commit()
            return [{"name": r.name, "file_id": r.id} for r in rows]

    files = await run_in_threadpool(store)
    return {"files": files, "file_id": files[0]["file_id"]}


@router.get("", response_model=list[FileInfo], response_model_exclude_unset=True, summary="Your files")
def list_files(svc: Svc, principal: Reader) -> list[dict[str, Any]]:
    """Name, size and type of every file you uploaded or a task made, newest first."""
    with svc.db.session() as session:
        rows = session.scalars(
            select(FileRecord)
            .where(FileRecord.owner == principal.owner)
            .order_by(FileRecord.created_at.desc())
        ).all()
    return [{"file_id": r.id, "name": r.name, "size": r.size, "content_type": r.content_type} for r in rows]


@router.get("/{file_id}", summary="Download a file", response_class=Response)
def download(request: Request, svc: Svc, file_id: str, principal: Reader) -> Response:
    """The file's bytes as an attachment."""
    with svc.db.session() as session:
        record = owned(session, FileRecord, file_id, principal.owner)
    if record is None:
        generated = definition_file(file_id)  # printer type icons and beds, the same for everyone
        if generated is None:
            raise ApiError("request.not_found", f"file {file_id} does not exist or is not yours")
        name, content, media_type = generated
        return Response(
            content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in record.name) or "file"
    # Streamed chunk by chunk from the blob store (printables and exports can be large).
    return StreamingResponse(
        svc.blobs.open(record.sha256),
        media_type=record.content_type,
        headers={"Content-Disposition": f'attachment; filename="{safe}"', "Content-Length": str(record.size)},
    )
