"""STL: binary (also when the header starts with ``solid``) and ASCII with several solids."""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

from makeready.errors import MakereadyError
from makeready.geometry.formats.common import ReadResult, ensure_finite, is_text
from makeready.geometry.merge import weld_soup
from makeready.geometry.mesh import Body, Part
from makeready.limits import LoadLimits

__all__ = ["BINARY_RECORD", "looks_like_stl", "read_stl", "write_stl_ascii", "write_stl_binary"]

#: One binary STL triangle record: normal, three corners, attribute byte count (50 bytes).
BINARY_RECORD = np.dtype([("normal", "<f4", (3,)), ("corners", "<f4", (3, 3)), ("attr", "<u2")])

_SOLID_START = re.compile(rb"^[ \t]*solid\b[ \t]*([^\r\n]*)", re.MULTILINE | re.IGNORECASE)
_VERTEX = re.compile(rb"vertex[ \t]+(\S+)[ \t]+(\S+)[ \t]+(\S+)", re.IGNORECASE)
_FACET = re.compile(rb"\bendfacet\b", re.IGNORECASE)


#: Bytes after the last binary record that are tolerated (some exporters pad the file): fewer
#: than one record. More means the size does not fit the layout, and the file is not binary STL.
MAX_TRAILING_BYTES = BINARY_RECORD.itemsize - 1


def _binary_count(data: bytes) -> int:
    return int(np.frombuffer(data, dtype="<u4", count=1, offset=80)[0])


def _binary_layout(data: bytes) -> int | None:
    """The triangle count when the file's size fits the binary layout, else None.

    Binary STL is 80 header bytes, a count ``n`` and ``n`` records of 50 bytes; up to
    :data:`MAX_TRAILING_BYTES` more are tolerated.
    """
    if len(data) < 84:
        return None
    trailing = len(data) - (84 + BINARY_RECORD.itemsize * _binary_count(data))
    return _binary_count(data) if 0 <= trailing <= MAX_TRAILING_BYTES else None


def _starts_with_solid(data: bytes) -> bool:
    return data[:4096].lstrip()[:5].lower() == b"solid"  # a prefix: never copy the whole file


def looks_like_stl(data: bytes) -> bool:
    """Content sniffing: a size that fits the binary layout, or ASCII text opening with ``solid``."""
    if _binary_layout(data) is not None and not is_text(data[:8192]):
        return True
    return _starts_with_solid(data) and is_text(data[:4096])


def read_stl(data: bytes, limits: LoadLimits) -> ReadResult:
    """Read binary or ASCII STL into one body per solid, vertices merged exactly.

    The binary/ASCII decision trusts content over the header: a file whose size fits the
    binary layout and that contains binary bytes is binary even when its 80-byte header starts
    with ``solid`` (many CAD exporters write that). Text is never read as binary. The triangle
    limit is checked only once the format is known.

    Raises
    ------
    MakereadyError
        ``stl.invalid`` for text that is not ASCII STL and for binary content whose size does
        not fit its triangle count; ``file.truncated`` for a binary STL cut short;
        ``file.too_many_triangles`` beyond the limit.

    """
    layout = _binary_layout(data)
    text = _starts_with_solid(data) and is_text(data[:8192])
    if layout is not None and not (text and is_text(data)):
        return _read_binary(data, layout, limits)
    if text:
        return _read_ascii(data, limits)
    raise _not_stl(data, limits)


def _not_stl(data: bytes, limits: LoadLimits) -> MakereadyError:
    """Why content named STL is neither binary nor ASCII STL."""
    if is_text(data[:8192]):
        return MakereadyError(
            "stl.invalid",
            "text that is not ASCII STL: an ASCII STL starts with 'solid' and holds "
            "'facet normal … outer loop … vertex …' records",
        )
    if len(data) < 84:
        return MakereadyError(
            "stl.invalid", f"{len(data)} bytes is too short for a binary STL and is not ASCII STL"
        )
    count = _binary_count(data)
    expected = 84 + BINARY_RECORD.itemsize * count
    if len(data) < expected and count <= limits.max_triangles:
        held = (len(data) - 84) // BINARY_RECORD.itemsize
        return MakereadyError(
            "file.truncated",
            f"binary STL header announces {count} triangles ({expected} bytes) but the file has "
            f"{len(data)} bytes, room for {held}",
            expected_bytes=expected,
            actual_bytes=len(data),
        )
    return MakereadyError(
        "stl.invalid",
        f"not a binary STL: its header announces {count} triangles ({expected} bytes) but the file "
        f"has {len(data)} bytes",
        expected_bytes=expected,
        actual_bytes=len(data),
    )


