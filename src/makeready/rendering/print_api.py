"""The Autodesk 3D Print API's wire shapes of makeready's results.

* :func:`problems_json` — the ``problems`` list of a mesh: per problem type the located triangles
  ``{"v0", "v1", "v2"}``, vertices ``[x, y, z]``, edges ``{"v0", "v1"}`` or boundaries (lists of
  positions), capped at 200 entries (600 vertices), with the total ``count`` beside them, in the
  part's coordinates (mm); :func:`problems_in_cm` converts them for the API's mesh resources.
* :func:`mesh_json`, :func:`tray_json`, :func:`geom_json` — the mesh and tray resources (cm).
* :func:`transform_mm` / :func:`transform_cm` — the API's 3 × 4 transforms (translation in cm)
  to and from 4 × 4 matrices in mm.

Lengths on the 3D Print API wire are centimetres; the library works in millimetres. The
conversions happen here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from makeready.geometry.vocabulary import ALL_TYPES, PROBLEM_TYPES
from makeready.rendering.numbers import xyz

if TYPE_CHECKING:  # the renderers name the geometry's results; they need not load its code
    from makeready.geometry.analysis import AnalysisReport
    from makeready.geometry.mesh import Part
    from makeready.geometry.problems import Problem

__all__ = [
    "IDENTITY",
    "LOCATION_CAP",
    "MM_PER_CM",
    "VERTEX_CAP",
    "MeshResource",
    "TrayResource",
    "geom_json",
    "mesh_json",
    "problems_in_cm",
    "problems_json",
    "transform_cm",
    "transform_mm",
    "tray_json",
]

LOCATION_CAP = 200
VERTEX_CAP = 600
MM_PER_CM = 10.0
#: 3D Print API's identity transform (3 rows of a 3 × 4 affine matrix, cm).
IDENTITY: list[list[float]] = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]


class MeshResource(Protocol):
    """What a stored mesh holds (the store's rows have these attributes)."""

    id: str
    name: str
    internal_file_id: str
    transform: list[Any]
    geom: dict[str, Any]
    analyzed: bool
    problems: list[Any] | None
    visual_file_id: str | None


class TrayResource(Protocol):
    """What a stored tray holds."""

    id: str
    printer_type_id: str
    profile_id: str
    default_material_id: str
    mesh_ids: list[Any]
    mesh_attrs: dict[str, Any]
    placements: dict[str, Any]
    state: str
    ready: bool
    notes: list[Any]
    visual_file_id: str | None


def _problem_locations(problem: Problem, body_vertices: np.ndarray, faces: np.ndarray) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": problem.type, "count": problem.count}
    if problem.type in ("nonmanifold_vertices", "duplicate_vertices"):
        entry["vertices"] = [xyz(body_vertices[v]) for v in problem.vertices[:VERTEX_CAP]]
    elif problem.type == "inconsistently_oriented_triangles":
        entry["edges"] = [
            {"v0": xyz(body_vertices[a]), "v1": xyz(body_vertices[b])}
            for a, b in problem.edges[:LOCATION_CAP]
        ]
    elif problem.type == "holes":
        budget = VERTEX_CAP
        boundaries = []
        for loop in problem.loops[:LOCATION_CAP]:
            if budget <= 0:
                break
            boundaries.append([xyz(body_vertices[v]) for v in loop[:budget]])
            budget -= len(loop)
        entry["boundaries"] = boundaries
    else:
        entry["triangles"] = [
            {f"v{k}": xyz(body_vertices[faces[f, k]]) for k in range(3)} for f in problem.faces[:LOCATION_CAP]
        ]
    return entry


def problems_json(report: AnalysisReport, *, include_self_intersections: bool = True) -> list[dict[str, Any]]:
    """3D Print API ``problems``: one entry per problem type present, over all bodies.

    Locations of all bodies are pooled in body order, then capped.
    """
    types = ALL_TYPES if include_self_intersections else PROBLEM_TYPES
    out = []
    for t in types:
        total = sum(b.problems[t].count for b in report.bodies)
        if total == 0:
            continue
        merged: dict[str, Any] = {"type": t, "count": total}
        for body_report, body in zip(report.bodies, report.part.bodies, strict=True):
            p = body_report.problems[t]
            if p.count == 0:
                continue
            for key, value in _problem_locations(p, body.vertices, body.faces).items():
                if isinstance(value, list):
                    cap = VERTEX_CAP if key == "vertices" else LOCATION_CAP
                    merged.setdefault(key, [])
                    merged[key] = (merged[key] + value)[:cap]
        out.append(merged)
    return out


def transform_mm(transform: Any) -> npt.NDArray[np.float64]:
    """A wire transform (3 × 4 rows, cm translation) as a 4 × 4 matrix in mm."""
    matrix = np.eye(4)
    matrix[:3, :] = np.asarray(transform, dtype=np.float64).reshape(3, 4)
    matrix[:3, 3] *= MM_PER_CM
    return matrix


def transform_cm(matrix: npt.ArrayLike) -> list[list[float]]:
    """A 4 × 4 matrix in mm as a wire transform (3 × 4 rows, cm translation)."""
    rows = np.array(matrix, dtype=np.float64)[:3, :].copy()
    rows[:, 3] /= MM_PER_CM
    return [[float(x) for x in row] for row in rows]


def geom_json(part: Part) -> dict[str, Any]:
    """3D Print API's ``geom`` block of a mesh: counts and the bounding box (cm)."""
    lo, hi = part.bounds if part.triangle_count else (np.zeros(3), np.zeros(3))
    return {
        "num_vertices": part.vertex_count,
        "num_triangles": part.triangle_count,
        "has_uvs": part.has_uvs,
        "bounding_box": {
            "min": [float(x) / MM_PER_CM for x in lo],
            "max": [float(x) / MM_PER_CM for x in hi],
        },
    }


def mesh_json(mesh: MeshResource, transform: list[list[float]] | None = None) -> dict[str, Any]:
    """3D Print API's mesh object (cm); ``problems`` only once analysed."""
    body: dict[str, Any] = {
        "id": mesh.id,
        "name": mesh.name,
        "internal_file_id": mesh.internal_file_id,
        "transform": transform or mesh.transform,
        "geom": mesh.geom,
        "analyzed": mesh.analyzed,
    }
    if mesh.analyzed:
        body["problems"] = mesh.problems or []
    if mesh.visual_file_id:
        body["visual_file_id"] = mesh.visual_file_id
    return body


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return value * factor
    if isinstance(value, list):
        return [_scaled(v, factor) for v in value]
    if isinstance(value, dict):
        return {k: _scaled(v, factor) for k, v in value.items()}
    return value


def problems_in_cm(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """3D Print API problems with every location converted from mm to cm (counts untouched)."""
    out = []
    for problem in problems:
        converted = {
            k: (v if k in ("type", "count") else _scaled(v, 1.0 / MM_PER_CM)) for k, v in problem.items()
        }
        out.append(converted)
    return out


def tray_json(
    tray: TrayResource, meshes: Sequence[MeshResource], settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """3D Print API's tray object: meshes in full, each with its placement on the tray (cm).

    ``meshes`` are the tray's stored meshes (any order; missing ones are left out); ``settings``
    are the profile's printing and slicing settings shown under ``settings``.
    """
    rows = {m.id: m for m in meshes}
    placed = []
    for mesh_id in tray.mesh_ids:
        mesh = rows.get(mesh_id)
        if mesh is None:
            continue
        placement = tray.placements.get(mesh_id)
        placed.append(mesh_json(mesh, transform_cm(placement) if placement is not None else None))
    body = {
        "id": tray.id,
        "printer_type_id": tray.printer_type_id,
        "profile_id": tray.profile_id,
        "default_material_id": tray.default_material_id,
        "settings": settings or {},
        "meshes": placed,
        "mesh_attrs": tray.mesh_attrs,
        "state": tray.state,
        "ready": tray.ready,
        "notes": tray.notes,
    }
    if tray.visual_file_id:
        body["visual_file_id"] = tray.visual_file_id
    return body
