"""Self-intersection predicates: exact answers on touching, coplanar and zero-area cases.

Truth is exact rational arithmetic (Python fractions; a float is a dyadic rational, so the
orientation determinants of :func:`exact_intersect` carry no rounding error), checked first on
hand-made cases whose answer is known, then against the vectorised floating-point test on
random and adversarial pairs.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from makeready.geometry.intersections import exact_intersect, intersecting_pairs, triangles_intersect

T = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
KNOWN = {
    "crossing": (np.array([[0.5, 0.5, -1], [0.5, 0.5, 1], [1.5, 0.2, 1.0]]), True),
    "parallel 0.49 above": (T + np.array([0.0, 0.0, 0.49]), False),
    "coplanar overlapping": (T + np.array([0.5, 0.5, 0.0]), True),
    "coplanar apart": (T + np.array([5.0, 5.0, 0.0]), False),
    "coplanar touching at a corner": (T + np.array([2.0, 0.0, 0.0]), True),
    "coplanar sharing an edge's piece": (
        np.array([[1.0, 0.0, 0.0], [3.0, 0.0, 0.0], [2.0, -1.0, 0.0]]),
        True,
    ),
    "touching at a vertex from above": (np.array([[1, 1, 0], [3, 3, 1], [3, 3, -1]], float), True),
    "near miss": (np.array([[1.01, 1.01, 0], [3, 3, 1], [3, 3, -1]], float), False),
    "edge on the face": (np.array([[0.5, 0.5, 0.0], [1.0, 0.5, 0.0], [0.7, 0.6, 1.0]]), True),
    "zero-area, piercing": (np.array([[0.5, 0.5, -1.0], [0.5, 0.5, 0.0], [0.5, 0.5, 1.0]]), True),
    "zero-area, above": (np.array([[0.5, 0.5, 0.1], [0.5, 0.5, 0.5], [0.5, 0.5, 1.0]]), False),
    "zero-area in plane, outside": (np.array([[3.0, 3.0, 0.0], [4.0, 4.0, 0.0], [5.0, 5.0, 0.0]]), False),
    "zero-area in plane, crossing": (np.array([[-1.0, 0.5, 0.0], [0.5, 0.5, 0.0], [3.0, 0.5, 0.0]]), True),
    "a point on the face": (np.array([[0.5, 0.5, 0.0]] * 3), True),
    "a point beside it": (np.array([[0.5, 0.5, 1e-12]] * 3), False),
}


@pytest.mark.parametrize("case", KNOWN)
def test_exact_answers_on_known_cases(case):
    other, truth = KNOWN[case]
    assert exact_intersect(T, np.asarray(other, float)) is truth
    assert exact_intersect(np.asarray(other, float), T) is truth  # symmetric
    assert bool(triangles_intersect(T[None], np.asarray(other, float)[None])[0]) is truth


def _random_pairs(rng, k, grid):
    """Triangles on a coarse integer grid: many coplanar, touching and zero-area pairs."""
    return rng.integers(0, grid, size=(k, 3, 3)).astype(float), rng.integers(0, grid, size=(k, 3, 3)).astype(
        float
    )


def test_floating_point_agrees_with_exact_arithmetic_on_random_grid_pairs():
    rng = np.random.default_rng(20)
    a, b = _random_pairs(rng, 3000, 3)
    fast = triangles_intersect(a, b)
    exact = np.array([exact_intersect(x, y) for x, y in zip(a, b, strict=True)])
    assert (fast == exact).all(), np.flatnonzero(fast != exact)[:10]
    assert 0.2 < exact.mean() < 0.95  # both answers well represented


def test_floating_point_agrees_far_from_the_origin_and_nearly_coplanar():
    """Large coordinates and near-coplanar pairs: where rounding decides a naive test."""
    rng = np.random.default_rng(21)
    base = rng.normal(size=(2000, 3, 3))
    tilt = rng.normal(size=(2000, 3, 3)) * 1e-9  # nearly coplanar copies, some crossing, some not
    shift = np.where(rng.random((2000, 1, 1)) < 0.5, 0.0, rng.normal(size=(2000, 1, 3)) * 0.3)
    far = np.array([1e6, -2e6, 3e5])
    a, b = base + far, base + tilt + shift + far
    fast = triangles_intersect(a, b)
    exact = np.array([exact_intersect(x, y) for x, y in zip(a, b, strict=True)])
    assert (fast == exact).all(), np.flatnonzero(fast != exact)[:10]


def test_parallel_plates_half_a_millimetre_apart_do_not_intersect():
    """Issue 21: coplanar-looking triangles 0.49 mm apart were reported as intersecting."""
    x = np.linspace(0.0, 100.0, 11)
    xx, yy = np.meshgrid(x, x)
    pts = np.stack([xx.ravel(), yy.ravel(), np.zeros(xx.size)], axis=1)
    quads = [
        (i * 11 + j, i * 11 + j + 1, (i + 1) * 11 + j + 1, (i + 1) * 11 + j)
        for i in range(10)
        for j in range(10)
    ]
    faces = np.array([f for a, b, c, d in quads for f in ((a, b, c), (a, c, d))])
    vertices = np.concatenate([pts + np.array([1e5, 1e5, 1e3]), pts + np.array([1e5, 1e5, 1e3 + 0.49])])
    both = np.concatenate([faces, faces + len(pts)])
    assert len(intersecting_pairs(vertices, both)) == 0


def test_zero_area_triangles_touching_nothing_are_not_intersections():
    """A sliver collapsed onto a line beside a face is no intersection (exact arithmetic)."""
    vertices = np.array(
        [[0, 0, 0], [10, 0, 0], [0, 10, 0], [2, 2, 0.001], [3, 3, 0.001], [4, 4, 0.001]], float
    )
    faces = np.array([[0, 1, 2], [3, 4, 5]])
    assert len(intersecting_pairs(vertices, faces)) == 0
    touching = vertices.copy()
    touching[3:, 2] = 0.0  # now on the face: a real (degenerate) intersection
    assert intersecting_pairs(touching, faces).tolist() == [[0, 1]]


def test_many_shells_stay_fast():
    """15 overlapping spheres of 1,800 triangles: the exact fallback stays rare."""
    from tests.meshes import merged, uv_sphere

    spheres = [uv_sphere(10.0, 40, 24) for _ in range(15)]
    parts = [(v + np.array([i * 3.0, 0.0, 0.0]), f) for i, (v, f) in enumerate(spheres)]
    vertices, faces = merged(*parts)
    start = time.perf_counter()
    pairs = intersecting_pairs(vertices, faces)
    assert len(pairs) > 0
    assert time.perf_counter() - start < 20.0  # a guard against a pathological fallback, not a benchmark


@pytest.mark.xfail(
    strict=True,
    reason="known bug (found 2026-12-03): 6 of 3,000 slivers that cross the face's plane within "
    "1e-12 mm of a foot inside the face are reported apart by the floating-point path (exact: they "
    "meet); the same 6 before and after the zero-area filter was added. The sliver's ill-conditioned "
    "normal passes the 'well posed' check of the interval test.",
)
def test_zero_area_slivers_beside_faces_agree_with_exact_arithmetic():
    """CAD slivers (collinear corners) standing on or beside faces, far from the origin.

    The floating-point path clears the ones an edge of the face separates by a clear margin;
    every verdict must equal exact arithmetic's, touching and nearly touching ones included.
    """
    rng = np.random.default_rng(22)
    k = 3000
    far = np.array([1e4, -2e4, 3e3])
    face = rng.normal(size=(k, 3, 3)) * 5 + far
    # A sliver: a segment from a point of the face's plane (inside, on an edge or outside it)
    # to a point above, with its middle corner on the segment.
    w = rng.random((k, 3)) * np.where(rng.random((k, 1)) < 0.5, 1.0, 2.5) - np.where(
        rng.random((k, 1)) < 0.3, 0.7, 0.0
    )
    foot = np.einsum(
        "ki,kij->kj", w / np.where(np.abs(w.sum(1, keepdims=True)) > 1e-9, w.sum(1, keepdims=True), 1.0), face
    )
    normal = np.cross(face[:, 1] - face[:, 0], face[:, 2] - face[:, 0])
    top = foot + normal / np.linalg.norm(normal, axis=1, keepdims=True) * rng.normal(size=(k, 1)) * 3
    sliver = np.stack([foot, (foot + top) / 2, top], axis=1)
    fast = triangles_intersect(face, sliver)
    exact = np.array([exact_intersect(x, y) for x, y in zip(face, sliver, strict=True)])
    assert (fast == exact).all(), np.flatnonzero(fast != exact)[:10]
    assert 0.05 < exact.mean() < 0.95


def _inexact_differences(rng, k):
    """Points whose coordinate differences round in floating point (magnitudes 1e-3 to 1e4)."""
    scale = 10.0 ** rng.integers(-3, 5, size=(k, 4, 3))
    return rng.normal(size=(k, 4, 3)) * scale


def test_compiled_predicates_equal_python_integers():
    """Orientation signs from floating-point expansions (numba) against Python's exact integers.

    Coplanar and collinear cases by construction (exact zeros), nearly coplanar ones, and
    coordinates whose differences round, which takes the predicates' full expansion path.
    """
    from makeready.geometry import _exact_kernels as compiled
    from makeready.geometry.intersections import _exact, _orient2d, _orient3d

    rng = np.random.default_rng(30)
    grid = rng.integers(0, 3, size=(3000, 4, 3)).astype(float) * 0.1 + 1e3
    near = rng.normal(size=(3000, 4, 3))
    near[:, 3] = near[:, 0] + (near[:, 1] - near[:, 0]) * 0.3 + (near[:, 2] - near[:, 0]) * 0.7
    mixed = _inexact_differences(rng, 3000)
    mixed_near = mixed.copy()  # nearly coplanar with rounding differences: the full expansion path
    mixed_near[:, 3] = mixed[:, 0] + (mixed[:, 1] - mixed[:, 0]) * 0.25 + (mixed[:, 2] - mixed[:, 0]) * 0.5
    for points in (grid, near, mixed, mixed_near):
        for p in points:
            a, b = _exact(p[:3], p[[3, 3, 3]])
            assert compiled.orient3d(p[0], p[1], p[2], p[3]) == _orient3d(a[0], a[1], a[2], b[0])
            flat = [q[:2] for q in a]
            assert compiled.orient2d(*p[0, :2], *p[1, :2], *p[2, :2]) == _orient2d(*flat)


def test_compiled_exact_test_equals_the_python_reference():
    """The production exact fallback (compiled) decides every pair as the Python reference does."""
    from makeready.geometry._exact_kernels import triangles_meet_batch

    rng = np.random.default_rng(31)
    cases = [
        _random_pairs(rng, 2000, 3),
        tuple(x * 0.1 + 1e5 for x in _random_pairs(rng, 2000, 3)),
        tuple(_inexact_differences(rng, 2000)[:, :3] for _ in range(2)),
    ]
    base = rng.normal(size=(2000, 3, 3))
    cases.append((base + 1e6, base + rng.normal(size=(2000, 3, 3)) * 1e-9 + 1e6))
    for a, b in cases:
        reference = np.array([exact_intersect(x, y) for x, y in zip(a, b, strict=True)])
        assert (triangles_meet_batch(np.ascontiguousarray(a), np.ascontiguousarray(b)) == reference).all()
