"""Object File Format (OFF, COFF, NOFF…): ASCII with counts, comments and polygon faces."""

from __future__ import annotations

import re

import numpy as np

from makeready.errors import MakereadyError
from makeready.geometry.formats.common import ReadResult, compact, ensure_finite, ensure_indices, face_array
from makeready.geometry.mesh import Body
from makeready.geometry.polygons import triangulate_polygons
from makeready.limits import LoadLimits

__all__ = ["looks_like_off", "read_off"]


def _tokens_by_line(data: bytes) -> list[list[bytes]]:
    lines = (line.split(b"#", 1)[0].split() for line in data.splitlines())
    return [t for t in lines if t]


_KEYWORD = re.compile(rb"^\s*((?:ST)?C?N?4?n?OFF)(?=\s|\d|$)(.*)$", re.IGNORECASE | re.DOTALL)


def looks_like_off(data: bytes) -> bool:
    """True when the first non-comment token is an OFF keyword (OFF, COFF, NOFF, STOFF…)."""
    for line in data[:4096].splitlines():
        content = line.split(b"#", 1)[0]
        if content.strip():
            return _KEYWORD.match(content) is not None
    return False


def read_off(data: bytes, limits: LoadLimits) -> ReadResult:
    """Read an ASCII OFF file; colour columns after the coordinates are ignored."""
    lines = _tokens_by_line(data)
    first = _KEYWORD.match(b" ".join(lines[0])) if lines else None
    if first is None:
        raise MakereadyError("off.invalid", "the file does not start with an OFF keyword")
    # Some writers glue the counts to the keyword ("OFF8 6 12"): split them off.
    lines[0] = [first.group(1), *first.group(2).split()]
    if b"BINARY" in (t.upper() for t in lines[0]):
        raise MakereadyError("off.invalid", "binary OFF is not supported; save it as ASCII OFF")
    header = lines[0][1:] or (lines[1] if len(lines) > 1 else [])
    body_start = 1 if lines[0][1:] else 2
    try:
        n_vertices, n_faces = int(header[0]), int(header[1])
    except (IndexError, ValueError):
        raise MakereadyError("off.invalid", "the OFF counts line must give vertex and face counts") from None
    if n_vertices < 0 or n_faces < 0 or body_start + n_vertices + n_faces > len(lines):
        raise MakereadyError(
            "off.invalid",
            f"the header announces {n_vertices} vertices and {n_faces} faces but the file has "
            f"{max(len(lines) - body_start, 0)} data lines",
        )
    vertex_rows = lines[body_start : body_start + n_vertices]
    if any(len(r) < 3 for r in vertex_rows):
        raise MakereadyError("off.invalid", "a vertex line has fewer than 3 coordinates")
    try:
        vertices = np.array([r[:3] for r in vertex_rows], dtype=np.bytes_).astype(np.float64).reshape(-1, 3)
        face_rows = [
            [int(t) for t in r[1 : 1 + int(r[0])]] for r in lines[body_start + n_vertices :][:n_faces]
        ]
    except ValueError as exc:
        raise MakereadyError("off.invalid", f"malformed number: {exc}") from None
    ensure_finite(vertices, "OFF vertices")
    sizes = np.fromiter((len(r) for r in face_rows), dtype=np.int64, count=len(face_rows))
    if int(np.maximum(sizes - 2, 0).sum()) > limits.max_triangles:
        raise MakereadyError(
            "file.too_many_triangles", f"more than {limits.max_triangles} triangles in the OFF"
        )
    groups = []
    for k in np.unique(sizes):
        if k < 3:
            continue
        group = face_array([r for r, s in zip(face_rows, sizes, strict=True) if s == k], "OFF faces")
        ensure_indices(group, len(vertices), "OFF faces")
        groups.append(group)
    notes = (
        [f"{int((sizes < 3).sum())} face(s) with fewer than 3 corners skipped"] if (sizes < 3).any() else []
    )
    faces = triangulate_polygons(vertices, groups)
    if len(faces) == 0:
        return ReadResult([], "off", notes=notes)
    verts, faces, _ = compact(vertices, faces)
    return ReadResult([Body("off", verts, faces)], "off", notes=notes)
