"""Pairs of intersecting triangles that share no vertex (self-intersections).

Broad phase: a bounding-volume hierarchy in compiled code (:mod:`makeready.geometry.bvh`)
returns the pairs that share no vertex, whose boxes overlap and that each may touch the
other's plane (a filter conservative by the rounding-error bound below).

Narrow phase: the interval test of Möller (1997), "A fast triangle-triangle intersection
test", vectorised over all candidate pairs, with a 2-D edge/containment test for coplanar
pairs. Touching counts as intersecting: two triangles that share no vertex should not meet
at all in a valid solid.

Exactness: floating point decides only what it can decide for certain. Every pair whose
verdict rests on a value within its rounding-error bound — a corner on or near the other's
plane, coplanar or nearly coplanar pairs, zero-area triangles, interval ends that nearly meet —
is decided again exactly, in compiled code (:mod:`makeready.geometry._exact_kernels`: Shewchuk's
adaptive predicates, floating-point expansions that carry every product and sum without
rounding). :func:`exact_intersect` is the same procedure in Python's unbounded integers (a float
is a dyadic rational, so scaled to a common power of two every coordinate of the pair is an
integer): the reference the compiled one is tested against.
The broad phase's plane filter likewise drops only pairs separated beyond the error bound.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from makeready.geometry.bvh import candidate_pairs
from makeready.geometry.types import BoolArray, FloatArray, IntArray

__all__ = ["exact_intersect", "intersecting_pairs", "triangles_intersect"]


#: Doubtful pairs above which the exact test runs on two threads.
_EXACT_SPLIT = 20_000
#: Candidate pairs decided per batch of the narrow phase (bounds its memory: ~1 KB per pair).
_PAIR_CHUNK = 1_000_000
#: Relative rounding-error bound of the floating-point determinants (a generous multiple of
#: the machine epsilon times the magnitudes involved): values within it are decided exactly.
_FILTER = 1e-12
#: Planes closer to parallel than this (sine of the angle) have an ill-conditioned line of
#: intersection: such pairs are decided exactly.
_PARALLEL = 1e-6


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
    if len(faces) < 2:
        return np.zeros((0, 2), np.int64)
    candidates = candidate_pairs(vertices, faces, _FILTER)
    entries = [np.zeros((0, 2), np.int64)]
    for lo in range(0, len(candidates), _PAIR_CHUNK):
        chunk = candidates[lo : lo + _PAIR_CHUNK]
        hit = triangles_intersect(vertices[faces[chunk[:, 0]]], vertices[faces[chunk[:, 1]]])
        entries.append(chunk[hit])
    pairs = np.concatenate(entries)
    pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    return pairs.astype(np.int64)


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
    e1 = np.linalg.norm(p - p[:, [1, 2, 0]], axis=2).max(axis=1)  # longest edges
    e2 = np.linalg.norm(q - q[:, [1, 2, 0]], axis=2).max(axis=1)
    reach = np.maximum(np.abs(p).max(axis=(1, 2)), np.abs(q).max(axis=(1, 2)))
    n1 = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    n2 = np.cross(q[:, 1] - q[:, 0], q[:, 2] - q[:, 0])
    d1 = np.einsum("kij,kj->ki", p - q[:, :1], n2)  # distances of t1's corners to t2's plane
    d2 = np.einsum("kij,kj->ki", q - p[:, :1], n1)
    # Error bounds of the determinants: a multiple of epsilon times the magnitudes multiplied.
    bound1 = _FILTER * 2 * reach * e2 * e2
    bound2 = _FILTER * 2 * reach * e1 * e1
    sure1 = (np.abs(d1) > bound1[:, None]).all(1)
    sure2 = (np.abs(d2) > bound2[:, None]).all(1)
    separated = (sure1 & ((d1 > 0).all(1) | (d1 < 0).all(1))) | (sure2 & ((d2 > 0).all(1) | (d2 < 0).all(1)))
    flat1 = np.linalg.norm(n1, axis=1) <= _FILTER * e1 * e1
    flat2 = np.linalg.norm(n2, axis=1) <= _FILTER * e2 * e2
    degenerate = flat1 | flat2
    # Undecided in floating point: a corner on or near the other plane, or a zero-area triangle.
    doubtful = ~separated & (~sure1 | ~sure2 | degenerate)
    result = np.zeros(k, bool)
    general = ~separated & ~doubtful
    if general.any():
        g = np.flatnonzero(general)
        direction = np.cross(n1[g], n2[g])
        lo1, hi1 = _plane_interval(p[g], d1[g], direction)
        lo2, hi2 = _plane_interval(q[g], d2[g], direction)
        margin = np.minimum(hi1, hi2) - np.maximum(lo1, lo2)
        result[g] = margin >= 0
        # Interval ends computed with divisions, along a direction whose rounding error is
        # relative to |n1||n2| (not to its own length): too close to call, or planes nearly
        # parallel (an ill-conditioned line), is decided exactly.
        scale = np.linalg.norm(n1[g], axis=1) * np.linalg.norm(n2[g], axis=1)
        near = np.abs(margin) <= _FILTER * 64 * scale * reach[g]
        near |= np.linalg.norm(direction, axis=1) <= _PARALLEL * scale
        doubtful[g[near]] = True
    if doubtful.any():
        # Most doubtful pairs are plainly apart once the near-zero distances are taken as zero
        # (CAD faces meeting at an edge, neighbours in a flat face): only "apart by a clear
        # margin" is decided here; a snapped zero never decides that two triangles meet.
        d = np.flatnonzero(doubtful & ~degenerate)
        s1 = np.where(np.abs(d1[d]) <= bound1[d, None], 0.0, d1[d])
        s2 = np.where(np.abs(d2[d]) <= bound2[d, None], 0.0, d2[d])
        flat = (s1 == 0).all(1) & (s2 == 0).all(1)
        apart = np.zeros(len(d), bool)
        if flat.any():
            c = d[flat]
            apart[flat] = _coplanar_apart(
                p[c],
                q[c],
                np.where((np.abs(n1[c]).max(1) >= np.abs(n2[c]).max(1))[:, None], n1[c], n2[c]),
                reach[c],
            )
        crossing = ~flat & ~(s1 == 0).all(1) & ~(s2 == 0).all(1)
        if crossing.any():
            c = d[crossing]
            direction = np.cross(n1[c], n2[c])
            lo1, hi1 = _plane_interval(p[c], s1[crossing], direction)
            lo2, hi2 = _plane_interval(q[c], s2[crossing], direction)
            margin = np.minimum(hi1, hi2) - np.maximum(lo1, lo2)
            scale = np.linalg.norm(n1[c], axis=1) * np.linalg.norm(n2[c], axis=1)
            well_posed = np.linalg.norm(direction, axis=1) > _PARALLEL * scale
            apart[crossing] = well_posed & (margin < -_FILTER * 64 * scale * reach[c])
        doubtful[d[apart]] = False
        # A zero-area triangle beside a proper one (CAD slivers standing on a face): a line
        # through an edge of the proper triangle that has every corner of the sliver beyond it,
        # in the projection along the proper triangle's dominant normal axis, separates the
        # two projections and so the triangles. Only a clear margin decides, as above.
        one_flat = np.flatnonzero(doubtful & degenerate & (flat1 != flat2))
        if len(one_flat):
            proper_normal = np.where(flat1[one_flat, None], n2[one_flat], n1[one_flat])
            apart = _coplanar_apart(p[one_flat], q[one_flat], proper_normal, reach[one_flat])
            doubtful[one_flat[apart]] = False
    if doubtful.any():
        from makeready.geometry._exact_kernels import triangles_meet_batch

        idx = np.flatnonzero(doubtful)
        a, b = np.ascontiguousarray(t1[idx]), np.ascontiguousarray(t2[idx])
        if len(idx) < _EXACT_SPLIT:
            result[idx] = triangles_meet_batch(a, b)
        else:  # the kernel releases the GIL: one half on each core
            half = len(idx) // 2
            with ThreadPoolExecutor(2) as pool:
                first, second = pool.map(triangles_meet_batch, (a[:half], a[half:]), (b[:half], b[half:]))
            result[idx] = np.concatenate([first, second])
    return result


def _coplanar_apart(p: FloatArray, q: FloatArray, normal: FloatArray, reach: FloatArray) -> BoolArray:
    """Coplanar triangle pairs that an edge of one separates from the other by a clear margin.

    Separating-axis test in the projection along the normal's dominant axis: an edge whose
    line has every corner of the other triangle strictly outside (beyond the rounding bound)
    separates them. Pairs it cannot clear are left to the exact test.
    """
    axis = np.abs(normal).argmax(axis=1)
    keep = np.array([[1, 2], [0, 2], [0, 1]])[axis]
    rows = np.arange(len(p))[:, None, None]
    a = p[rows, np.arange(3)[None, :, None], keep[:, None, :]]  # (k, 3, 2)
    b = q[rows, np.arange(3)[None, :, None], keep[:, None, :]]
    bound = _FILTER * 64 * reach * reach
    apart = np.zeros(len(p), bool)
    for first, second in ((a, b), (b, a)):
        turn = np.sign(_orient2d_float(first[:, 0], first[:, 1], first[:, 2]))
        for i in range(3):
            u, v = first[:, i], first[:, (i + 1) % 3]
            outside = np.ones(len(p), bool)
            for j in range(3):
                outside &= turn * _orient2d_float(u, v, second[:, j]) < -bound
            apart |= outside & (turn != 0)
    return apart


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


def _orient2d_float(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    result: FloatArray = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    return result


def _segments_meet(a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray) -> BoolArray:
    o1, o2 = _orient2d_float(a, b, c), _orient2d_float(a, b, d)
    o3, o4 = _orient2d_float(c, d, a), _orient2d_float(c, d, b)
    proper = (o1 * o2 <= 0) & (o3 * o4 <= 0)
    # Collinear segments pass the sign test without overlapping: check their boxes too.
    box = (np.minimum(a, b) <= np.maximum(c, d)).all(1) & (np.minimum(c, d) <= np.maximum(a, b)).all(1)
    result: BoolArray = proper & box
    return result


def _inside(point: FloatArray, tri: FloatArray) -> BoolArray:
    s0 = _orient2d_float(tri[:, 0], tri[:, 1], point)
    s1 = _orient2d_float(tri[:, 1], tri[:, 2], point)
    s2 = _orient2d_float(tri[:, 2], tri[:, 0], point)
    inside = ((s0 >= 0) & (s1 >= 0) & (s2 >= 0)) | ((s0 <= 0) & (s1 <= 0) & (s2 <= 0))
    # A zero-area triangle "contains" every point by this test; its edges were checked already.
    result: BoolArray = inside & (_orient2d_float(tri[:, 0], tri[:, 1], tri[:, 2]) != 0)
    return result


# --- exact predicates (rational arithmetic) --------------------------------------------------------

_Point = tuple[int, int, int]
_Point2 = tuple[int, int]
_ZERO: _Point = (0, 0, 0)


def _exact(t1: FloatArray, t2: FloatArray) -> tuple[list[_Point], list[_Point]]:
    """Both triangles' corners as exact integers: every coordinate times one power of two."""
    values = [float(x) for x in np.concatenate([t1.ravel(), t2.ravel()])]
    parts = [math.frexp(x) for x in values]  # x = m * 2**e, 0.5 <= |m| < 1
    lowest = min(e for m, e in parts if m != 0.0) if any(m != 0.0 for m, _ in parts) else 0
    ints = [int(m * (1 << 53)) << (e - lowest) if m != 0.0 else 0 for m, e in parts]
    points = [(ints[i], ints[i + 1], ints[i + 2]) for i in range(0, 18, 3)]
    return points[:3], points[3:]


