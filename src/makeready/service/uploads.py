"""Reading uploaded part files: size limits, content sniffing, loading in a worker thread."""

from __future__ import annotations

from fastapi import UploadFile
from starlette.concurrency import run_in_threadpool

from makeready.errors import MakereadyError
from makeready.geometry.formats import load, sniff
from makeready.geometry.mesh import Part
from makeready.jobs.tasks import load_limits
from makeready.settings import Settings

__all__ = ["load_upload", "read_upload"]

_CHUNK = 1 << 20


async def read_upload(upload: UploadFile, settings: Settings) -> bytes:
    """The uploaded bytes; ``file.empty`` or ``file.too_large`` when they cannot be used."""
    chunks, size = [], 0
    while chunk := await upload.read(_CHUNK):
        size += len(chunk)
        if size > settings.max_upload_bytes:
            raise MakereadyError("file.too_large", f"the upload exceeds {settings.max_upload_bytes} bytes")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise MakereadyError("file.empty", f"{upload.filename or 'the upload'} holds no bytes")
    return data


async def load_upload(data: bytes, filename: str, units: str | None, settings: Settings) -> Part:
    """Sniff and read a part file off the event loop (STEP and big meshes take a while)."""
    sniff(data, filename)  # unknown content: 415 before any parsing work
    return await run_in_threadpool(load, data, filename=filename, units=units, limits=load_limits(settings))
