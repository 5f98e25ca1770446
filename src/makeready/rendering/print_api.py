"""The Autodesk 3D Print API's wire shapes of makeready's results.

* :func:`problems_json` — the ``problems`` list of a mesh: per problem type the located triangles
  ``{"v0", "v1", "v2"}``, vertices ``[x, y, z]``, edges ``{"v0", "v1"}`` or boundaries (lists of
  positions), capped at 200 entries (600 vertices), with the total ``count`` beside them.

Positions are in the part's coordinates, mm (the API's resources in cm are scaled where they are
served).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from makeready.geometry.vocabulary import ALL_TYPES, PROBLEM_TYPES
from makeready.rendering.numbers import xyz

if TYPE_CHECKING:  # the renderers name the geometry's results; they need not load its code
    from makeready.geometry.analysis import AnalysisReport
    from makeready.geometry.problems import Problem

__all__ = ["LOCATION_CAP", "VERTEX_CAP", "problems_json"]

LOCATION_CAP = 200
VERTEX_CAP = 600


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
