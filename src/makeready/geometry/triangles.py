"""Arrays of triangles: corners, cross products, areas, normals, volume, sampling, closest points.

Every function takes triangles as a ``(m, 3, 3)`` float64 array of corners in mm (or an indexed
mesh where it says so) and works on all of them at once, as trimesh's ``triangles`` module does;
functions that need the corners' cross products accept them precomputed (``crosses``), so a
caller that needs areas and normals of the same triangles computes them once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from makeready.geometry.types import FloatArray, IntArray

if TYPE_CHECKING:
    from makeready.geometry.mesh import Part

__all__ = [
    "SurfaceSamples",
    "areas",
    "closest_points",
    "crosses",
    "dot_rows",
    "sample_surface",
    "signed_volume",
    "stack_bodies",
    "unit_normals",
    "unit_normals_of",
]


def crosses(tri: FloatArray) -> FloatArray:
    """``(b - a) x (c - a)`` of each triangle, shape (m, 3), mm²: twice the area along the normal."""
    result: FloatArray = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    return result


def areas(tri: FloatArray, crosses_: FloatArray | None = None) -> FloatArray:
    """Area of each triangle, shape (m,), mm²."""
    c = crosses(tri) if crosses_ is None else crosses_
    result: FloatArray = np.sqrt(np.einsum("ij,ij->i", c, c)) / 2.0
    return result


def unit_normals_of(tri: FloatArray, crosses_: FloatArray | None = None) -> FloatArray:
    """Unit normal of each triangle (right-hand rule), zero for degenerate ones; shape (m, 3)."""
    c = crosses(tri) if crosses_ is None else crosses_
    length = np.sqrt(np.einsum("ij,ij->i", c, c))
    result: FloatArray = c / np.where(length > 0, length, 1.0)[:, None]
    return result


def unit_normals(vertices: FloatArray, faces: IntArray) -> FloatArray:
    """Unit normal of each face of an indexed mesh (right-hand rule), zero for degenerate ones; (m, 3)."""
    return unit_normals_of(vertices[faces])


def signed_volume(tri: FloatArray) -> FloatArray:
    """Signed volume of the tetrahedron of each triangle and the origin, shape (m,), mm³.

    Their sum is the enclosed volume of a closed, outward-wound surface (divergence theorem).
    Callers move the origin to the part's centre first: the sum then keeps its precision for
    parts far from the origin.
    """
    result: FloatArray = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])) / 6.0
    return result


def dot_rows(a: FloatArray, b: FloatArray) -> FloatArray:
    """Row-wise dot products of two (k, 3) arrays, shape (k,)."""
    result: FloatArray = np.einsum("ij,ij->i", a, b)
    return result


def stack_bodies(part: Part) -> tuple[FloatArray, IntArray, IntArray]:
    """All bodies as one indexed mesh, plus the body index of every face."""
    verts = [b.vertices for b in part.bodies]
    counts = [b.vertex_count for b in part.bodies]
    shift = np.concatenate([[0], np.cumsum(counts)])[:-1] if counts else np.zeros(0, np.int64)
    faces = [b.faces + s for b, s in zip(part.bodies, shift, strict=True)]
    body_of = [np.full(b.triangle_count, i, np.int64) for i, b in enumerate(part.bodies)]
    if not verts:
        return np.zeros((0, 3)), np.zeros((0, 3), np.int64), np.zeros(0, np.int64)
    return np.concatenate(verts), np.concatenate(faces).astype(np.int64), np.concatenate(body_of)


@dataclass(frozen=True, slots=True)
class SurfaceSamples:
    """Points spread over a surface by area.

    Attributes
    ----------
    points : (s, 3) float64, mm
    face : (s,) int64
        Face each point lies on, ascending.
    weight : (s,) float64, mm²
        Area each point stands for.

    """

    points: FloatArray
    face: IntArray
    weight: FloatArray


def sample_surface(tri: FloatArray, area: FloatArray, budget: int, *, every_face: bool) -> SurfaceSamples:
    """Sample points spread by area: ``n`` points in a face become a regular ``s × s`` split.

    Each face gets a count proportional to its area (systematic sampling over the cumulative
    area, or ``floor(area / step)`` but at least one with ``every_face``); a face with count
    ``n`` is split into ``floor(sqrt(n))²`` equal sub-triangles whose centroids are the sample
    points.
    """
    m = len(tri)
    usable = area > 0
    total = float(area[usable].sum())
    if m == 0 or total <= 0:
        return SurfaceSamples(np.zeros((0, 3)), np.zeros(0, np.int64), np.zeros(0))
    step = total / budget
    if every_face:
        count = np.maximum(np.floor(area / step).astype(np.int64), usable.astype(np.int64))
    else:
        cum = np.cumsum(np.where(usable, area, 0.0))
        marks = np.searchsorted(cum, (np.arange(budget) + 0.5) * step, side="right")
        count = np.bincount(np.minimum(marks, m - 1), minlength=m)
    count[~usable] = 0
    # floor: a face needs four times the average area before it is split in four.
    split = np.floor(np.sqrt(count)).astype(np.int64)
    points, owner, weight = [], [], []
    for s in np.unique(split[split > 0]):
        chosen = np.flatnonzero(split == s)
        bary = _subtriangle_centroids(int(s))  # (s², 3)
        pts = np.einsum("kc,fcj->fkj", bary, tri[chosen]).reshape(-1, 3)
        points.append(pts)
        owner.append(np.repeat(chosen, len(bary)))
        weight.append(np.repeat(area[chosen] / len(bary), len(bary)))
    if len(owner) == 1:  # one split level: already in face order
        return SurfaceSamples(points[0], owner[0], weight[0])
    order = np.argsort(np.concatenate(owner), kind="stable")
    return SurfaceSamples(
        np.concatenate(points)[order], np.concatenate(owner)[order], np.concatenate(weight)[order]
    )


def closest_points(tri: FloatArray, points: FloatArray) -> FloatArray:
    """Closest point of each triangle to each point (Ericson 2005, section 5.1.5), vectorised.

    Parameters
    ----------
    tri : (k, 3, 3) float64, mm
        Triangle corners.
    points : (k, 3) float64, mm
        One query point per triangle.

    Returns
    -------
    (k, 3) float64, mm

    """
    a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
    ab, ac, ap = b - a, c - a, points - a
    d1, d2 = dot_rows(ab, ap), dot_rows(ac, ap)
    bp = points - b
    d3, d4 = dot_rows(ab, bp), dot_rows(ac, bp)
    cp = points - c
    d5, d6 = dot_rows(ab, cp), dot_rows(ac, cp)
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = va + vb + vc
        v_in = vb / denom
        w_in = vc / denom
        t_ab = d1 / (d1 - d3)
        t_ac = d2 / (d2 - d6)
        t_bc = (d4 - d3) / ((d4 - d3) + (d5 - d6))
    result = a + v_in[:, None] * ab + w_in[:, None] * ac  # inside the face
    # Regions are tested from the most specific (vertices) to edges; later masks win.
    cases = [
        ((va <= 0) & (d4 - d3 >= 0) & (d5 - d6 >= 0), b + t_bc[:, None] * (c - b)),
        ((vb <= 0) & (d2 >= 0) & (d6 <= 0), a + t_ac[:, None] * ac),
        ((vc <= 0) & (d1 >= 0) & (d3 <= 0), a + t_ab[:, None] * ab),
        ((d6 >= 0) & (d5 <= d6), c),
        ((d3 >= 0) & (d4 <= d3), b),
        ((d1 <= 0) & (d2 <= 0), a),
    ]
    for mask, value in cases:
        result = np.where(mask[:, None], value, result)
    bad = ~np.isfinite(result).all(axis=1)  # degenerate triangle: fall back to its nearest corner
    if bad.any():
        corners = tri[bad]
        nearest = np.argmin(np.linalg.norm(corners - points[bad][:, None], axis=2), axis=1)
        result[bad] = corners[np.arange(len(corners)), nearest]
    out: FloatArray = result
    return out


def _subtriangle_centroids(s: int) -> FloatArray:
    """Barycentric centroids of the ``s²`` triangles of a regular ``s``-split, shape (s², 3)."""
    i, j = np.meshgrid(np.arange(s), np.arange(s), indexing="ij")
    up = (i + j) <= s - 1
    down = (i + j) <= s - 2
    a = np.concatenate([(i[up] + 1 / 3) / s, (i[down] + 2 / 3) / s])
    b = np.concatenate([(j[up] + 1 / 3) / s, (j[down] + 2 / 3) / s])
    return np.stack([1 - a - b, a, b], axis=1)
