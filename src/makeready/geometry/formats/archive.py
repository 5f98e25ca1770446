"""Defensive zip reading: entry names, entry counts and expansion are bounded.

Declared sizes in a zip directory can lie, so every entry is decompressed as a stream and
abandoned as soon as it passes its budget (the smaller of the archive's remaining byte budget
and ``compressed size x max ratio``).
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

from makeready.errors import MakereadyError
from makeready.limits import LoadLimits

__all__ = ["SafeZip"]

_CHUNK = 1 << 20
# Everything zipfile's parser raises on corrupt archives (UnicodeDecodeError is a ValueError).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError,
               struct.error, OverflowError, NotImplementedError, RuntimeError, KeyError)  # fmt: skip
_SMALL_ENTRY = 1 << 20  # entries that expand to less than this are never called bombs


def _check_name(name: str) -> None:
    if not name:  # a central-directory record with no name: zipfile itself fails on it (is_dir)
        raise MakereadyError("zip.invalid", "an archive entry has an empty name")
    normalized = name.replace("\\", "/")
    parts = normalized.split("/")
    if normalized.startswith("/") or ".." in parts or (len(parts[0]) == 2 and parts[0][1] == ":"):
        raise MakereadyError("zip.path_traversal", f"archive entry {name!r} points outside the archive")


@dataclass
class SafeZip:
    """A read-only view of a zip archive that enforces :class:`LoadLimits`.

    Parameters
    ----------
    data : bytes
        The whole archive.
    limits : LoadLimits
        Entry-count, expansion-ratio and total-size limits.

    """

    data: bytes
    limits: LoadLimits
    _zip: zipfile.ZipFile = field(init=False)
    _by_lower: dict[str, zipfile.ZipInfo] = field(init=False)
    _expanded: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(self.data))
            infos = self._zip.infolist()
        except _ZIP_ERRORS as exc:
            raise MakereadyError("zip.invalid", f"the archive cannot be opened: {exc}") from None
        if len(infos) > self.limits.max_zip_entries:
            raise MakereadyError(
                "zip.bomb", f"the archive lists {len(infos)} entries (limit {self.limits.max_zip_entries})"
            )
        self._by_lower = {}
        for info in infos:
            _check_name(info.filename)
            self._by_lower[info.filename.lower()] = info

    def names(self) -> list[str]:
        """Entry names of files (not folders), in archive order."""
        return [i.filename for i in self._zip.infolist() if not i.is_dir()]

    def find(self, name: str) -> str | None:
        """Return the stored name of entry ``name``, compared case-insensitively (OPC rule), or None."""
        key = posixpath.normpath(name.replace("\\", "/").lstrip("/")).lower()
        info = self._by_lower.get(key)
        return None if info is None or info.is_dir() else info.filename

    def read(self, name: str) -> bytes:
        """Decompress one entry within the limits.

        Raises
        ------
        MakereadyError
            ``zip.bomb`` when the entry expands past its budget, ``zip.invalid`` on corrupt data.

        """
        stored = self.find(name)
        if stored is None:
            raise MakereadyError("zip.invalid", f"the archive has no entry {name!r}")
        info = self._zip.getinfo(stored)
        remaining = self.limits.max_unzipped_bytes - self._expanded
        by_ratio = max(int(info.compress_size * self.limits.max_zip_ratio), _SMALL_ENTRY)
        budget = min(remaining, by_ratio)
        if info.file_size > budget:
            raise self._bomb(stored, info.file_size, budget)
        out = bytearray()
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(_CHUNK):
                    out += chunk
                    if len(out) > budget:
                        raise self._bomb(stored, len(out), budget)
        except MakereadyError:
            raise
        except _ZIP_ERRORS as exc:
            raise MakereadyError("zip.invalid", f"entry {stored!r} cannot be read: {exc}") from None
        self._expanded += len(out)
        return bytes(out)

    @staticmethod
    def _bomb(name: str, size: int, budget: int) -> MakereadyError:
        return MakereadyError(
            "zip.bomb",
            f"entry {name!r} expands to at least {size} bytes, past its budget of {budget} bytes",
            entry=name,
            budget=budget,
        )
