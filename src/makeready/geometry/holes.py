"""Filling boundary loops with triangles, whatever their size and shape.

Each loop is triangulated in the plane that best fits it (Newell's normal) when its projection
there is a simple polygon: ear clipping by manifold3d handles any concave outline, so large
planar holes close exactly in their plane. A loop whose projection folds over itself (a
saddle-shaped hole on a scan) is closed by a fan around its centroid instead, which is always
a valid, consistently oriented patch. Triangles and quads are filled in one array operation.
"""

from __future__ import annotations

from dataclasses import dataclass

import manifold3d
import numpy as np
import shapely

from makeready.geometry.types import FloatArray, IntArray

__all__ = ["HoleFill", "fill_loops"]


@dataclass(frozen=True, slots=True)
class HoleFill:
    """New geometry that closes a set of loops.

    Attributes
    ----------
    faces : (k, 3) int64
        New triangles; indices ``>= n`` refer to ``new_vertices``.
    new_vertices : (j, 3) float64, mm
        Centroids added for fan-filled loops.
    planar, fanned : int
        Loops closed by planar triangulation and by a centroid fan.

    """

    faces: IntArray
    new_vertices: FloatArray
    planar: int
    fanned: int


def fill_loops(vertices: FloatArray, loops: list[IntArray]) -> HoleFill:
    """Close each loop with a patch oriented against the loop's walking direction.

    Parameters
    ----------
    vertices : (n, 3) float64, mm
        Positions the loops index.
    loops : list of (L,) int64
        Vertex ids in the direction the existing faces traverse the boundary; the patch runs
        the other way, so the result is consistently oriented.

    """
    n = len(vertices)
    faces: list[IntArray] = []
    extra: list[FloatArray] = []
    planar = fanned = 0
    by_size: dict[int, list[IntArray]] = {}
    for loop in loops:
        if len(loop) >= 3:
            by_size.setdefault(len(loop), []).append(loop[::-1])
    for size in (3, 4):
        group = by_size.pop(size, [])
        if not group:
            continue
        rings = np.stack(group)
        if size == 3:
            faces.append(rings)
        else:
            # Split each quad along its shorter diagonal.
            p = vertices[rings]
            d02 = np.linalg.norm(p[:, 0] - p[:, 2], axis=1)
            d13 = np.linalg.norm(p[:, 1] - p[:, 3], axis=1)
            a = np.where(d02 <= d13, 0, 1)
            idx = np.arange(len(rings))
            r = [rings[idx, (a + i) % 4] for i in range(4)]
            faces.append(np.concatenate([np.stack([r[0], r[1], r[2]], 1), np.stack([r[0], r[2], r[3]], 1)]))
        planar += len(rings)
    for size in sorted(by_size):
        for ring in by_size[size]:
            tris = _planar_patch(vertices, ring)
            if tris is not None:
                faces.append(tris)
                planar += 1
            else:
                centre = n + sum(len(e) for e in extra)
                extra.append(vertices[ring].mean(axis=0, keepdims=True))
                faces.append(np.stack([ring, np.roll(ring, -1), np.full(len(ring), centre)], axis=1))
                fanned += 1
    all_faces = np.concatenate(faces).astype(np.int64) if faces else np.zeros((0, 3), np.int64)
    new_vertices = np.concatenate(extra) if extra else np.zeros((0, 3))
    return HoleFill(all_faces, new_vertices, planar, fanned)


def _planar_patch(vertices: FloatArray, ring: IntArray) -> IntArray | None:
    """Ear-clip ``ring`` in its best-fit plane, or None where the projection is not simple."""
    pts = vertices[ring]
    normal = np.cross(pts, np.roll(pts, -1, axis=0)).sum(axis=0)
    length = float(np.linalg.norm(normal))
    if length == 0.0:
        return None
    normal /= length
    u = np.cross(normal, [1.0, 0.0, 0.0] if abs(normal[0]) < 0.9 else [0.0, 1.0, 0.0])
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    flat = np.stack([pts @ u, pts @ v], axis=1)
    if len(np.unique(flat, axis=0)) < len(flat) or not shapely.LinearRing(flat).is_simple:
        return None
    local = np.asarray(manifold3d.triangulate([flat]), dtype=np.int64).reshape(-1, 3)
    if len(local) != len(ring) - 2:
        return None
    result: IntArray = ring[local]
    return result
