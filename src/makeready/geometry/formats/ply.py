"""PLY: ASCII and binary (little/big endian), polygon faces and triangle strips.

Element data are read with one structured NumPy view per element when list lengths are
constant (the usual case: every face a triangle). Variable-length lists in binary files fall
back to walking the records, which only exotic files need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from makeready.errors import MakereadyError
from makeready.geometry.formats.common import ReadResult, compact, ensure_finite, ensure_indices, index_array
from makeready.geometry.mesh import Body
from makeready.geometry.polygons import triangulate_polygons
from makeready.limits import LoadLimits

__all__ = ["looks_like_ply", "read_ply"]

_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1",
    "short": "i2", "int16": "i2", "ushort": "u2", "uint16": "u2",
    "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}  # fmt: skip
_END_HEADER = re.compile(rb"end_header[ \t]*\r?\n")


@dataclass
class _Property:
    name: str
    dtype: str
    count_dtype: str | None = None  # set for list properties


@dataclass
class _Element:
    name: str
    count: int
    properties: list[_Property]


def looks_like_ply(data: bytes) -> bool:
    """True when the file opens with the ``ply`` magic line (leading blank lines allowed)."""
    head = data[:4096].lstrip(b"\r\n \t")[:5]
    return head[:3] == b"ply" and head[3:4] in (b"\n", b"\r")


def _parse_header(data: bytes) -> tuple[str, list[_Element], int]:
    match = _END_HEADER.search(data, 0, 1 << 16)
    if match is None:
        raise MakereadyError("ply.invalid", "no 'end_header' line in the first 64 KiB")
    lines = data[: match.start()].decode("ascii", "replace").splitlines()
    fmt = ""
    elements: list[_Element] = []
    for line in lines:
        words = line.split()
        if not words or words[0] in ("ply", "comment", "obj_info"):
            continue
        try:
            if words[0] == "format":
                fmt = words[1]
            elif words[0] == "element":
                elements.append(_Element(words[1], int(words[2]), []))
            elif words[0] == "property" and words[1] == "list":
                elements[-1].properties.append(_Property(words[4], _TYPES[words[3]], _TYPES[words[2]]))
            elif words[0] == "property":
                elements[-1].properties.append(_Property(words[2], _TYPES[words[1]]))
        except (IndexError, KeyError, ValueError):
            raise MakereadyError("ply.invalid", f"malformed header line {line!r}") from None
    if fmt not in ("ascii", "binary_little_endian", "binary_big_endian"):
        raise MakereadyError("ply.invalid", f"unknown PLY format {fmt!r}")
    if any(e.count < 0 for e in elements):
        raise MakereadyError("ply.invalid", "negative element count")
    if len({e.name for e in elements}) != len(elements):
        raise MakereadyError("ply.invalid", "an element name appears twice in the header")
    for element in elements:
        if len({p.name for p in element.properties}) != len(element.properties):
            raise MakereadyError("ply.invalid", f"a property name appears twice in element {element.name!r}")
        for prop in element.properties:
            coordinate = element.name == "vertex" and prop.name in ("x", "y", "z")
            indices = element.name in ("face", "tristrips") and prop.name in (
                "vertex_indices",
                "vertex_index",
            )
            if coordinate and prop.count_dtype is not None:
                raise MakereadyError(
                    "ply.invalid", f"vertex property {prop.name!r} must be a scalar, not a list"
                )
            if indices and prop.count_dtype is None:
                raise MakereadyError("ply.invalid", f"{element.name} property {prop.name!r} must be a list")
    return fmt, elements, match.end()


def read_ply(data: bytes, limits: LoadLimits) -> ReadResult:
    """Read vertices (x, y, z) and faces (``vertex_indices``/``vertex_index`` lists or tristrips)."""
    head = data[:4096]
    data = data[
        len(head) - len(head.lstrip(b"\r\n \t")) :
    ]  # skip leading blank lines once (no copy when none)
    fmt, elements, offset = _parse_header(data)
    for element in elements:
        # Each record needs at least one byte (binary) or two characters (ASCII): bound counts
        # by the file size before allocating anything.
        if element.count > len(data):
            raise MakereadyError(
                "file.truncated",
                f"element {element.name!r} announces {element.count} records in {len(data)} bytes",
            )
    if fmt == "ascii":
        tables = _read_ascii(data[offset:], elements)
    else:
        tables = _read_binary(data, offset, elements, "<" if fmt == "binary_little_endian" else ">")
    vertex_table = tables.get("vertex")
    if vertex_table is None or not {"x", "y", "z"} <= vertex_table.keys():
        raise MakereadyError("ply.invalid", "no vertex element with x, y and z")
    vertices = np.stack([np.asarray(vertex_table[k], np.float64) for k in "xyz"], axis=1)
    ensure_finite(vertices, "PLY vertices")
    notes: list[str] = []
    groups: list[npt.NDArray[np.int64]] = []
    face_table = tables.get("face", {})
    lists = face_table.get("vertex_indices", face_table.get("vertex_index"))
    if lists is not None:
        groups.extend(lists)
    strips = tables.get("tristrips", {}).get("vertex_indices")
    if strips is not None:
        flat = np.concatenate([s.ravel() for s in strips]) if strips else np.zeros(0, np.int64)
        tris, dropped = _expand_strips(flat)
        groups.append(tris)
        notes.append(f"triangle strips expanded to {len(tris)} triangles ({dropped} strip joints dropped)")
    groups = [g for g in groups if g.ndim == 2 and g.shape[1] >= 3 and len(g)]
    if sum(len(g) * (g.shape[1] - 2) for g in groups) > limits.max_triangles:
        raise MakereadyError(
            "file.too_many_triangles", f"more than {limits.max_triangles} triangles in the PLY"
        )
    for group in groups:
        ensure_indices(group, len(vertices), "PLY faces")
    faces = triangulate_polygons(vertices, groups)
    if len(faces) == 0:
        return ReadResult([], "ply", notes=notes)
    verts, faces, _ = compact(vertices, faces)
    return ReadResult([Body("ply", verts, faces)], "ply", notes=notes)


Table = dict[str, Any]
"""Per element: scalar property -> (n,) array; list property -> list of (p, k) arrays by length."""


def _group_lists(counts: npt.NDArray[np.int64], flat: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    """Group variable-length lists by length into (p, k) arrays."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    out = []
    for k in np.unique(counts):
        mine = starts[counts == k]
        out.append(flat[mine[:, None] + np.arange(k)] if k else np.zeros((len(mine), 0), np.int64))
    return out


