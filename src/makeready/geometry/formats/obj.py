"""Wavefront OBJ: polygons, negative indices, objects/groups as bodies, line continuations."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from makeready.errors import MakereadyError
from makeready.geometry.formats.common import ReadResult, compact, ensure_finite, ensure_indices
from makeready.geometry.mesh import Body, Part
from makeready.geometry.polygons import triangulate_polygons
from makeready.limits import LoadLimits

__all__ = ["decode_text", "read_obj", "write_obj"]


def decode_text(data: bytes) -> bytes:
    """Return UTF-8 bytes for text that may carry a UTF-8/UTF-16 byte-order mark."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16").encode("utf-8")
    return data.removeprefix(b"\xef\xbb\xbf")


def read_obj(data: bytes, limits: LoadLimits) -> ReadResult:
    """Read an OBJ's polygon faces by position index; texture and normal indices are ignored.

    Bodies follow ``o`` names, else ``g`` names; faces before either go to a body named after
    the file. Faces with fewer than three corners are skipped with a note, as are lines and
    points, which have no volume.
    """
    text = decode_text(data).replace(b"\\\r\n", b" ").replace(b"\\\n", b" ")
    vertex_lines: list[bytes] = []
    face_rows: list[list[int]] = []
    face_body: list[int] = []
    body_names: list[str] = ["default"]
    body_index: dict[str, int] = {"default": 0}
    use_groups = b"\no " not in b"\n" + text and not text.startswith(b"o ")
    current = 0
    short_faces = 0
    skipped_elements = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] == 35:  # '#'
            continue
        head, _, rest = line.partition(b" ") if b" " in line else line.partition(b"\t")
        if head == b"v":
            vertex_lines.append(rest)
        elif head == b"f":
            corners = rest.split()
            if len(corners) < 3:
                short_faces += 1
                continue
            face_rows.append(_face_indices(corners, len(vertex_lines)))
            face_body.append(current)
        elif head == b"o" or (head == b"g" and use_groups):
            name = rest.strip().decode("utf-8", "replace") or f"body{len(body_names)}"
            if name not in body_index:
                body_index[name] = len(body_names)
                body_names.append(name)
            current = body_index[name]
        elif head in (b"l", b"p"):
            skipped_elements += 1
    vertices = _parse_vertices(vertex_lines)
    notes = []
    if short_faces:
        notes.append(f"{short_faces} face line(s) with fewer than 3 corners skipped")
    if skipped_elements:
        notes.append(f"{skipped_elements} line/point element(s) ignored (they enclose no volume)")
    bodies = _build_bodies(vertices, face_rows, np.asarray(face_body, np.int64), body_names, limits)
    return ReadResult(bodies, "obj", notes=notes)


def _face_indices(corners: list[bytes], seen: int) -> list[int]:
    try:
        idx = [int(c.split(b"/", 1)[0]) for c in corners]
    except ValueError:
        raise MakereadyError("obj.invalid", f"face corner(s) {corners!r} are not integers") from None
    # OBJ counts from 1; negative indices count back from the last vertex defined so far.
    return [i - 1 if i > 0 else (seen + i if i < 0 else -(1 << 40)) for i in idx]


def _parse_vertices(lines: list[bytes]) -> npt.NDArray[np.float64]:
    if not lines:
        return np.zeros((0, 3))
    rows = [line.split()[:3] for line in lines]
    if any(len(r) < 3 for r in rows):
        raise MakereadyError("obj.invalid", "a 'v' line has fewer than 3 coordinates")
    try:
        vertices = np.array(rows, dtype=np.bytes_).astype(np.float64)
    except ValueError as exc:
        raise MakereadyError("file.invalid_number", f"OBJ vertex: {exc}") from None
    ensure_finite(vertices, "OBJ vertices")
    return vertices


def _build_bodies(
    vertices: npt.NDArray[np.float64],
    face_rows: list[list[int]],
    face_body: npt.NDArray[np.int64],
    names: list[str],
    limits: LoadLimits,
) -> list[Body]:
    if not face_rows:
        return []
    sizes = np.fromiter((len(r) for r in face_rows), dtype=np.int64, count=len(face_rows))
    if int((sizes - 2).sum()) > limits.max_triangles:
        raise MakereadyError(
            "file.too_many_triangles", f"more than {limits.max_triangles} triangles in the OBJ"
        )
    bodies = []
    for body_id, name in enumerate(names):
        mine = np.flatnonzero(face_body == body_id)
        if len(mine) == 0:
            continue
        groups = []
        for k in np.unique(sizes[mine]):
            rows = [face_rows[i] for i in mine[sizes[mine] == k]]
            group = np.asarray(rows, dtype=np.int64)
            ensure_indices(group, len(vertices), f"OBJ body {name!r}")
            groups.append(group)
        faces = triangulate_polygons(vertices, groups)
        verts, faces, _ = compact(vertices, faces)
        bodies.append(Body(name, verts, faces))
    return bodies


def write_obj(part: Part) -> bytes:
    """OBJ text with one ``o`` per body, coordinates in mm with 17 significant digits."""
    out = ["# makeready OBJ export, units: mm"]
    offset = 1
    for body in part.bodies:
        out.append(f"o {body.name}")
        out.extend("v %.17g %.17g %.17g" % tuple(v) for v in body.vertices.tolist())
        out.extend("f %d %d %d" % tuple(f) for f in (body.faces + offset).tolist())
        offset += body.vertex_count
    return ("\n".join(out) + "\n").encode("utf-8")