def _sub(a: _Point, b: _Point) -> _Point:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _orient3d(a: _Point, b: _Point, c: _Point, d: _Point) -> int:
    """Sign of the volume of the tetrahedron ``a b c d`` (exact)."""
    u, v, w = _sub(b, a), _sub(c, a), _sub(d, a)
    det = (
        u[0] * (v[1] * w[2] - v[2] * w[1])
        - u[1] * (v[0] * w[2] - v[2] * w[0])
        + u[2] * (v[0] * w[1] - v[1] * w[0])
    )
    return (det > 0) - (det < 0)


def _normal(a: _Point, b: _Point, c: _Point) -> _Point:
    u, v = _sub(b, a), _sub(c, a)
    return (u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0])


def _drop_axis(points: list[_Point], axis: int) -> list[_Point2]:
    keep = [i for i in range(3) if i != axis]
    return [(p[keep[0]], p[keep[1]]) for p in points]


def _orient2d(a: _Point2, b: _Point2, c: _Point2) -> int:
    det = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return (det > 0) - (det < 0)


def _on_segment_2d(a: _Point2, b: _Point2, p: _Point2) -> bool:
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def _segments_meet_2d(a, b, c, d) -> bool:  # type: ignore[no-untyped-def]
    o1, o2, o3, o4 = _orient2d(a, b, c), _orient2d(a, b, d), _orient2d(c, d, a), _orient2d(c, d, b)
    if o1 * o2 < 0 and o3 * o4 < 0:
        return True
    return (
        (o1 == 0 and _on_segment_2d(a, b, c))
        or (o2 == 0 and _on_segment_2d(a, b, d))
        or (o3 == 0 and _on_segment_2d(c, d, a))
        or (o4 == 0 and _on_segment_2d(c, d, b))
    )