def _fixed_layout(element: _Element, first_counts: list[int], endian: str) -> np.dtype[Any]:
    """Record dtype assuming every list has the length it has in the first record."""
    fields: list[tuple[str, str] | tuple[str, str, tuple[int]]] = []
    counts = iter(first_counts)
    for i, prop in enumerate(element.properties):
        if prop.count_dtype is None:
            fields.append((f"s{i}", endian + prop.dtype))
        else:
            fields.append((f"n{i}", endian + prop.count_dtype))
            fields.append((f"l{i}", endian + prop.dtype, (next(counts),)))
    return np.dtype(fields)


def _split_records(element: _Element, records: npt.NDArray[Any]) -> Table | None:
    """Columns of fixed-layout records, or None when a list length varies between records."""
    table: Table = {}
    for i, prop in enumerate(element.properties):
        if prop.count_dtype is None:
            table[prop.name] = records[f"s{i}"]
        else:
            values = records[f"l{i}"]
            if not (records[f"n{i}"] == values.shape[1]).all():
                return None
            table[prop.name] = [values.astype(np.int64).reshape(len(records), -1)]
    return table


def _read_binary(data: bytes, offset: int, elements: list[_Element], endian: str) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for element in elements:
        if not element.count:  # no records: nothing to lay out (the walk gives the empty columns)
            tables[element.name], offset = _walk_binary(data, offset, element, endian)
            continue
        first_counts = []
        cursor = offset
        for prop in element.properties:  # walk the first record to learn its list lengths
            if prop.count_dtype is None:
                cursor += np.dtype(prop.dtype).itemsize
            else:
                k = int(_frombuffer(data, np.dtype(endian + prop.count_dtype), 1, cursor, element.name)[0])
                first_counts.append(k)
                cursor += np.dtype(prop.count_dtype).itemsize + k * np.dtype(prop.dtype).itemsize
        layout = _fixed_layout(element, first_counts, endian)
        table = None
        if offset + layout.itemsize * element.count <= len(data):
            records = np.frombuffer(data, dtype=layout, count=element.count, offset=offset)
            table = _split_records(element, records)
            if table is not None:
                offset += layout.itemsize * element.count
        if table is None:  # list lengths vary (mixed polygons): walk the records
            table, offset = _walk_binary(data, offset, element, endian)
        tables[element.name] = table
    return tables


def _walk_binary(data: bytes, offset: int, element: _Element, endian: str) -> tuple[Table, int]:
    scalars: dict[str, list[float]] = {p.name: [] for p in element.properties if p.count_dtype is None}
    counts: dict[str, list[int]] = {p.name: [] for p in element.properties if p.count_dtype is not None}
    flats: dict[str, list[npt.NDArray[np.int64]]] = {name: [] for name in counts}
    for _ in range(element.count):
        for prop in element.properties:
            value_t = np.dtype(endian + prop.dtype)
            if prop.count_dtype is None:
                scalars[prop.name].append(float(_frombuffer(data, value_t, 1, offset, element.name)[0]))
                offset += value_t.itemsize
                continue
            count_t = np.dtype(endian + prop.count_dtype)
            k = int(_frombuffer(data, count_t, 1, offset, element.name)[0])
            counts[prop.name].append(k)
            flats[prop.name].append(
                _frombuffer(data, value_t, k, offset + count_t.itemsize, element.name).astype(np.int64)
            )
            offset += count_t.itemsize + k * value_t.itemsize
    table: Table = {name: np.asarray(values) for name, values in scalars.items()}
    for name in counts:
        flat = np.concatenate(flats[name]) if flats[name] else np.zeros(0, np.int64)
        table[name] = _group_lists(np.asarray(counts[name], np.int64), flat)
    return table, offset


