"""Pairs of intersecting triangles that share no vertex (self-intersections).

Broad phase: a uniform grid over triangle bounding boxes. The cell size starts at the median
triangle extent and doubles until the boxes occupy at most ``4 m`` cells, so huge triangles
cannot blow up memory. A candidate pair is kept only in the grid cell that holds the lower
corner of the overlap of the two boxes, so each pair is tested once without a global unique.

Narrow phase: the interval test of Möller (1997), "A fast triangle-triangle intersection
test", vectorised over all candidate pairs, with a 2-D edge/containment test for coplanar
pairs. Touching counts as intersecting: two triangles that share no vertex should not meet
at all in a valid solid.
"""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt

from makeready.geometry.topology import group_sorted

__all__ = ["intersecting_pairs", "triangles_intersect"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_CELL_BUDGET = 4  # grid cells per triangle, on average, before the cell size is doubled
_PAIR_CHUNK = 2_000_000


def intersecting_pairs(vertices: FloatArray, faces: IntArray) -> IntArray:
    """Find all pairs of vertex-disjoint triangles that intersect or touch.

    Parameters
    ----------
    vertices : (n, 3) float64, mm
        Positions. Vertices at the same position should be merged first, or triangles that
        meet there count as intersecting.
    faces : (m, 3) int64
        Triangles as vertex indices.

    Returns
    -------
    (k, 2) int64
        Face index pairs ``(a, b)`` with ``a < b``, sorted.

    """
    m = len(faces)
    if m < 2:
        return np.zeros((0, 2), np.int64)
    tri = vertices[faces]
    lo, hi = tri.min(axis=1), tri.max(axis=1)
    origin = lo.min(axis=0)
    extent = (hi - lo).max(axis=1)
    size = float(np.median(extent))
    if size <= 0:
        size = float(extent.max()) or 1.0
    while True:
        first = np.floor((lo - origin) / size).astype(np.int64)
        last = np.floor((hi - origin) / size).astype(np.int64)
        span = last - first + 1
        cells_per = span.prod(axis=1)
        if int(cells_per.sum()) <= _CELL_BUDGET * m or size > 1e12:
            break
        size *= 2.0
    if int(last.max()) >= 1 << 21:
        raise ValueError("part too large for the self-intersection grid")  # 2M cells per axis
    total = int(cells_per.sum())
    tri_id = np.repeat(np.arange(m), cells_per)
    local = np.arange(total) - np.repeat(np.cumsum(cells_per) - cells_per, cells_per)
    sx, sy = span[tri_id, 0], span[tri_id, 1]
    cx = first[tri_id, 0] + local % sx
    cy = first[tri_id, 1] + (local // sx) % sy
    cz = first[tri_id, 2] + local // (sx * sy)
    key = ((cx << 42) | (cy << 21) | cz).astype(np.uint64)
    order, starts = group_sorted(key)
    run_start = np.flatnonzero(starts)
    run_size = np.diff(np.append(run_start, total))
    # Candidate pairs: every entry with each later entry of its cell. The cheapest filters run
    # first: the pair's home cell, shared vertices, box overlap, then each triangle's plane.
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    offset = np.einsum("ij,ij->i", normal, tri[:, 0])
    busy = run_size > 1
    sorted_tri = tri_id[order]
    # 1-D columns: gathers of 1-D arrays are several times faster than of (k, 3) rows.
    cell_cols = [c[order] for c in (cx, cy, cz)]
    first_cols = [np.ascontiguousarray(first[:, i]) for i in range(3)]
    lo_cols = [np.ascontiguousarray(lo[:, i]) for i in range(3)]
    hi_cols = [np.ascontiguousarray(hi[:, i]) for i in range(3)]
    face_cols = [np.ascontiguousarray(faces[:, i]) for i in range(3)]
    entries = []
    for lo_run, hi_run in _chunks(run_size[busy], _PAIR_CHUNK):
        starts_c = run_start[busy][lo_run:hi_run]
        sizes_c = run_size[busy][lo_run:hi_run]
        pos = np.repeat(starts_c, sizes_c) + _ranks(sizes_c)
        after = np.repeat(sizes_c, sizes_c) - 1 - _ranks(sizes_c)
        a_pos = np.repeat(pos, after)
        b_pos = a_pos + 1 + _ranks(after)
        a, b = sorted_tri[a_pos], sorted_tri[b_pos]
        # Home cell of the pair: where the lower corner of the two boxes' overlap lies.
        keep = np.ones(len(a), bool)
        for col, cell in zip(first_cols, cell_cols, strict=True):
            keep &= np.maximum(col[a], col[b]) == cell[a_pos]
        a, b = a[keep], b[keep]
        keep = _disjoint([c[a] for c in face_cols], [c[b] for c in face_cols])
        for lo_c, hi_c in zip(lo_cols, hi_cols, strict=True):
            keep &= np.maximum(lo_c[a], lo_c[b]) <= np.minimum(hi_c[a], hi_c[b])
        a, b = a[keep], b[keep]
        keep = _straddles(tri[a], normal[b], offset[b]) & _straddles(tri[b], normal[a], offset[a])
        a, b = a[keep], b[keep]
        hit = triangles_intersect(tri[a], tri[b])
        entries.append(np.stack([np.minimum(a, b)[hit], np.maximum(a, b)[hit]], axis=1))
    if not entries:
        return np.zeros((0, 2), np.int64)
    pairs = np.concatenate(entries)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    return pairs.astype(np.int64)


def _ranks(sizes: IntArray) -> IntArray:
    """0..size-1 for each size, concatenated."""
    total = int(sizes.sum())
    result: IntArray = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return result


def _chunks(run_size: IntArray, budget: int) -> list[tuple[int, int]]:
    """Split runs so that each chunk produces about ``budget`` pairs."""
    if len(run_size) == 0:
        return []
    cum = np.cumsum(run_size * (run_size - 1) // 2)
    # Chunk j ends after the first run whose cumulative pair count reaches (j + 1) * budget.
    ends = np.searchsorted(cum, np.arange(budget, int(cum[-1]) + budget, budget)) + 1
    edges = np.unique(np.concatenate([[0], np.minimum(ends, len(run_size)), [len(run_size)]]))
    return [(int(a), int(b)) for a, b in itertools.pairwise(edges)]


def _straddles(tri: FloatArray, normal: FloatArray, offset: FloatArray) -> BoolArray:
    """Whether the triangles (k, 3, 3) touch or cross the planes ``normal . x = offset``."""
    d = np.einsum("kij,kj->ki", tri, normal) - offset[:, None]
    result: BoolArray = ~((d > 0).all(axis=1) | (d < 0).all(axis=1))
    return result


def _disjoint(fa: list[IntArray], fb: list[IntArray]) -> BoolArray:
    shared = np.zeros(len(fa[0]), bool)
    for i in range(3):
        for j in range(3):
            shared |= fa[i] == fb[j]
    result: BoolArray = ~shared
    return result


def triangles_intersect(t1: FloatArray, t2: FloatArray) -> BoolArray:
    """Whether triangle ``t1[i]`` meets triangle ``t2[i]`` (closed sets).

    Parameters
    ----------
    t1, t2 : (k, 3, 3) float64
        Corner positions of the two triangles of each pair.

    Returns
    -------
    (k,) bool

    """
    k = len(t1)
    if k == 0:
        return np.zeros(0, bool)
    # Work relative to a common point: smaller numbers, fewer rounding errors.
    base = t1[:, :1, :]
    p = t1 - base
    q = t2 - base
    n1 = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    n2 = np.cross(q[:, 1] - q[:, 0], q[:, 2] - q[:, 0])
    d1 = np.einsum("kij,kj->ki", p - q[:, :1], n2)  # distances of t1's corners to t2's plane
    d2 = np.einsum("kij,kj->ki", q - p[:, :1], n1)
    separated = ((d1 > 0).all(1) | (d1 < 0).all(1)) | ((d2 > 0).all(1) | (d2 < 0).all(1))
    coplanar = (d1 == 0).all(1) | (d2 == 0).all(1)
    result = np.zeros(k, bool)
    general = ~separated & ~coplanar
    if general.any():
        g = np.flatnonzero(general)
        direction = np.cross(n1[g], n2[g])
        lo1, hi1 = _plane_interval(p[g], d1[g], direction)
        lo2, hi2 = _plane_interval(q[g], d2[g], direction)
        result[g] = np.maximum(lo1, lo2) <= np.minimum(hi1, hi2)
    flat = ~separated & coplanar
    if flat.any():
        c = np.flatnonzero(flat)
        normal = np.where((d1[c] == 0).all(1)[:, None], n2[c], n1[c])
        result[c] = _coplanar_intersect(p[c], q[c], normal)
    return result


def _plane_interval(
    tri: FloatArray, dist: FloatArray, direction: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Interval, along ``direction``, of the part of each triangle that lies in the other's plane."""
    proj = np.einsum("kij,kj->ki", tri, direction)
    candidates = [np.where(dist[:, i] == 0, proj[:, i], np.nan) for i in range(3)]
    for i, j in ((0, 1), (1, 2), (2, 0)):
        di, dj = dist[:, i], dist[:, j]
        cross = (di * dj) < 0
        with np.errstate(invalid="ignore", divide="ignore"):
            t = di / (di - dj)
        candidates.append(np.where(cross, proj[:, i] + (proj[:, j] - proj[:, i]) * t, np.nan))
    stacked = np.stack(candidates, axis=1)
    return np.nanmin(stacked, axis=1), np.nanmax(stacked, axis=1)


def _coplanar_intersect(p: FloatArray, q: FloatArray, normal: FloatArray) -> BoolArray:
    axis = np.abs(normal).argmax(axis=1)
    keep = np.array([[1, 2], [0, 2], [0, 1]])[axis]
    rows = np.arange(len(p))[:, None, None]
    a = p[rows, np.arange(3)[None, :, None], keep[:, None, :]]  # (k, 3, 2)
    b = q[rows, np.arange(3)[None, :, None], keep[:, None, :]]
    hit = np.zeros(len(p), bool)
    for i in range(3):
        for j in range(3):
            hit |= _segments_meet(a[:, i], a[:, (i + 1) % 3], b[:, j], b[:, (j + 1) % 3])
    hit |= _inside(a[:, 0], b) | _inside(b[:, 0], a)
    return hit


def _orient2d(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    result: FloatArray = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    return result


def _segments_meet(a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray) -> BoolArray:
    o1, o2 = _orient2d(a, b, c), _orient2d(a, b, d)
    o3, o4 = _orient2d(c, d, a), _orient2d(c, d, b)
    proper = (o1 * o2 <= 0) & (o3 * o4 <= 0)
    # Collinear segments pass the sign test without overlapping: check their boxes too.
    box = (np.minimum(a, b) <= np.maximum(c, d)).all(1) & (np.minimum(c, d) <= np.maximum(a, b)).all(1)
    result: BoolArray = proper & box
    return result


def _inside(point: FloatArray, tri: FloatArray) -> BoolArray:
    s0 = _orient2d(tri[:, 0], tri[:, 1], point)
    s1 = _orient2d(tri[:, 1], tri[:, 2], point)
    s2 = _orient2d(tri[:, 2], tri[:, 0], point)
    inside = ((s0 >= 0) & (s1 >= 0) & (s2 >= 0)) | ((s0 <= 0) & (s1 <= 0) & (s2 <= 0))
    # A zero-area triangle "contains" every point by this test; its edges were checked already.
    result: BoolArray = inside & (_orient2d(tri[:, 0], tri[:, 1], tri[:, 2]) != 0)
    return result
