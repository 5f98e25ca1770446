"""Compiled kernels of :mod:`makeready.geometry.bvh` (numba; imported only when first needed).

Numba compiles these on first use and caches the machine code beside this file (or in the
user's cache directory when the package is read-only), so later processes load it in
milliseconds. ``nogil=True`` lets :func:`makeready.geometry.bvh.candidate_pairs` run them on
several Python threads at once.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Depth of the traversal stack: one entry per level for the right siblings of a leaf's
#: ancestors, two per level while descending (a tree of up to 2**40 leaves).
_STACK = 128


@njit(cache=True, nogil=True, boundscheck=False)
def morton_codes(vertices, faces, bits):  # type: ignore[no-untyped-def]
    """Morton code of each triangle's box centre, ``bits`` bits per axis."""
    m = faces.shape[0]
    centre = np.empty((m, 3))
    low = np.full(3, np.inf)
    high = np.full(3, -np.inf)
    for i in range(m):
        for x in range(3):
            c0, c1, c2 = vertices[faces[i, 0], x], vertices[faces[i, 1], x], vertices[faces[i, 2], x]
            c = (min(c0, c1, c2) + max(c0, c1, c2)) / 2.0
            centre[i, x] = c
            low[x] = min(low[x], c)
            high[x] = max(high[x], c)
    span = max(high[0] - low[0], high[1] - low[1], high[2] - low[2])
    if not span > 0.0:
        span = 1.0
    top = (1 << bits) - 1
    scale = top / span
    codes = np.empty(m, np.int64)
    for i in range(m):
        code = 0
        for x in range(3):
            cell = min(max(int((centre[i, x] - low[x]) * scale), 0), top)
            for b in range(bits):
                code |= ((cell >> b) & 1) << (3 * b + x)
        codes[i] = code
    return codes


@njit(cache=True, nogil=True, boundscheck=False)
def prepare(vertices, faces, filter_bound, leaf_size, padded):  # type: ignore[no-untyped-def]
    """Per triangle: corners, box, plane and the plane test's error scales; and the tree's boxes.

    ``faces`` are in the tree's (sorted) order. Node ``i`` of the implicit tree has children
    ``2i`` and ``2i + 1``; the leaves are nodes ``padded .. 2 padded - 1``; empty ones get an
    inverted (never overlapping) box.
    """
    m = faces.shape[0]
    corners = np.empty((m, 3, 3))
    box = np.empty((m, 6), np.float32)
    normal = np.empty((m, 3))
    offset = np.empty(m)
    slack = np.empty(m)
    plane_reach = np.empty(m)
    absmax = np.empty(m)
    for i in range(m):
        a = 0.0
        for x in range(3):
            c0, c1, c2 = vertices[faces[i, 0], x], vertices[faces[i, 1], x], vertices[faces[i, 2], x]
            corners[i, 0, x], corners[i, 1, x], corners[i, 2, x] = c0, c1, c2
            box[i, x] = _down(min(c0, c1, c2))
            box[i, 3 + x] = _up(max(c0, c1, c2))
            a = max(a, abs(c0), abs(c1), abs(c2))
        absmax[i] = a
        u0 = corners[i, 1, 0] - corners[i, 0, 0]
        u1 = corners[i, 1, 1] - corners[i, 0, 1]
        u2 = corners[i, 1, 2] - corners[i, 0, 2]
        v0 = corners[i, 2, 0] - corners[i, 0, 0]
        v1 = corners[i, 2, 1] - corners[i, 0, 1]
        v2 = corners[i, 2, 2] - corners[i, 0, 2]
        n0, n1, n2 = u1 * v2 - u2 * v1, u2 * v0 - u0 * v2, u0 * v1 - u1 * v0
        normal[i, 0], normal[i, 1], normal[i, 2] = n0, n1, n2
        off = n0 * corners[i, 0, 0] + n1 * corners[i, 0, 1] + n2 * corners[i, 0, 2]
        offset[i] = off
        norm = np.sqrt(n0 * n0 + n1 * n1 + n2 * n2)
        slack[i] = filter_bound * norm
        plane_reach[i] = abs(off) / max(norm, 1e-300)
    nodes = np.empty((2 * padded, 6), np.float32)
    for leaf in range(padded):
        node = padded + leaf
        for x in range(3):
            nodes[node, x] = np.inf
            nodes[node, 3 + x] = -np.inf
        for k in range(leaf_size):
            s = leaf * leaf_size + k
            if s < m:
                for x in range(3):
                    nodes[node, x] = min(nodes[node, x], box[s, x])
                    nodes[node, 3 + x] = max(nodes[node, 3 + x], box[s, 3 + x])
    for node in range(padded - 1, 0, -1):
        for x in range(3):
            nodes[node, x] = min(nodes[2 * node, x], nodes[2 * node + 1, x])
            nodes[node, 3 + x] = max(nodes[2 * node, 3 + x], nodes[2 * node + 1, 3 + x])
    return corners, box, normal, offset, slack, plane_reach, absmax, nodes