def _in_triangle_2d(p, tri) -> bool:  # type: ignore[no-untyped-def]
    s = [_orient2d(tri[i], tri[(i + 1) % 3], p) for i in range(3)]
    return all(x >= 0 for x in s) or all(x <= 0 for x in s)


def _polygon_2d(points: list[_Point], axis: int) -> list[list[_Point2]]:
    """The pieces of a coplanar triangle, projected: the triangle, or its segments if flat."""
    flat = _drop_axis(points, axis)
    if _orient2d(*flat) != 0:
        return [flat]
    return [[flat[i], flat[(i + 1) % 3]] for i in range(3)]


def _coplanar_exact(a: list[_Point], b: list[_Point], normal: _Point) -> bool:
    axis = max(range(3), key=lambda i: abs(normal[i]))
    pieces_a, pieces_b = _polygon_2d(a, axis), _polygon_2d(b, axis)
    for pa in pieces_a:
        for pb in pieces_b:
            edges_a = [(pa[i], pa[(i + 1) % len(pa)]) for i in range(len(pa))]
            edges_b = [(pb[i], pb[(i + 1) % len(pb)]) for i in range(len(pb))]
            if any(_segments_meet_2d(*ea, *eb) for ea in edges_a for eb in edges_b):
                return True
            if len(pb) == 3 and _in_triangle_2d(pa[0], pb):
                return True
            if len(pa) == 3 and _in_triangle_2d(pb[0], pa):
                return True
    return False


