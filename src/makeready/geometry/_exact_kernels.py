"""Exact triangle-triangle intersection in compiled code (numba; imported only when first needed).

The same decision procedure as :func:`makeready.geometry.intersections.exact_intersect` (its
reference, in Python integers), on adaptive-precision predicates: each orientation determinant
is first evaluated in floating point with Shewchuk's static error bound, and only when its sign
is not certain is it recomputed exactly with floating-point expansions (Shewchuk 1997,
"Adaptive precision floating-point arithmetic and fast robust geometric predicates": Two-Sum,
Two-Product by Dekker's split, expansion growth and scaling with zero elimination). A float is a
dyadic rational and every product and sum here is carried without rounding, so the signs are
exact. Numba compiles without fast-math, so the operations keep IEEE semantics (no fused
multiply-add contraction, no reassociation), which the error-free transformations rely on.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_EPS = 2.0**-53
_SPLITTER = 134217729.0  # 2**27 + 1
#: Shewchuk's static error bounds for orient2d and orient3d (stage A).
_CCW_BOUND = (3.0 + 16.0 * _EPS) * _EPS
_O3D_BOUND = (7.0 + 56.0 * _EPS) * _EPS


@njit(cache=True, nogil=True, inline="always")
def _two_sum(a, b):  # type: ignore[no-untyped-def]
    x = a + b
    bv = x - a
    av = x - bv
    return x, (a - av) + (b - bv)


@njit(cache=True, nogil=True, inline="always")
def _two_diff(a, b):  # type: ignore[no-untyped-def]
    x = a - b
    bv = a - x
    av = x + bv
    return x, (a - av) + (bv - b)


@njit(cache=True, nogil=True, inline="always")
def _fast_two_sum(a, b):  # type: ignore[no-untyped-def]
    x = a + b
    return x, b - (x - a)


@njit(cache=True, nogil=True, inline="always")
def _split(a):  # type: ignore[no-untyped-def]
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


@njit(cache=True, nogil=True, inline="always")
def _two_product(a, b):  # type: ignore[no-untyped-def]
    x = a * b
    ahi, alo = _split(a)
    bhi, blo = _split(b)
    err = x - ahi * bhi
    err -= alo * bhi
    err -= ahi * blo
    return x, alo * blo - err


@njit(cache=True, nogil=True, inline="always")
def _emit(h, k, x):  # type: ignore[no-untyped-def]
    """Append ``x`` to ``h[:k]`` unless it is zero (zero elimination); return the new length."""
    if x != 0.0:
        h[k] = x
        k += 1
    return k


@njit(cache=True, nogil=True, inline="always")
def _close(h, k, q):  # type: ignore[no-untyped-def]
    """Append the running sum ``q``, the largest component (kept if it is the only one)."""
    if q != 0.0 or k == 0:
        h[k] = q
        k += 1
    return k


@njit(cache=True, nogil=True)
def _grow(h, n, b):  # type: ignore[no-untyped-def]
    """Add ``b`` to the expansion ``h[:n]`` in place (zero-eliminating); return its new length."""
    q = b
    k = 0
    for i in range(n):
        q, small = _two_sum(q, h[i])
        k = _emit(h, k, small)
    return _close(h, k, q)


@njit(cache=True, nogil=True)
def _merge(e, elen, f, flen, h):  # type: ignore[no-untyped-def]
    """``h = e + f`` for expansions sorted by magnitude (Shewchuk's fast_expansion_sum_zeroelim)."""
    ei = 0
    fi = 0
    k = 0
    if (f[0] > e[0]) == (f[0] > -e[0]):
        q = e[0]
        ei = 1
    else:
        q = f[0]
        fi = 1
    first = True
    while ei < elen and fi < flen:
        enow, fnow = e[ei], f[fi]
        if (fnow > enow) == (fnow > -enow):
            nxt = enow
            ei += 1
        else:
            nxt = fnow
            fi += 1
        # The first addition may use Fast-Two-Sum (|nxt| >= |q| by the merge order).
        q, small = _fast_two_sum(nxt, q) if first else _two_sum(q, nxt)
        first = False
        k = _emit(h, k, small)
    rest, ri, rlen = (e, ei, elen) if ei < elen else (f, fi, flen)
    while ri < rlen:
        q, small = _two_sum(q, rest[ri])
        ri += 1
        k = _emit(h, k, small)
    return _close(h, k, q)


@njit(cache=True, nogil=True)
def _add_product(h, n, a, b, sign):  # type: ignore[no-untyped-def]
    """``h += sign * a * b`` (exactly); return the new length."""
    big, small = _two_product(a, b)
    n = _grow(h, n, sign * small)
    return _grow(h, n, sign * big)


@njit(cache=True, nogil=True)
def _scale(e, n, b, out):  # type: ignore[no-untyped-def]
    """``out = e[:n] * b`` exactly (Shewchuk's scale_expansion_zeroelim); return its length."""
    q, small = _two_product(e[0], b)
    k = _emit(out, 0, small)
    for i in range(1, n):
        p1, p0 = _two_product(e[i], b)
        s, small = _two_sum(q, p0)
        k = _emit(out, k, small)
        q, small = _fast_two_sum(p1, s)
        k = _emit(out, k, small)
    return _close(out, k, q)


@njit(cache=True, nogil=True)
def _sign(h, n):  # type: ignore[no-untyped-def]
    """Sign of an expansion: that of its largest (last) non-zero component."""
    for i in range(n - 1, -1, -1):
        if h[i] > 0.0:
            return 1
        if h[i] < 0.0:
            return -1
    return 0


@njit(cache=True, nogil=True)
def orient2d(ax, ay, bx, by, cx, cy):  # type: ignore[no-untyped-def]
    """Sign of ``(b - a) x (c - a)``, exact."""
    left = (ax - cx) * (by - cy)
    right = (ay - cy) * (bx - cx)
    det = left - right
    bound = _CCW_BOUND * (abs(left) + abs(right))
    if det > bound:
        return 1
    if -det > bound:
        return -1
    h = np.empty(16)
    n = 0
    acx, t0 = _two_diff(ax, cx)
    bcy, t1 = _two_diff(by, cy)
    acy, t2 = _two_diff(ay, cy)
    bcx, t3 = _two_diff(bx, cx)
    if t0 == 0.0 and t1 == 0.0 and t2 == 0.0 and t3 == 0.0:
        # The differences are exact (nearby coordinates, as in a mesh): two exact products.
        n = _add_product(h, n, acx, bcy, 1.0)
        n = _add_product(h, n, acy, bcx, -1.0)
        return _sign(h, n)
    # a x b + b x c + c x a, each cross product as two exact products.
    n = _add_product(h, n, ax, by, 1.0)
    n = _add_product(h, n, ay, bx, -1.0)
    n = _add_product(h, n, bx, cy, 1.0)
    n = _add_product(h, n, by, cx, -1.0)
    n = _add_product(h, n, cx, ay, 1.0)
    n = _add_product(h, n, cy, ax, -1.0)
    return _sign(h, n)


@njit(cache=True, nogil=True)
def _add_triple(h, n, p, q, r, sign, minor, scaled):  # type: ignore[no-untyped-def]
    """``h += sign * p . (q x r)`` exactly; return the new length (``h`` has room for n + 24)."""
    merged = np.empty(len(h))
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        m = 0
        m = _add_product(minor, m, q[j], r[k], 1.0)
        m = _add_product(minor, m, q[k], r[j], -1.0)
        s = _scale(minor, m, sign * p[i], scaled)
        if n == 0:
            h[:s] = scaled[:s]
            n = s
        else:
            n = _merge(h, n, scaled, s, merged)
            h[:n] = merged[:n]
    return n


@njit(cache=True, nogil=True)
def orient3d(a, b, c, d):  # type: ignore[no-untyped-def]
    """Sign of the volume ``(b - a) . ((c - a) x (d - a))``, exact."""
    adx, bdx, cdx = a[0] - d[0], b[0] - d[0], c[0] - d[0]
    ady, bdy, cdy = a[1] - d[1], b[1] - d[1], c[1] - d[1]
    adz, bdz, cdz = a[2] - d[2], b[2] - d[2], c[2] - d[2]
    bc, cb = bdx * cdy, cdx * bdy
    ca, ac = cdx * ady, adx * cdy
    ab, ba = adx * bdy, bdx * ady
    det = adz * (bc - cb) + bdz * (ca - ac) + cdz * (ab - ba)
    permanent = (
        (abs(bc) + abs(cb)) * abs(adz) + (abs(ca) + abs(ac)) * abs(bdz) + (abs(ab) + abs(ba)) * abs(cdz)
    )
    bound = _O3D_BOUND * permanent
    # Shewchuk's orient3d is det[a - d, b - d, c - d], the opposite sign of this one.
    if det > bound:
        return -1
    if -det > bound:
        return 1
    minor = np.empty(8)
    scaled = np.empty(16)
    n = 0
    diff = np.empty((3, 3))
    exact = True
    for i in range(3):
        for p, q in ((0, a), (1, b), (2, c)):
            x, tail = _two_diff(q[i], d[i])
            diff[p, i] = x
            exact = exact and tail == 0.0
    if exact:
        # The differences to d are exact (nearby coordinates, as in a mesh): the determinant
        # det[a - d, b - d, c - d] of Shewchuk's convention from 3 x 2 exact products, negated.
        h = np.empty(32)  # three terms of at most 8 components
        n = _add_triple(h, n, diff[0], diff[1], diff[2], -1.0, minor, scaled)
        return _sign(h, n)
    h = np.empty(128)  # twelve terms of at most 8 components
    # det[b - a, c - a, d - a] = [bcd] - [acd] + [abd] - [abc], [pqr] = p . (q x r).
    n = _add_triple(h, n, b, c, d, 1.0, minor, scaled)
    n = _add_triple(h, n, a, c, d, -1.0, minor, scaled)
    n = _add_triple(h, n, a, b, d, 1.0, minor, scaled)
    n = _add_triple(h, n, a, b, c, -1.0, minor, scaled)
    return _sign(h, n)


@njit(cache=True, nogil=True)
def _normal_axis(a, b, c):  # type: ignore[no-untyped-def]
    """An axis along which the triangle's normal is non-zero (the largest such), or -1 if none.

    Component ``i`` of the normal is the triangle's orientation in the plane of the other two
    axes, so its exact sign decides; the float estimate only orders the candidates.
    """
    estimate = np.empty(3)
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        estimate[i] = abs((b[j] - a[j]) * (c[k] - a[k]) - (b[k] - a[k]) * (c[j] - a[j]))
    for i in np.argsort(-estimate):
        j, k = (i + 1) % 3, (i + 2) % 3
        if orient2d(a[j], a[k], b[j], b[k], c[j], c[k]) != 0:
            return i
    return -1


@njit(cache=True, nogil=True, inline="always")
def _keep(axis):  # type: ignore[no-untyped-def]
    """The two axes kept when projecting along ``axis``, in increasing order."""
    if axis == 0:
        return 1, 2
    if axis == 1:
        return 0, 2
    return 0, 1


@njit(cache=True, nogil=True)
def _on_segment_2d(ax, ay, bx, by, px, py):  # type: ignore[no-untyped-def]
    return min(ax, bx) <= px <= max(ax, bx) and min(ay, by) <= py <= max(ay, by)


@njit(cache=True, nogil=True)
def _segments_meet_2d(ax, ay, bx, by, cx, cy, dx, dy):  # type: ignore[no-untyped-def]
    o1 = orient2d(ax, ay, bx, by, cx, cy)
    o2 = orient2d(ax, ay, bx, by, dx, dy)
    o3 = orient2d(cx, cy, dx, dy, ax, ay)
    o4 = orient2d(cx, cy, dx, dy, bx, by)
    if o1 * o2 < 0 and o3 * o4 < 0:
        return True
    return (
        (o1 == 0 and _on_segment_2d(ax, ay, bx, by, cx, cy))
        or (o2 == 0 and _on_segment_2d(ax, ay, bx, by, dx, dy))
        or (o3 == 0 and _on_segment_2d(cx, cy, dx, dy, ax, ay))
        or (o4 == 0 and _on_segment_2d(cx, cy, dx, dy, bx, by))
    )


@njit(cache=True, nogil=True)
def _in_triangle_2d(px, py, t):  # type: ignore[no-untyped-def]
    """Whether point ``p`` is in the closed projected triangle ``t`` (3, 2)."""
    s0 = orient2d(t[0, 0], t[0, 1], t[1, 0], t[1, 1], px, py)
    s1 = orient2d(t[1, 0], t[1, 1], t[2, 0], t[2, 1], px, py)
    s2 = orient2d(t[2, 0], t[2, 1], t[0, 0], t[0, 1], px, py)
    return (s0 >= 0 and s1 >= 0 and s2 >= 0) or (s0 <= 0 and s1 <= 0 and s2 <= 0)


@njit(cache=True, nogil=True)
def _coplanar(a, b, axis):  # type: ignore[no-untyped-def]
    """Whether coplanar triangles ``a`` and ``b`` (3, 3; either may be flat) meet, seen along ``axis``."""
    u, v = _keep(axis)
    fa = np.empty((3, 2))
    fb = np.empty((3, 2))
    for i in range(3):
        fa[i, 0], fa[i, 1] = a[i, u], a[i, v]
        fb[i, 0], fb[i, 1] = b[i, u], b[i, v]
    for i in range(3):
        i2 = (i + 1) % 3
        for j in range(3):
            j2 = (j + 1) % 3
            if _segments_meet_2d(
                fa[i, 0], fa[i, 1], fa[i2, 0], fa[i2, 1], fb[j, 0], fb[j, 1], fb[j2, 0], fb[j2, 1]
            ):
                return True
    # No edges meet: one lies inside the other, or they are apart. A flat piece contains nothing.
    if orient2d(fb[0, 0], fb[0, 1], fb[1, 0], fb[1, 1], fb[2, 0], fb[2, 1]) != 0:
        for i in range(3):
            if _in_triangle_2d(fa[i, 0], fa[i, 1], fb):
                return True
    if orient2d(fa[0, 0], fa[0, 1], fa[1, 0], fa[1, 1], fa[2, 0], fa[2, 1]) != 0:
        for i in range(3):
            if _in_triangle_2d(fb[i, 0], fb[i, 1], fa):
                return True
    return False


@njit(cache=True, nogil=True)
def _segment_meets_triangle(s0, s1, t):  # type: ignore[no-untyped-def]
    """A closed segment and a closed, non-degenerate triangle not coplanar with it."""
    a = orient3d(t[0], t[1], t[2], s0)
    b = orient3d(t[0], t[1], t[2], s1)
    if a * b > 0 or (a == 0 and b == 0):
        return False
    x = orient3d(s0, s1, t[0], t[1])
    y = orient3d(s0, s1, t[1], t[2])
    z = orient3d(s0, s1, t[2], t[0])
    return (x >= 0 and y >= 0 and z >= 0) or (x <= 0 and y <= 0 and z <= 0)


@njit(cache=True, nogil=True)
def _point_on_segment(p, a, b):  # type: ignore[no-untyped-def]
    tri = np.empty((3, 3))
    tri[0], tri[1], tri[2] = a, b, p
    if _normal_axis(tri[0], tri[1], tri[2]) >= 0:
        return False  # not collinear
    for i in range(3):  # noqa: SIM110 (numba compiles loops, not generators)
        if not min(a[i], b[i]) <= p[i] <= max(a[i], b[i]):
            return False
    return True


@njit(cache=True, nogil=True)
def _same(p, q):  # type: ignore[no-untyped-def]
    return p[0] == q[0] and p[1] == q[1] and p[2] == q[2]


@njit(cache=True, nogil=True)
def _segments_meet_3d(a, b, c, d):  # type: ignore[no-untyped-def]
    """Whether two closed 3-D segments (possibly points) meet."""
    if _same(a, b):
        return _point_on_segment(a, c, d)
    if _same(c, d):
        return _point_on_segment(c, a, b)
    if orient3d(a, b, c, d) != 0:
        return False  # not coplanar
    axis = _normal_axis(a, b, c)
    if axis < 0:
        axis = _normal_axis(a, b, d)
    if axis < 0:  # all four collinear: compare along an axis the line is not constant on
        best = 0
        for i in range(3):
            if abs(b[i] - a[i]) > abs(b[best] - a[best]):
                best = i
        lo1, hi1 = min(a[best], b[best]), max(a[best], b[best])
        lo2, hi2 = min(c[best], d[best]), max(c[best], d[best])
        return max(lo1, lo2) <= min(hi1, hi2)
    u, v = _keep(axis)
    return _segments_meet_2d(a[u], a[v], b[u], b[v], c[u], c[v], d[u], d[v])


@njit(cache=True, nogil=True)
def triangles_meet(a, b):  # type: ignore[no-untyped-def]
    """Whether closed triangles ``a`` and ``b`` (3, 3) meet, exactly."""
    # Each corner's side of the other triangle's plane, computed once and used by every case.
    side_a = np.empty(3, np.int64)
    side_b = np.empty(3, np.int64)
    for i in range(3):
        side_a[i] = orient3d(b[0], b[1], b[2], a[i])
        side_b[i] = orient3d(a[0], a[1], a[2], b[i])
    if abs(side_a.sum()) == 3 or abs(side_b.sum()) == 3:
        return False  # one triangle strictly on one side of the other's plane
    axis_a = _normal_axis(a[0], a[1], a[2])
    axis_b = _normal_axis(b[0], b[1], b[2])
    if axis_a < 0 and axis_b < 0:
        for i in range(3):
            for j in range(3):
                if _segments_meet_3d(a[i], a[(i + 1) % 3], b[j], b[(j + 1) % 3]):
                    return True
        return False
    if axis_a < 0 or axis_b < 0:
        seg, tri, axis, side = (a, b, axis_b, side_a) if axis_a < 0 else (b, a, axis_a, side_b)
        if (side == 0).all():
            return _coplanar(seg, tri, axis)
        for i in range(3):  # noqa: SIM110 (numba compiles loops, not generators)
            if _segment_meets_triangle(seg[i], seg[(i + 1) % 3], tri):
                return True
        return False
    if (side_a == 0).all():
        return _coplanar(a, b, axis_a)
    # Non-coplanar triangles meet iff an edge of one meets the other.
    piece = np.empty((3, 3))
    for first, second, axis, side in ((a, b, axis_b, side_a), (b, a, axis_a, side_b)):
        for i in range(3):
            s0, s1 = first[i], first[(i + 1) % 3]
            if side[i] == 0 and side[(i + 1) % 3] == 0:
                piece[0], piece[1], piece[2] = s0, s1, s1
                if _coplanar(piece, second, axis):
                    return True
            elif _segment_meets_triangle(s0, s1, second):
                return True
    return False


@njit(cache=True, nogil=True)
def triangles_meet_batch(t1, t2):  # type: ignore[no-untyped-def]
    """:func:`triangles_meet` of each pair ``(t1[i], t2[i])``, (k, 3, 3) each; (k,) bool."""
    out = np.zeros(t1.shape[0], np.bool_)
    for i in range(t1.shape[0]):
        out[i] = triangles_meet(t1[i], t2[i])
    return out