def _read_binary(data: bytes, count: int, limits: LoadLimits) -> ReadResult:
    expected = 84 + BINARY_RECORD.itemsize * count
    notes = []
    if count > limits.max_triangles:
        raise MakereadyError(
            "file.too_many_triangles",
            f"the STL holds {count} triangles (limit {limits.max_triangles})",
        )
    if len(data) > expected:
        notes.append(f"{len(data) - expected} trailing byte(s) after the last triangle ignored")
    records = np.frombuffer(data, dtype=BINARY_RECORD, count=count, offset=84)
    corners = records["corners"]
    ensure_finite(corners, "binary STL")
    header = _printable_prefix(data[:80])
    bodies = [_body(header or "body", corners)] if count else []
    return ReadResult(bodies, "stl-binary", notes=notes, metadata={"header": header} if header else {})


def _read_ascii(data: bytes, limits: LoadLimits) -> ReadResult:
    starts = list(_SOLID_START.finditer(data))
    bodies: list[Body] = []
    notes: list[str] = []
    total = 0
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(data)
        segment = data[match.end() : end]
        name = match.group(1).decode("utf-8", "replace").strip() or f"solid{i + 1}"
        found = _VERTEX.findall(segment)
        facets = len(_FACET.findall(segment))
        if len(found) != 3 * facets:
            raise MakereadyError(
                "stl.invalid",
                f"ASCII STL solid {name!r}: {facets} facets but {len(found)} vertices (expected 3 per facet)",
            )
        if not found:
            notes.append(f"empty solid {name!r} skipped")
            continue
        total += facets
        if total > limits.max_triangles:
            raise MakereadyError(
                "file.too_many_triangles", f"more than {limits.max_triangles} triangles in the ASCII STL"
            )
        try:
            corners = np.array(found, dtype=np.bytes_).astype(np.float64).reshape(-1, 3, 3)
        except ValueError as exc:
            raise MakereadyError("file.invalid_number", f"ASCII STL solid {name!r}: {exc}") from None
        ensure_finite(corners, f"ASCII STL solid {name!r}")
        bodies.append(_body(name, corners))
    return ReadResult(bodies, "stl-ascii", notes=notes)


def _printable_prefix(header: bytes) -> str:
    """The header's leading printable ASCII text; exporters pad with NULs or binary colour data."""
    match = re.match(rb"[\x20-\x7e]*", header)
    return match.group(0).decode("ascii").strip() if match else ""


def _body(name: str, corners: npt.NDArray[np.floating]) -> Body:
    vertices, faces = weld_soup(corners)
    return Body(name, vertices, faces)


def _corners(part: Part) -> npt.NDArray[np.float64]:
    return np.concatenate([b.triangles() for b in part.bodies]) if part.bodies else np.zeros((0, 3, 3))


def _unit_normals(corners: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    result: npt.NDArray[np.float64] = np.divide(normals, length, out=np.zeros_like(normals), where=length > 0)
    return result


def write_stl_binary(part: Part) -> bytes:
    """Binary STL of all bodies (float32, mm), facet normals from the winding."""
    corners = _corners(part)
    records = np.zeros(len(corners), dtype=BINARY_RECORD)
    records["corners"] = corners
    records["normal"] = _unit_normals(corners)
    header = f"makeready {part.name}"[:80].encode("ascii", "replace").ljust(80, b" ")
    return header + np.uint32(len(corners)).tobytes() + records.tobytes()


def write_stl_ascii(part: Part) -> bytes:
    """ASCII STL with one ``solid`` per body; coordinates printed with 9 significant digits."""
    out: list[str] = []
    for index, body in enumerate(part.bodies):
        name = re.sub(r"\s+", "_", body.name) or f"body{index + 1}"
        corners = body.triangles()
        normals = _unit_normals(corners)
        rows = np.concatenate([normals, corners.reshape(-1, 9)], axis=1)
        facet = (
            "  facet normal %.9g %.9g %.9g\n    outer loop\n"
            "      vertex %.9g %.9g %.9g\n      vertex %.9g %.9g %.9g\n      vertex %.9g %.9g %.9g\n"
            "    endloop\n  endfacet"
        )
        out.append(f"solid {name}")
        out.extend(facet % tuple(row) for row in rows.tolist())
        out.append(f"endsolid {name}")
    return ("\n".join(out) + "\n").encode("utf-8")
