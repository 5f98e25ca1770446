"""What a viewer draws: a compact binary mesh with per-face values and the overlays beside it.

The web viewer (and any other client) gets one small binary document per part or mesh instead of
the part file: positions and triangles as typed arrays it can hand straight to the GPU, per-face
arrays (wall thickness, gap, flags) for heat maps, the support structures of the chosen
orientation, and a JSON header with the problems, thin regions and orientations to draw on top.
Parts above ``max_faces`` triangles are decimated (fast-simplification) and their per-face values
carried to the nearest kept face, so a 2 M-triangle scan still opens in a browser.

Layout of :func:`pack_display` (little endian)::

    b"MRD1" | uint32 header length | header JSON, space-padded to 4 bytes | arrays

The header's ``arrays`` maps each name to ``{"dtype", "shape", "offset"}``; offsets count from
the first byte after the header and are multiples of 4, so a browser can view every array in
place (``new Float32Array(buffer, start + offset, n)``). Positions are mm in the part's (upload)
coordinates.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from makeready.errors import MakereadyError
from makeready.geometry.mesh import Part
from makeready.geometry.supports import overhang_faces, support_geometry, support_settings
from makeready.geometry.triangles import stack_bodies, unit_normals
from makeready.rendering.print_api import problems_json
from makeready.workflows.quote import QuoteResult

__all__ = [
    "DEFAULT_MAX_FACES",
    "FLAG_NARROW_GAP",
    "FLAG_OVERHANG",
    "FLAG_THIN_WALL",
    "DisplayMesh",
    "analysis_display",
    "mesh_display",
    "pack_display",
    "unpack_display",
]

MAGIC = b"MRD1"
DEFAULT_MAX_FACES = 300_000
#: Bits of the per-face ``flags`` array.
FLAG_THIN_WALL, FLAG_NARROW_GAP, FLAG_OVERHANG = 1, 2, 4
_SUPPORT_MAX_FACES = 1_000_000
_DTYPES = {"float32": "<f4", "uint32": "<u4", "uint8": "u1"}


@dataclass(frozen=True, slots=True)
class DisplayMesh:
    """A mesh ready to draw.

    Attributes
    ----------
    positions : (n, 3) float32, mm
    faces : (m, 3) uint32
        Vertex indices, counter-clockwise seen from outside.
    face_values : mapping of str to (m,) arrays
        Per-face values: ``thickness`` and ``gap`` (float32, mm, NaN where unmeasured) and
        ``flags`` (uint8, ``FLAG_*`` bits) for analysed parts.
    extra : mapping of str to arrays
        Other geometry, e.g. ``support_positions`` (k, 3) float32 mm in machine coordinates and
        ``support_faces`` (j, 3) uint32.
    meta : dict
        JSON-ready facts: units, source and shown triangle counts, bounds, problems, regions,
        orientations.

    """

    positions: npt.NDArray[np.float32]
    faces: npt.NDArray[np.uint32]
    face_values: Mapping[str, np.ndarray] = field(default_factory=dict)
    extra: Mapping[str, np.ndarray] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def _decimated(
    vertices: np.ndarray, faces: np.ndarray, max_faces: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """At most ``max_faces`` triangles, and for each kept face the nearest source face (or None)."""
    if len(faces) <= max_faces:
        return vertices, faces, None
    import fast_simplification
    from scipy.spatial import cKDTree

    new_v, new_f = fast_simplification.simplify(
        vertices.astype(np.float32), faces.astype(np.int32), target_reduction=1.0 - max_faces / len(faces)
    )
    new_v, new_f = np.asarray(new_v, np.float64), np.asarray(new_f, np.int64)
    # Per-face values follow the nearest source face centroid: one k-d tree query, no loop.
    _, nearest = cKDTree(vertices[faces].mean(axis=1)).query(new_v[new_f].mean(axis=1), workers=-1)
    return new_v, new_f, np.asarray(nearest, np.int64)


def _bounds(vertices: np.ndarray) -> list[list[float]]:
    if not len(vertices):
        return [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    return [[float(v) for v in vertices.min(axis=0)], [float(v) for v in vertices.max(axis=0)]]


def _drawable(
    vertices: np.ndarray, faces: np.ndarray, per_face: Mapping[str, np.ndarray], max_faces: int
) -> tuple[DisplayMesh, dict[str, Any]]:
    new_v, new_f, nearest = _decimated(vertices, faces, max_faces)
    values = {k: (v if nearest is None else v[nearest]) for k, v in per_face.items()}
    meta = {
        "units": "mm",
        "source_faces": len(faces),
        "faces": len(new_f),
        "decimated": nearest is not None,
        "bounds": _bounds(vertices),
    }
    mesh = DisplayMesh(new_v.astype(np.float32), new_f.astype(np.uint32), values)
    return mesh, meta


def mesh_display(part: Part, *, max_faces: int = DEFAULT_MAX_FACES) -> DisplayMesh:
    """A part's geometry to draw, without analysis (3D Print API meshes, support structures).

    Parameters
    ----------
    part : Part
        Every body is drawn, in the part's own coordinates (mm).
    max_faces : int
        Decimate above this many triangles.

    """
    vertices, faces, _ = stack_bodies(part)
    mesh, meta = _drawable(vertices, faces, {}, max_faces)
    return DisplayMesh(mesh.positions, mesh.faces, meta={**meta, "name": part.name})


def analysis_display(
    result: QuoteResult, *, max_faces: int = DEFAULT_MAX_FACES, supports: bool = True
) -> DisplayMesh:
    """The analysed part with its heat maps, flags, problems, regions, orientations and supports.

    Parameters
    ----------
    result : QuoteResult
        From :func:`makeready.run_analysis`; the mesh drawn is the one that was costed (repaired
        when the upload needed it), problems are located on the upload.
    max_faces : int
        Decimate above this many triangles (per-face values follow the nearest source face).
    supports : bool
        Build the support structures of the primary chain's orientation (rays; about as long
        as the support plan itself).

    """
    part = result.analysis.part
    vertices, faces, _ = stack_bodies(part)
    th = result.thickness
    thickness = np.concatenate([b.thickness for b in th.bodies]) if th.bodies else np.zeros(len(faces))
    gap = np.concatenate([b.gap for b in th.bodies]) if th.bodies else np.zeros(len(faces))
    primary = result.chains[0]
    rotation = np.asarray(primary.plan.rotation, np.float64)
    settings = support_settings(primary.process.prc_acronym)
    flags = np.zeros(len(faces), np.uint8)
    with np.errstate(invalid="ignore"):
        flags |= np.where(thickness < th.thin_below, FLAG_THIN_WALL, 0).astype(np.uint8)
        flags |= np.where(gap < th.narrow_below, FLAG_NARROW_GAP, 0).astype(np.uint8)
    if len(faces) and settings.needs_supports:
        placed = vertices @ rotation.T
        heights = placed[faces][:, :, 2].max(axis=1)
        plate = float(placed[:, 2].min()) - settings.bed_standoff
        need = overhang_faces(unit_normals(placed, faces), heights, plate, settings)
        flags |= np.where(need, FLAG_OVERHANG, 0).astype(np.uint8)
    per_face: dict[str, np.ndarray] = {
        "thickness": thickness.astype(np.float32),
        "gap": gap.astype(np.float32),
        "flags": flags,
    }
    mesh, meta = _drawable(vertices, faces, per_face, max_faces)
    extra: dict[str, np.ndarray] = {}
    support_faces = 0
    if supports and settings.needs_supports and len(faces):
        structure = support_geometry(part, rotation, settings)
        s_vertices, s_faces, _ = stack_bodies(structure)
        support_faces = len(s_faces)
        # Posts and pillars are tiny closed shells that decimation would destroy: send them
        # whole, or not at all above the cap (the count is in the header either way).
        if support_faces <= _SUPPORT_MAX_FACES:
            extra = {
                "support_positions": s_vertices.astype(np.float32),
                "support_faces": s_faces.astype(np.uint32),
            }
    upload = result.upload if result.upload is not None else result.analysis
    meta.update(
        name=part.name,
        part_id=result.part_id,
        problems=problems_json(upload, include_self_intersections=False),
        thickness={
            "t_min": th.t_min,
            "t_max": th.t_max,
            "gap_min": th.gap_min,
            "thin_below": th.thin_below,
            "narrow_below": th.narrow_below,
            "thin_walls": [_region(r) for r in th.thin_walls],
            "narrow_gaps": [_region(r) for r in th.narrow_gaps],
        },
        flags={"thin_wall": FLAG_THIN_WALL, "narrow_gap": FLAG_NARROW_GAP, "overhang": FLAG_OVERHANG},
        primary_process_chain_id=primary.chain_id,
        supports={
            "process": primary.process.prc_acronym,
            "needs_supports": settings.needs_supports,
            "style": settings.style,
            "faces": support_faces,
            "drawn": "support_faces" in extra,
        },
        orientations={
            c.chain_id: {
                "name": f"{c.process.prc_acronym.upper()} | {c.material.mat_name}",
                "rotation": np.asarray(c.plan.rotation, np.float64).round(12).tolist(),
                "euler_xyz": [float(a) for a in c.orientation.euler_xyz]
                if c.orientation is not None
                else None,
            }
            for c in result.chains
        },
    )
    return DisplayMesh(mesh.positions, mesh.faces, mesh.face_values, extra, meta)


def _region(region: Any) -> dict[str, Any]:
    return {
        "kind": region.kind,
        "category": region.category,
        "value": float(region.value),
        "worst": [float(v) for v in region.worst],
        "centre": [float(v) for v in region.centre],
        "area": float(region.area),
        "faces": len(region.faces),
    }


def pack_display(mesh: DisplayMesh) -> bytes:
    """The binary document described in the module docstring."""
    arrays: dict[str, np.ndarray] = {
        "positions": mesh.positions,
        "faces": mesh.faces,
        **{f"face_{k}": v for k, v in mesh.face_values.items()},
        **mesh.extra,
    }
    table, chunks, offset = {}, [], 0
    for name, array in arrays.items():
        kind = str(array.dtype)
        if kind not in _DTYPES:
            raise ValueError(f"{name}: dtype {kind} cannot be displayed")
        data = np.ascontiguousarray(array, dtype=_DTYPES[kind]).tobytes()
        table[name] = {"dtype": kind, "shape": list(array.shape), "offset": offset}
        padded = data + b"\0" * (-len(data) % 4)
        chunks.append(padded)
        offset += len(padded)
    header = json.dumps({"version": 1, "arrays": table, "meta": mesh.meta}, allow_nan=False).encode()
    header += b" " * (-len(header) % 4)
    return MAGIC + struct.pack("<I", len(header)) + header + b"".join(chunks)


def unpack_display(data: bytes) -> DisplayMesh:
    """Read :func:`pack_display`'s document back (clients, tests).

    Raises
    ------
    MakereadyError
        ``file.invalid`` when ``data`` is not such a document.

    """
    if len(data) < 8 or data[:4] != MAGIC:
        raise MakereadyError(
            "file.unsupported_format", "not a makeready display document (magic MRD1 missing)"
        )
    (size,) = struct.unpack_from("<I", data, 4)
    try:
        header = json.loads(data[8 : 8 + size])
        body = memoryview(data)[8 + size :]
        arrays = {
            name: np.frombuffer(
                body, _DTYPES[spec["dtype"]], int(np.prod(spec["shape"])), spec["offset"]
            ).reshape(spec["shape"])
            for name, spec in header["arrays"].items()
        }
    except (ValueError, KeyError, TypeError) as exc:
        raise MakereadyError("file.unsupported_format", f"broken display document: {exc}") from exc
    face_values = {k[5:]: v for k, v in arrays.items() if k.startswith("face_")}
    extra = {k: v for k, v in arrays.items() if k not in ("positions", "faces") and not k.startswith("face_")}
    return DisplayMesh(arrays["positions"], arrays["faces"], face_values, extra, header["meta"])