def _segment_meets_triangle(s0: _Point, s1: _Point, tri: list[_Point]) -> bool:
    """A closed segment and a closed, non-degenerate triangle, not coplanar with each other."""
    u, v, w = tri
    a, b = _orient3d(u, v, w, s0), _orient3d(u, v, w, s1)
    if a * b > 0 or (a == 0 and b == 0):
        return False
    # The line through the segment pierces the closed triangle iff the three volumes agree.
    signs = [_orient3d(s0, s1, u, v), _orient3d(s0, s1, v, w), _orient3d(s0, s1, w, u)]
    return all(x >= 0 for x in signs) or all(x <= 0 for x in signs)


def exact_intersect(t1: FloatArray, t2: FloatArray) -> bool:
    """Whether two closed triangles (3, 3) meet, in exact rational arithmetic.

    Zero-area triangles are treated as the segments (or point) they are; coplanar pairs are
    tested in the plane's projection with the largest area.
    """
    a, b = _exact(t1, t2)
    side_a = [_orient3d(b[0], b[1], b[2], p) for p in a]
    side_b = [_orient3d(a[0], a[1], a[2], p) for p in b]
    if abs(sum(side_a)) == 3 or abs(sum(side_b)) == 3:
        return False  # one triangle strictly on one side of the other's plane
    na, nb = _normal(*a), _normal(*b)
    flat_a, flat_b = na == _ZERO, nb == _ZERO
    if flat_a and flat_b:
        segments_a = [(a[i], a[(i + 1) % 3]) for i in range(3)]
        segments_b = [(b[i], b[(i + 1) % 3]) for i in range(3)]
        return any(_segments_meet_3d(*sa, *sb) for sa in segments_a for sb in segments_b)
    if flat_a or flat_b:
        segment_owner, tri, normal = (a, b, nb) if flat_a else (b, a, na)
        if all(_orient3d(tri[0], tri[1], tri[2], p) == 0 for p in segment_owner):
            return _coplanar_exact(segment_owner, tri, normal)
        return any(
            _segment_meets_triangle(segment_owner[i], segment_owner[(i + 1) % 3], tri) for i in range(3)
        )
    if all(_orient3d(b[0], b[1], b[2], p) == 0 for p in a):
        return _coplanar_exact(a, b, na)
    edges_a = [(a[i], a[(i + 1) % 3]) for i in range(3)]
    edges_b = [(b[i], b[(i + 1) % 3]) for i in range(3)]
    # Two non-coplanar triangles meet iff an edge of one meets the other (their intersection is
    # a segment whose ends lie on edges). An edge lying in the other's plane is a coplanar piece.
    for (s0, s1), tri, normal in [*((e, b, nb) for e in edges_a), *((e, a, na) for e in edges_b)]:
        if _orient3d(tri[0], tri[1], tri[2], s0) == 0 and _orient3d(tri[0], tri[1], tri[2], s1) == 0:
            if _coplanar_exact([s0, s1, s1], tri, normal):
                return True
        elif _segment_meets_triangle(s0, s1, tri):
            return True
    return False