@njit(cache=True, nogil=True, inline="always")
def _down(x):  # type: ignore[no-untyped-def]
    """The largest float32 at or below ``x`` (boxes are rounded outwards, never inwards)."""
    y = np.float32(x)
    return np.nextafter(y, np.float32(-np.inf)) if y > x else y


@njit(cache=True, nogil=True, inline="always")
def _up(x):  # type: ignore[no-untyped-def]
    """The smallest float32 at or above ``x``."""
    y = np.float32(x)
    return np.nextafter(y, np.float32(np.inf)) if y < x else y


@njit(cache=True, nogil=True, inline="always")
def _apart(a, i, b, j):  # type: ignore[no-untyped-def]
    """Whether box ``a[i]`` and box ``b[j]`` (rows ``lo xyz, hi xyz``) are disjoint."""
    return (
        a[i, 0] > b[j, 3]
        or a[i, 3] < b[j, 0]
        or a[i, 1] > b[j, 4]
        or a[i, 4] < b[j, 1]
        or a[i, 2] > b[j, 5]
        or a[i, 5] < b[j, 2]
    )


@njit(cache=True, nogil=True, boundscheck=False)
def leaf_pairs(  # type: ignore[no-untyped-def]
    nodes,
    box,
    corners,
    faces,
    normal,
    offset,
    slack,
    plane_reach,
    absmax,
    leaf_size,
    padded,
    m,
    first,
    last,
    out,
):
    """Write the candidate pairs of leaves ``first..last-1`` into ``out``; return their count.

    Pairs are sorted-order triangle indices ``(s, t)`` with ``t`` in a leaf at or after
    ``s``'s (each pair once). When ``out`` is too small the count is still returned (the caller
    retries with room for all of them).
    """
    capacity = out.shape[0]
    count = 0
    stack = np.empty(_STACK, np.int64)
    for leaf in range(first, last):
        own = padded + leaf
        if nodes[own, 0] > nodes[own, 3]:
            continue  # an empty leaf (padding)
        # Pairs go to the leaf that comes first, so only leaves after this one are searched:
        # the leaf itself and the right siblings of its ancestors (whose leaves all come after).
        size = 0
        stack[size] = own
        size += 1
        node = own
        while node > 1:
            if node & 1 == 0:
                stack[size] = node + 1
                size += 1
            node >>= 1
        while size > 0:
            size -= 1
            node = stack[size]
            if _apart(nodes, node, nodes, own):
                continue
            if node < padded:
                stack[size] = 2 * node
                stack[size + 1] = 2 * node + 1
                size += 2
                continue
            other = node - padded
            for k in range(leaf_size):
                s = leaf * leaf_size + k
                if s >= m:
                    break
                if _apart(box, s, nodes, node):
                    continue
                start = k + 1 if other == leaf else 0
                for j in range(start, leaf_size):
                    t = other * leaf_size + j
                    if t >= m:
                        break
                    if _apart(box, s, box, t):
                        continue
                    shared = False
                    for p in range(3):
                        for q in range(3):
                            if faces[s, p] == faces[t, q]:
                                shared = True
                    if shared:
                        continue
                    if _off_plane(corners, s, absmax[s], normal, offset, slack, plane_reach, t):
                        continue
                    if _off_plane(corners, t, absmax[t], normal, offset, slack, plane_reach, s):
                        continue
                    if count < capacity:
                        out[count, 0] = s
                        out[count, 1] = t
                    count += 1
    return count


@njit(cache=True, nogil=True, inline="always")
def _off_plane(corners, s, reach, normal, offset, slack, plane_reach, t):  # type: ignore[no-untyped-def]
    """Whether triangle ``s`` lies strictly on one side of triangle ``t``'s plane (beyond rounding)."""
    bound = slack[t] * (reach + plane_reach[t])
    above = 0
    below = 0
    for c in range(3):
        d = (
            corners[s, c, 0] * normal[t, 0]
            + corners[s, c, 1] * normal[t, 1]
            + corners[s, c, 2] * normal[t, 2]
            - offset[t]
        )
        if d > bound:
            above += 1
        elif d < -bound:
            below += 1
    return above == 3 or below == 3
