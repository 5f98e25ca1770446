"""Content-addressed blob stores: bytes are kept under their SHA-256.

Two backends share one interface (:class:`BlobStore`): :class:`LocalBlobStore` on a local
disk (the default) and :class:`~makeready.store.s3.S3BlobStore` on any S3-compatible service.
Writing the same bytes twice stores them once, and a blob never changes under its name, so
readers never see partial content and small hot blobs may be cached in memory without
invalidation. Large uploads and downloads go through :meth:`BlobStore.put_stream` and
:meth:`BlobStore.open`, which hold one chunk in memory at a time.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from makeready.errors import MakereadyError

__all__ = ["CHUNK_BYTES", "BlobStore", "LocalBlobStore", "MemoryCache", "check_digest", "spool"]

#: Streaming chunk size, bytes.
CHUNK_BYTES = 1 << 20
_HEX2 = re.compile(r"^[0-9a-f]{2}$")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def check_digest(sha256: str) -> str:
    """``sha256`` if it is a lower-case hex SHA-256 digest, else ValueError (never a path)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


def missing(sha256: str) -> MakereadyError:
    """The error for a blob that is not in the store."""
    return MakereadyError("file.not_found", f"blob {sha256} is missing from the store")


def spool(stream: BinaryIO, directory: Path | None = None) -> tuple[BinaryIO, str, int]:
    """Copy ``stream`` to an anonymous temporary file while hashing it, chunk by chunk.

    Returns the temporary file (rewound; the caller closes it), its SHA-256 and its size in
    bytes. Memory use is one chunk whatever the size.
    """
    digest, size = hashlib.sha256(), 0
    handle = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - handed to the caller
    try:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
            handle.write(chunk)
            size += len(chunk)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle, digest.hexdigest(), size


class MemoryCache:
    """A byte-bounded FIFO of small blobs (safe: a blob never changes under its hash)."""

    def __init__(self, max_bytes: int) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._max, self._held = max_bytes, 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """The cached bytes, or None."""
        return self._items.get(key)

    def drop(self, key: str) -> None:
        """Forget ``key`` (its blob was deleted)."""
        with self._lock:
            data = self._items.pop(key, None)
            if data is not None:
                self._held -= len(data)

    def offer(self, key: str, data: bytes) -> None:
        """Keep ``data`` if it is small (at most 1/64 of the budget)."""
        if len(data) > self._max // 64:
            return
        with self._lock:
            if key not in self._items:
                self._items[key] = data
                self._held += len(data)
            while self._held > self._max:
                _, old = self._items.popitem(last=False)
                self._held -= len(old)


class BlobStore(Protocol):
    """What the service and the jobs need of a blob store."""

    def put(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256 hex digest."""
        ...

    def put_stream(self, stream: BinaryIO) -> tuple[str, int]:
        """Store a stream's bytes without holding them in memory; returns (SHA-256, size)."""
        ...

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``; ``file.not_found`` when missing."""
        ...

    def open(self, sha256: str) -> Iterator[bytes]:
        """The stored bytes as chunks of at most :data:`CHUNK_BYTES`; ``file.not_found`` when missing."""
        ...

    def check(self) -> None:
        """Write, read back and remove a probe; raises when the store is unusable."""
        ...

    def stored_before(self, cutoff: float) -> Iterator[tuple[str, int]]:
        """(sha256, size) of the blobs last written or reused before ``cutoff`` (epoch seconds)."""
        ...

    def delete_unless_touched(self, sha256: str, cutoff: float) -> bool:
        """Delete a blob unless it was written or reused at or after ``cutoff``; True if deleted."""
        ...

    def describe(self) -> str:
        """Where the blobs live, for logs."""
        ...


class LocalBlobStore:
    """Blobs under ``root/ab/cd/<sha256>`` on a local (or shared network) disk.

    A write goes to a temporary file in the target directory, is fsynced and renamed into
    place, so a crash never leaves a half-written blob under a valid name.

    Parameters
    ----------
    root : Path
        Directory of the store (created when missing).
    cache_bytes : int
        Memory for small hot blobs (reports being polled).

    """

    def __init__(self, root: Path, cache_bytes: int = 64 << 20) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._cache = MemoryCache(cache_bytes)

    def path(self, sha256: str) -> Path:
        """Where the blob with this hash lives (it may not exist)."""
        check_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def _install(self, digest: str, write: bytes | BinaryIO) -> None:
        target = self.path(digest)
        try:
            # Reused content is fresh again: the retention sweep never takes a blob touched
            # within its grace period (see sweep_candidates / delete_unless_touched).
            os.utime(target)
            return
        except FileNotFoundError:
            pass
        except PermissionError:  # another user's file on a shared store: it exists, keep it
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                if isinstance(write, bytes):
                    handle.write(write)
                else:
                    shutil.copyfileobj(write, handle, CHUNK_BYTES)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256 hex digest."""
        digest = hashlib.sha256(data).hexdigest()
        self._install(digest, data)
        return digest

    def put_stream(self, stream: BinaryIO) -> tuple[str, int]:
        """Store a stream chunk by chunk; returns (SHA-256, size in bytes)."""
        spooled, digest, size = spool(stream, self.root)
        with spooled:
            self._install(digest, spooled)
        return digest, size

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``; ``file.not_found`` when the blob is missing."""
        cached = self._cache.get(sha256)
        if cached is not None:
            return cached
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise missing(sha256) from exc
        self._cache.offer(sha256, data)
        return data

    def open(self, sha256: str) -> Iterator[bytes]:
        """The blob as chunks (the file is opened now, so a missing blob fails here)."""
        try:
            handle = self.path(sha256).open("rb")
        except FileNotFoundError as exc:
            raise missing(sha256) from exc

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(CHUNK_BYTES):
                    yield chunk

        return chunks()

    def stored_before(self, cutoff: float) -> Iterator[tuple[str, int]]:
        """(sha256, size in bytes) of every blob last written or reused before ``cutoff`` (epoch s)."""
        for level1 in sorted(self.root.iterdir()):
            if not (level1.is_dir() and _HEX2.match(level1.name)):
                continue
            for level2 in sorted(level1.iterdir()):
                if not (level2.is_dir() and _HEX2.match(level2.name)):
                    continue
                for path in level2.iterdir():
                    if not _DIGEST.match(path.name):
                        continue  # temporaries of writes in flight
                    try:
                        stat = path.stat()
                    except FileNotFoundError:
                        continue
                    if stat.st_mtime < cutoff:
                        yield path.name, stat.st_size

    def delete_unless_touched(self, sha256: str, cutoff: float) -> bool:
        """Delete a blob unless it was written or reused at or after ``cutoff``; True if deleted.

        The blob is first renamed aside, then its time is read again: a write that reused it
        before the rename left a fresh time (it is put back); one after the rename finds no
        file and writes the content anew. Either way the writer's blob exists afterwards.
        """
        path = self.path(sha256)
        aside = path.with_name(f".gc-{sha256}")
        try:
            os.replace(path, aside)
        except FileNotFoundError:
            return False
        if aside.stat().st_mtime >= cutoff:
            os.replace(aside, path)
            return False
        aside.unlink()
        self._cache.drop(sha256)
        return True

    def check(self) -> None:
        """Write, read back and remove a probe file; raises when the store is unusable."""
        probe = self.root / f".probe-{os.getpid()}-{threading.get_ident()}"
        probe.write_bytes(b"ok")
        if probe.read_bytes() != b"ok":
            raise OSError(f"blob store {self.root} returned different bytes")
        probe.unlink()

    def describe(self) -> str:
        """The store's directory."""
        return str(self.root)
