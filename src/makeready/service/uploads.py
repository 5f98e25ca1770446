"""Reading uploaded part files: size limits, content sniffing, loading in a worker thread."""

from __future__ import annotations

from fastapi import UploadFile
from starlette.concurrency import run_in_threadpool

from makeready.errors import MakereadyError
from makeready.geometry.formats import load, sniff
from makeready.geometry.mesh import Part
from makeready.jobs.tasks import load_limits
from makeready.settings import Settings

__all__ = ["load_upload", "read_upload", "upload_name"]

_CHUNK = 1 << 20


def upload_name(filename: str | None, default: str) -> str:
    """The client's file name, refused (``upload.unsafe_name``) if it is more than a name.

    Names are never used as paths here (blobs are content-addressed), but a name with
    directories, ``..``, or control characters is a client bug or an attack, and would be
    handed back in downloads and exports: refuse it rather than guess.
    """
    if not filename:
        return default
    if (
        "/" in filename
        or "\\" in filename
        or filename in (".", "..")
        or any(ord(c) < 32 or ord(c) == 127 for c in filename)
        or len(filename) > 255
    ):
        raise MakereadyError(
            "upload.unsafe_name",
            f"the file name {filename[:80]!r} is not a plain file name",
            name=filename[:255],
        )
    return filename


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