def _read_ascii(body: bytes, elements: list[_Element]) -> dict[str, Table]:
    tokens = body.split()
    pos = 0
    tables: dict[str, Table] = {}
    for element in elements:
        width = 0  # tokens in the first record, assuming every record has its list lengths
        cursor = pos
        try:
            for prop in element.properties if element.count else []:
                if prop.count_dtype is None:
                    width += 1
                    cursor += 1
                else:
                    k = int(tokens[cursor])
                    width += k + 1
                    cursor += k + 1
        except (IndexError, ValueError):
            raise MakereadyError(
                "file.truncated", f"ASCII PLY ends inside element {element.name!r}"
            ) from None
        table = None
        block = tokens[pos : pos + width * element.count]
        if element.count and len(block) == width * element.count:
            rows = _to_float(block).reshape(element.count, width)
            table = _ascii_columns(element, rows)
        if table is None:
            table, pos = _walk_ascii(tokens, pos, element)
        else:
            pos += width * element.count
        tables[element.name] = table
    return tables


def _ascii_columns(element: _Element, rows: npt.NDArray[np.float64]) -> Table | None:
    table: Table = {}
    col = 0
    for prop in element.properties:
        if prop.count_dtype is None:
            table[prop.name] = rows[:, col]
            col += 1
            continue
        k = int(rows[0, col])
        if not (rows[:, col] == k).all():
            return None
        table[prop.name] = [rows[:, col + 1 : col + 1 + k].astype(np.int64)]
        col += k + 1
    return table


def _walk_ascii(tokens: list[bytes], pos: int, element: _Element) -> tuple[Table, int]:
    scalars: dict[str, list[float]] = {p.name: [] for p in element.properties if p.count_dtype is None}
    counts: dict[str, list[int]] = {p.name: [] for p in element.properties if p.count_dtype is not None}
    flats: dict[str, list[int]] = {name: [] for name in counts}
    try:
        for _ in range(element.count):  # mixed list lengths: walk the records
            for prop in element.properties:
                if prop.count_dtype is None:
                    scalars[prop.name].append(float(tokens[pos]))
                    pos += 1
                    continue
                k = int(tokens[pos])
                items = tokens[pos + 1 : pos + 1 + k]
                if k < 0 or len(items) != k:
                    raise IndexError(k)
                counts[prop.name].append(k)
                flats[prop.name].extend(int(t) for t in items)
                pos += k + 1
    except (IndexError, ValueError):
        raise MakereadyError("file.truncated", f"ASCII PLY ends inside element {element.name!r}") from None
    table: Table = {name: np.asarray(values) for name, values in scalars.items()}
    for name in counts:
        table[name] = _group_lists(
            index_array(counts[name], len(counts[name]), f"PLY {element.name}"),
            index_array(flats[name], len(flats[name]), f"PLY {element.name}"),
        )
    return table, pos


def _frombuffer(data: bytes, dtype: np.dtype[Any], count: int, offset: int, name: str) -> npt.NDArray[Any]:
    if offset + dtype.itemsize * count > len(data):
        raise MakereadyError("file.truncated", f"binary PLY ends inside element {name!r}")
    return np.frombuffer(data, dtype=dtype, count=count, offset=offset)


def _expand_strips(strip: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], int]:
    """Triangles of ``-1``-separated strips, every second one flipped to keep the winding."""
    strip = np.asarray(strip, np.int64)
    if len(strip) < 3:
        return np.zeros((0, 3), np.int64), 0
    a, b, c = strip[:-2], strip[1:-1], strip[2:]
    valid = (a >= 0) & (b >= 0) & (c >= 0)
    restart = np.concatenate([[0], np.flatnonzero(strip < 0) + 1])
    start_of = restart[np.searchsorted(restart, np.arange(len(a)), side="right") - 1]
    odd = ((np.arange(len(a)) - start_of) % 2).astype(bool)
    tris = np.stack([a, np.where(odd, c, b), np.where(odd, b, c)], axis=1)[valid]
    joints = (tris[:, 0] == tris[:, 1]) | (tris[:, 1] == tris[:, 2]) | (tris[:, 0] == tris[:, 2])
    return tris[~joints], int(joints.sum())


def _to_float(tokens: list[bytes]) -> npt.NDArray[np.float64]:
    try:
        return np.array(tokens, dtype=np.bytes_).astype(np.float64)
    except ValueError as exc:
        raise MakereadyError("file.invalid_number", f"ASCII PLY: {exc}") from None
