"""What every reader returns, and helpers the readers share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from makeready.errors import MakereadyError
from makeready.geometry.mesh import Body

__all__ = [
    "ReadResult",
    "compact",
    "ensure_finite",
    "ensure_indices",
    "face_array",
    "index_array",
    "is_text",
    "non_mesh_kind",
]


@dataclass
class ReadResult:
    """A reader's output before unit conversion.

    Attributes
    ----------
    bodies : list of Body
        Bodies in the file's own units (or already in mm when ``units_applied``).
    source_format : str
        Format tag, e.g. ``"stl-binary"``.
    units : str or None
        The unit the file itself declares (3MF, STEP); None when the format has no units.
    units_applied : bool
        True when the reader already converted coordinates to mm.
    notes : list of str
        What a user should know about the read.
    metadata : dict
        Metadata the file carries.

    """

    bodies: list[Body]
    source_format: str
    units: str | None = None
    units_applied: bool = False
    notes: list[str] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)


#: Signatures of common files that are not parts (what people upload by mistake), and what
#: to call them in an error message.
_NON_MESH_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"MZ", "a Windows executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a Microsoft Office document"),
)


def non_mesh_kind(data: bytes) -> str | None:
    """What ``data`` looks like when its signature is a known non-part format, else None."""
    for magic, kind in _NON_MESH_MAGIC:
        if data.startswith(magic):
            return kind
    return None


# Bytes that never occur in text files; any of them marks content as binary.
_NON_TEXT = bytes(range(0, 9)) + bytes([11]) + bytes(range(14, 32)) + b"\x7f"


def is_text(sample: bytes) -> bool:
    """True when ``sample`` holds no control bytes other than tab, newlines and form feed."""
    return len(sample.translate(None, _NON_TEXT)) == len(sample)


def ensure_finite(values: npt.NDArray[np.floating], where: str) -> None:
    """Raise ``file.invalid_number`` when any coordinate is NaN or infinite."""
    if values.size and not np.isfinite(values).all():
        bad = int(np.count_nonzero(~np.isfinite(values)))
        raise MakereadyError(
            "file.invalid_number", f"{where}: {bad} coordinate value(s) are NaN or infinite", count=bad
        )


def ensure_indices(faces: npt.NDArray[np.integer], vertex_count: int, where: str) -> None:
    """Raise ``file.index_out_of_range`` when a face refers past the vertex list."""
    if faces.size and (int(faces.min()) < 0 or int(faces.max()) >= vertex_count):
        bad = int(np.count_nonzero((faces < 0) | (faces >= vertex_count)))
        raise MakereadyError(
            "file.index_out_of_range",
            f"{where}: {bad} face corner(s) refer to vertices outside 0..{vertex_count - 1}",
            count=bad,
        )


def face_array(rows: list[list[int]], where: str) -> npt.NDArray[np.int64]:
    """Polygons of one corner count (lists of vertex indices) as an (n, k) int64 array.

    Raises ``file.index_out_of_range`` for an index that does not fit in 64 bits (text formats
    parse indices as Python integers of any size).
    """
    try:
        return np.asarray(rows, dtype=np.int64)
    except OverflowError:
        raise _beyond_64_bits(where) from None


def index_array(values: Iterable[int], count: int, where: str) -> npt.NDArray[np.int64]:
    """``count`` parsed indices (or counts) as a flat int64 array; see :func:`face_array`."""
    try:
        return np.fromiter(values, np.int64, count)
    except OverflowError:
        raise _beyond_64_bits(where) from None


def _beyond_64_bits(where: str) -> MakereadyError:
    return MakereadyError("file.index_out_of_range", f"{where}: an index or count does not fit in 64 bits")


def compact(
    vertices: npt.NDArray[np.float64], faces: npt.NDArray[np.integer]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], int]:
    """Drop vertices no face uses and renumber the faces (O(n), order kept).

    Returns
    -------
    vertices : (k, 3) float64
    faces : (m, 3) int64
    dropped : int
        How many vertices were unreferenced.

    """
    used = np.zeros(len(vertices), dtype=bool)
    used[faces.ravel()] = True
    dropped = int(len(vertices) - np.count_nonzero(used))
    if dropped == 0:
        return vertices, faces.astype(np.int64, copy=False), 0
    remap = np.cumsum(used, dtype=np.int64) - 1
    return vertices[used], remap[faces], dropped