def _point_on_segment(p: _Point, a: _Point, b: _Point) -> bool:
    """Whether point ``p`` lies on the closed segment ``a b`` (exact)."""
    if _normal(a, b, p) != _ZERO:
        return False
    return all(min(a[i], b[i]) <= p[i] <= max(a[i], b[i]) for i in range(3))


def _segments_meet_3d(a: _Point, b: _Point, c: _Point, d: _Point) -> bool:
    """Whether two closed 3-D segments (possibly points) meet, exactly."""
    if a == b:
        return _point_on_segment(a, c, d)
    if c == d:
        return _point_on_segment(c, a, b)
    if _orient3d(a, b, c, d) != 0:
        return False  # not coplanar
    normal = _normal(a, b, c)
    if normal == _ZERO:
        normal = _normal(a, b, d)
    if normal == _ZERO:  # all four collinear: compare along the line's dominant axis
        axis = max(range(3), key=lambda i: abs(b[i] - a[i]))
        lo1, hi1 = sorted((a[axis], b[axis]))
        lo2, hi2 = sorted((c[axis], d[axis]))
        return max(lo1, lo2) <= min(hi1, hi2)
    axis = max(range(3), key=lambda i: abs(normal[i]))
    pa, pb, pc, pd = _drop_axis([a, b, c, d], axis)
    return _segments_meet_2d(pa, pb, pc, pd)
