"""Pairs of triangles whose bounding boxes overlap: a bounding-volume hierarchy in compiled code.

The broad phase of the self-intersection search. Triangles are sorted along a Morton curve of
their box centres and grouped into leaves of :data:`LEAF_SIZE`; the leaves are the bottom level
of an implicit complete binary tree (node ``i`` has children ``2i`` and ``2i + 1``) whose boxes
are built level by level in numpy. Each leaf then walks the tree for the leaves at or after it
whose boxes overlap its own and tests their triangles pairwise (box overlap, shared corners and
each triangle's plane), so only pairs that may really meet leave the compiled kernel.

The kernels are compiled by numba on first use and cached on disk; they release the GIL and
run on :data:`THREADS` threads (plain threads, not numba's threading layer, so concurrent
callers in a service are safe). Memory is linear in the triangles plus the pairs returned, and
no input can make a cell hold quadratically many triangles, as a uniform grid can (a few huge
triangles among many small ones, stacks of coplanar faces).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from makeready.geometry.types import FloatArray, IntArray

__all__ = ["LEAF_SIZE", "THREADS", "candidate_pairs"]


#: Triangles per leaf of the tree.
LEAF_SIZE = 8
#: Threads the pair search runs on (the machines this is sized for have two cores).
THREADS = 2
#: Bits per axis of the Morton code.
_MORTON_BITS = 21
#: Leaves handed to a thread per call; small enough to keep both threads busy to the end.
_LEAVES_PER_TASK = 16_384

_kernels: Any = None


def candidate_pairs(vertices: FloatArray, faces: IntArray, filter_bound: float) -> IntArray:
    """Triangle pairs that share no corner, whose boxes overlap and that may cross each other's plane.

    Parameters
    ----------
    vertices : (n, 3) float64, mm
        Positions.
    faces : (m, 3) int64
        Triangles as vertex indices; pairs that share a vertex index are skipped.
    filter_bound : float
        Relative rounding-error bound of the plane test: a triangle counts as off another's plane
        ``n . x = n . c0`` (``n`` the cross product of two edges) only when each of its corners
        is farther than ``filter_bound * |n| * (max |corner| + |n . c0| / |n|)`` from it, all on
        one side.

    Returns
    -------
    (k, 2) int64
        Pairs ``(a, b)`` with ``a < b``, in no particular order.

    """
    m = len(faces)
    if m < 2:
        return np.zeros((0, 2), np.int64)
    kernels = _compiled()
    vertices = np.ascontiguousarray(vertices, dtype=np.float64)
    faces = np.ascontiguousarray(faces, dtype=np.int64)
    order = np.argsort(kernels.morton_codes(vertices, faces, _MORTON_BITS), kind="stable")
    sorted_faces = np.ascontiguousarray(faces[order])
    leaves = -(-m // LEAF_SIZE)
    padded = 1 << max(1, math.ceil(math.log2(leaves)))
    prepared = kernels.prepare(vertices, sorted_faces, float(filter_bound), LEAF_SIZE, padded)
    corners, box, normal, offset, slack, plane_reach, absmax, nodes = prepared
    args = (
        nodes,
        box,
        corners,
        sorted_faces,
        normal,
        offset,
        slack,
        plane_reach,
        absmax,
        LEAF_SIZE,
        padded,
        m,
    )

    def task(first: int) -> IntArray:
        last = min(first + _LEAVES_PER_TASK, leaves)
        capacity = 8 * LEAF_SIZE * (last - first) + 1024
        while True:
            out = np.empty((capacity, 2), np.int64)
            count = kernels.leaf_pairs(*args, first, last, out)
            if count <= capacity:
                return out[:count]
            capacity = count

    with ThreadPoolExecutor(THREADS) as pool:
        parts = list(pool.map(task, range(0, leaves, _LEAVES_PER_TASK)))
    pairs = order[np.concatenate(parts)]
    result: IntArray = np.sort(pairs, axis=1)
    return result


def _compiled() -> Any:
    """The numba kernels, compiled (or read from numba's cache) on first use."""
    global _kernels
    if _kernels is None:
        from makeready.geometry import _bvh_kernels

        _kernels = _bvh_kernels
    return _kernels
