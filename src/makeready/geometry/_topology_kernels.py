"""Compiled kernels of :mod:`makeready.geometry.topology` (numba; imported only when first needed).

Union-find over mesh corners and faces: linear time, where numpy needs pointer doubling
(``O(n log n)`` gathers) and scipy's connected components needs a symmetric sparse graph.
Numba caches the machine code on disk, so only the first process compiles it.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, boundscheck=False)
def _root(parent, x):  # type: ignore[no-untyped-def]
    """Root of ``x``, halving the path on the way (every root is its set's smallest id)."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@njit(cache=True, nogil=True, boundscheck=False)
def _join(parent, a, b):  # type: ignore[no-untyped-def]
    ra = _root(parent, a)
    rb = _root(parent, b)
    if ra < rb:
        parent[rb] = ra
    elif rb < ra:
        parent[ra] = rb


@njit(cache=True, nogil=True, boundscheck=False)
def corner_fans(faces, partner):  # type: ignore[no-untyped-def]
    """Smallest corner id of each corner's fan (see :func:`makeready.geometry.topology.vertex_fans`)."""
    corners = faces.shape[0] * 3
    parent = np.arange(corners)
    for h in range(corners):
        p = partner[h]
        if p <= h:
            continue  # unpartnered, or the pair was joined from the other side
        f, k = h // 3, h % 3
        g, j = p // 3, p % 3
        head = 3 * f + (k + 1) % 3
        other_head = 3 * g + (j + 1) % 3
        # The partner runs between the same two vertices, in either direction.
        if faces[g, j] == faces[f, k]:
            _join(parent, h, p)
            _join(parent, head, other_head)
        else:
            _join(parent, h, other_head)
            _join(parent, head, p)
    for c in range(corners):
        parent[c] = _root(parent, c)
    return parent
