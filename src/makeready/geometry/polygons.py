"""Triangulating polygon faces (OBJ, OFF and PLY n-gons), vectorised per polygon size.

Convex polygons are fanned from their first corner in one array operation per size. Only
non-convex polygons, rare in real files, go one by one through manifold3d's ear-clipping
triangulator after projection onto their best-fit plane.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

__all__ = ["triangulate_polygons"]


def triangulate_polygons(
    vertices: npt.NDArray[np.float64], polygons: Iterable[npt.NDArray[np.int64]]
) -> npt.NDArray[np.int64]:
    """Split polygons into triangles.

    Parameters
    ----------
    vertices : (n, 3) float64
        Vertex positions the polygons index.
    polygons : iterable of (p, k) int64
        Polygons grouped by corner count ``k >= 3``, one array per ``k``.

    Returns
    -------
    (m, 3) int64
        Triangles, with each polygon's winding kept.

    """
    out: list[npt.NDArray[np.int64]] = []
    for group in polygons:
        if len(group) == 0:
            continue
        k = group.shape[1]
        if k == 3:
            out.append(group)
            continue
        convex = _is_convex(vertices, group)
        if convex.any():
            fan = group[convex]
            tris = np.stack([np.repeat(fan[:, 0], k - 2), fan[:, 1:-1].ravel(), fan[:, 2:].ravel()], axis=1)
            out.append(tris)
        for polygon in group[~convex]:
            out.append(_ear_clip(vertices, polygon))
    return np.concatenate(out) if out else np.zeros((0, 3), np.int64)


def _newell_normals(corners: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    nxt = np.roll(corners, -1, axis=1)
    normals: npt.NDArray[np.float64] = np.cross(corners, nxt).sum(axis=1)
    return normals


def _is_convex(vertices: npt.NDArray[np.float64], group: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    corners = vertices[group]  # (p, k, 3)
    normal = _newell_normals(corners)
    edges = np.roll(corners, -1, axis=1) - corners
    turns = np.cross(edges, np.roll(edges, -1, axis=1))  # (p, k, 3)
    signs = np.einsum("pkj,pj->pk", turns, normal)
    result: npt.NDArray[np.bool_] = (signs >= 0).all(axis=1)
    return result


def _ear_clip(vertices: npt.NDArray[np.float64], polygon: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    corners = vertices[polygon]
    normal = _newell_normals(corners[None])[0]
    length = np.linalg.norm(normal)
    if length == 0:  # degenerate polygon: keep its area (zero) as a fan, analysis will flag it
        k = len(polygon)
        return np.stack([np.repeat(polygon[0], k - 2), polygon[1:-1], polygon[2:]], axis=1)
    normal = normal / length
    u = np.cross(normal, [1.0, 0.0, 0.0] if abs(normal[0]) < 0.9 else [0.0, 1.0, 0.0])
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    flat = np.stack([corners @ u, corners @ v], axis=1)
    import manifold3d  # rare non-convex faces only: readers start without it

    local = np.asarray(manifold3d.triangulate([flat]), dtype=np.int64).reshape(-1, 3)
    result: npt.NDArray[np.int64] = polygon[local]
    return result
