"""A content-addressed blob store on local disk: bytes are kept under their SHA-256.

Writing the same bytes twice stores them once; a write goes to a temporary file in the same
directory and is renamed into place, so a crash never leaves a half-written blob under a
valid name, and readers never see partial content. S3 arrives with the scale-out issue behind
the same two methods.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path

from makeready.errors import MakereadyError

__all__ = ["LocalBlobStore"]


class LocalBlobStore:
    """Blobs under ``root/ab/cd/<sha256>``.

    Parameters
    ----------
    root : Path
        Directory of the store (created when missing).

    """

    def __init__(self, root: Path, cache_bytes: int = 64 << 20) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        # Blobs never change under their hash, so small hot ones (reports being polled) can be
        # served from memory without any invalidation.
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_bytes, self._cached = cache_bytes, 0
        self._lock = threading.Lock()

    def path(self, sha256: str) -> Path:
        """Where the blob with this hash lives (it may not exist)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256 hex digest."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        """The bytes stored under ``sha256``; ``file.not_found`` when the blob is missing."""
        cached = self._cache.get(sha256)
        if cached is not None:
            return cached
        try:
            data = self.path(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise MakereadyError("file.not_found", f"blob {sha256} is missing from the store") from exc
        if len(data) <= self._cache_bytes // 64:
            with self._lock:
                if sha256 not in self._cache:
                    self._cache[sha256] = data
                    self._cached += len(data)
                while self._cached > self._cache_bytes:
                    _, old = self._cache.popitem(last=False)
                    self._cached -= len(old)
        return data

    def check(self) -> None:
        """Write, read back and remove a probe file; raises when the store is unusable."""
        probe = self.root / f".probe-{os.getpid()}"
        probe.write_bytes(b"ok")
        if probe.read_bytes() != b"ok":
            raise OSError(f"blob store {self.root} returned different bytes")
        probe.unlink()
