"""Edge and vertex topology of a triangle mesh, computed with sorts and gathers (no per-face loop).

Vocabulary used across the analysis and repair modules:

* **half-edge** ``h = 3 * f + k`` runs from ``faces[f, k]`` to ``faces[f, (k + 1) % 3]``;
* **edge**: the undirected vertex pair of one or more half-edges;
* **partner** of a half-edge: the other half-edge of a two-face edge (``-1`` for boundary
  edges and, during analysis, for edges with three or more faces);
* **corner** ``c = 3 * f + k``: face ``f`` seen from its vertex ``faces[f, k]``;
* **fan**: the corners around one vertex that are connected through partnered edges. A vertex
  of a 2-manifold has exactly one fan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from makeready.geometry.tolerance import TINY
from makeready.geometry.types import BoolArray, IntArray

__all__ = [
    "EdgeTopology",
    "Orientation",
    "build_edges",
    "group_sorted",
    "orient",
    "pair_keys",
    "radial_partners",
    "shells",
    "vertex_fans",
    "xor_to_root",
]


def group_sorted(keys: npt.NDArray[np.uint64]) -> tuple[IntArray, BoolArray]:
    """Sort non-negative integer keys, stably.

    Parameters
    ----------
    keys : (n,) uint64
        The values to group.

    Returns
    -------
    order : (n,) int64
        Permutation that sorts ``keys``; equal keys keep their input order.
    starts : (n,) bool
        True where a run of equal keys begins in the sorted sequence.

    Notes
    -----
    When key and index fit in 64 bits together they are packed and sorted with ``np.sort``
    (radix/SIMD), about twice as fast as ``argsort`` on millions of keys.

    """
    n = len(keys)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    index_bits = max(int(n - 1).bit_length(), 1)
    top = int(keys.max())
    if top.bit_length() + index_bits <= 64:
        packed = np.sort((keys << np.uint64(index_bits)) | np.arange(n, dtype=np.uint64))
        order = (packed & np.uint64((1 << index_bits) - 1)).astype(np.int64)
        sorted_keys = packed >> np.uint64(index_bits)
    else:
        order = np.argsort(keys, kind="stable").astype(np.int64)
        sorted_keys = keys[order]
    starts = np.empty(n, bool)
    starts[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=starts[1:])
    return order, starts


def pair_keys(a: IntArray, b: IntArray) -> npt.NDArray[np.uint64]:
    """Order-independent uint64 key of integer pairs ``(a, b)`` with values below 2**32."""
    lo = np.minimum(a, b).astype(np.uint64)
    hi = np.maximum(a, b).astype(np.uint64)
    result: npt.NDArray[np.uint64] = (lo << np.uint64(32)) | hi
    return result


@dataclass(frozen=True, slots=True)
class EdgeTopology:
    """Edges of a mesh and how its faces use them.

    Attributes
    ----------
    edges : (e, 2) int64
        Vertex pairs, smaller index first.
    face_edges : (m, 3) int64
        Edge id of each half-edge ``faces[f, k] -> faces[f, (k + 1) % 3]``.
    face_count : (e,) int64
        Number of half-edges (faces) on each edge: 1 = boundary, 2 = manifold, more = non-manifold.
    order : (3m,) int64
        Half-edges sorted by edge; the half-edges of edge ``i`` are
        ``order[first[i] : first[i] + face_count[i]]``.
    first : (e,) int64
        Start of each edge's run in ``order``.

    """

    edges: IntArray
    face_edges: IntArray
    face_count: IntArray
    order: IntArray
    first: IntArray

    @property
    def boundary_edges(self) -> IntArray:
        """Ids of edges with exactly one face."""
        return np.flatnonzero(self.face_count == 1)

    @property
    def nonmanifold_edges(self) -> IntArray:
        """Ids of edges with three or more faces."""
        return np.flatnonzero(self.face_count > 2)

    def partners(self) -> IntArray:
        """Partner half-edge of every half-edge, ``-1`` where the edge does not have exactly two faces.

        Returns
        -------
        (3m,) int64

        """
        partner = np.full(len(self.order), -1, np.int64)
        two = self.first[self.face_count == 2]
        h1, h2 = self.order[two], self.order[two + 1]
        partner[h1] = h2
        partner[h2] = h1
        return partner


def build_edges(faces: IntArray) -> EdgeTopology:
    """Find the unique edges of ``faces`` (m, 3) int64 and each face's use of them."""
    m = len(faces)
    a = faces.reshape(-1)
    b = faces[:, [1, 2, 0]].reshape(-1)
    order, starts = group_sorted(pair_keys(a, b))
    edge_of_sorted = np.cumsum(starts) - 1
    face_edges = np.empty(3 * m, np.int64)
    face_edges[order] = edge_of_sorted
    first = np.flatnonzero(starts)
    face_count = np.diff(np.append(first, 3 * m))
    h = order[first]
    edges = np.sort(np.stack([a[h], b[h]], axis=1), axis=1)
    return EdgeTopology(edges, face_edges.reshape(m, 3), face_count, order, first)


def radial_partners(vertices: npt.NDArray[np.float64], faces: IntArray, topo: EdgeTopology) -> IntArray:
    """Partners for every half-edge, pairing the faces around non-manifold edges.

    Faces on an edge with three or more faces are sorted by the angle of their third vertex
    around the edge. Where the orientations alternate, each face is paired with its neighbour
    on the material side (inside the solid it bounds), which separates solids that only touch
    along the edge. Elsewhere neighbours in angular order are paired; an odd face out stays
    unpaired (it becomes a hole edge).

    Returns
    -------
    (3m,) int64
        Partner half-edge or ``-1``.

    """
    partner = topo.partners()
    busy = np.flatnonzero(topo.face_count > 2)
    if len(busy) == 0:
        return partner
    counts = topo.face_count[busy]
    run = np.repeat(np.arange(len(busy)), counts)
    starts = np.repeat(topo.first[busy], counts)
    pos_in_run = np.arange(len(run)) - np.repeat(np.cumsum(counts) - counts, counts)
    h = topo.order[starts + pos_in_run]
    f, k = h // 3, h % 3
    u_id, v_id = topo.edges[busy][run, 0], topo.edges[busy][run, 1]
    forward = faces[f, k] == u_id
    opposite = faces[f, (k + 2) % 3]
    u, d = vertices[u_id], vertices[v_id] - vertices[u_id]
    d = d / np.maximum(np.linalg.norm(d, axis=1, keepdims=True), TINY)
    helper = np.where(np.abs(d[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    e1 = np.cross(d, helper)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    e2 = np.cross(d, e1)
    w = vertices[opposite] - u
    theta = np.arctan2(np.einsum("ij,ij->i", w, e2), np.einsum("ij,ij->i", w, e1))
    sort = np.lexsort((theta, run))
    h, forward, run_sorted = h[sort], forward[sort], run[sort]
    size = np.repeat(counts, counts)
    base = np.repeat(np.cumsum(counts) - counts, counts)
    prev = base + (pos_in_run - 1) % size
    nxt = base + (pos_in_run + 1) % size
    alternates = forward != forward[prev]
    run_ok = np.bincount(run_sorted, weights=~alternates, minlength=len(busy)) == 0
    ok = run_ok[run_sorted]
    # Alternating runs: a face running u->v has its material on the side of decreasing angle.
    mate = np.where(forward, prev, nxt)
    # Other runs: pair angular neighbours (0,1), (2,3), ...; an odd last one stays alone.
    fallback = np.where(pos_in_run % 2 == 0, base + pos_in_run + 1, base + pos_in_run - 1)
    fallback = np.where(fallback >= base + size, -1, fallback)
    mate = np.where(ok, mate, fallback)
    partner[h] = np.where(mate >= 0, h[np.maximum(mate, 0)], -1)
    return partner


def vertex_fans(faces: IntArray, partner: IntArray) -> IntArray:
    """Label every corner with its fan.

    Two corners of one vertex are in the same fan when their faces are partnered across an
    edge at that vertex; a fan is a connected component of that relation, found by union-find
    in compiled code, so the cost is linear in the corners whatever the orientation of the
    faces. A collapsed triangle with two corners at one vertex joins the fans on either side
    of it, as the surface does.

    Parameters
    ----------
    faces : (m, 3) int64
        Triangles as vertex indices.
    partner : (3m,) int64
        From :meth:`EdgeTopology.partners` or :func:`radial_partners` (a half-edge and its
        partner run between the same two vertices).

    Returns
    -------
    (3m,) int64
        For each corner ``3f + k``, the smallest corner id of its fan. Corners of one vertex
        with different labels lie in different fans.

    """
    from makeready.geometry import _topology_kernels

    if len(faces) == 0:
        return np.zeros(0, np.int64)
    result: IntArray = _topology_kernels.corner_fans(
        np.ascontiguousarray(faces, dtype=np.int64), np.ascontiguousarray(partner, dtype=np.int64)
    )
    return result


def shells(m: int, partner: IntArray, topo: EdgeTopology | None = None) -> tuple[int, IntArray]:
    """Connected face sets (shells).

    Parameters
    ----------
    m : int
        Face count.
    partner : (3m,) int64
        Faces joined by partnered half-edges are in one shell.
    topo : EdgeTopology, optional
        When given, faces sharing a non-manifold edge are joined as well.

    Returns
    -------
    count : int
    labels : (m,) int64

    """
    if m == 0:
        return 0, np.zeros(0, np.int64)
    h = np.flatnonzero(partner >= 0)
    rows, cols = h // 3, partner[h] // 3
    if topo is not None:
        runs = topo.first[topo.face_count > 2]
        counts = topo.face_count[topo.face_count > 2]
        idx = (
            np.repeat(runs, counts - 1)
            + np.arange(int((counts - 1).sum()))
            - np.repeat(np.cumsum(counts - 1) - (counts - 1), counts - 1)
        )
        rows = np.concatenate([rows, topo.order[idx] // 3])
        cols = np.concatenate([cols, topo.order[idx + 1] // 3])
    graph = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(m, m)).tocsr()
    count, labels = connected_components(graph, directed=False)
    return int(count), labels.astype(np.int64)


@dataclass(frozen=True, slots=True)
class Orientation:
    """A consistent orientation of each shell, as far as one exists.

    Attributes
    ----------
    flip : (m,) bool
        Faces to reverse so that partnered faces traverse their shared edge in opposite
        directions. Per shell the smaller of the two possible flip sets is chosen.
    conflicts : (k,) int64
        Half-edges whose edge is still traversed twice in the same direction after ``flip``:
        only non-orientable shells (a Möbius strip) have them.
    unorientable_shells : (s,) int64
        Shell labels that have conflicts.

    """

    flip: BoolArray
    conflicts: IntArray
    unorientable_shells: IntArray


def orient(faces: IntArray, partner: IntArray, shell_count: int, shell_labels: IntArray) -> Orientation:
    """Propagate orientation over each shell along a breadth-first spanning tree.

    A face's flip relative to its tree parent is the parity of their shared edge (1 when both
    traverse it the same way); flips are accumulated to the shell's root by pointer doubling.
    """
    m = len(faces)
    if m == 0:
        return Orientation(np.zeros(0, bool), np.zeros(0, np.int64), np.zeros(0, np.int64))
    h = np.flatnonzero(partner >= 0)
    p = partner[h]
    fa, fb = h // 3, p // 3
    same_dir = faces.reshape(-1)[h] == faces.reshape(-1)[p]
    roots = np.full(shell_count, m, np.int64)
    np.minimum.at(roots, shell_labels, np.arange(m))
    root = m  # a virtual node joined to the first face of every shell
    rows = np.concatenate([fa, np.full(shell_count, root)])
    cols = np.concatenate([fb, roots])
    graph = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(m + 1, m + 1)).tocsr()
    _, pred = breadth_first_order(graph, root, directed=False, return_predecessors=True)
    parent = pred[:m].astype(np.int64)
    parent[parent == root] = -1
    # Parity of the edge to the parent: look the face pair up among the partnered pairs.
    pair_key = pair_keys(fa, fb)
    key_order = np.argsort(pair_key, kind="stable")
    sorted_keys = pair_key[key_order]
    has_parent = parent >= 0
    child = np.flatnonzero(has_parent)
    where = np.searchsorted(sorted_keys, pair_keys(child, parent[child]))
    parity = np.zeros(m, bool)
    parity[child] = same_dir[key_order[where]]
    flip = xor_to_root(parity, parent)
    # Choose per shell the smaller flip set.
    flipped = np.bincount(shell_labels, weights=flip, minlength=shell_count)
    sizes = np.bincount(shell_labels, minlength=shell_count)
    invert = flipped * 2 > sizes
    flip ^= invert[shell_labels]
    conflict = same_dir != (flip[fa] != flip[fb])
    conflicts = h[conflict]
    bad = np.unique(shell_labels[conflicts // 3])
    return Orientation(flip, conflicts, bad)


def xor_to_root(parity: BoolArray, parent: IntArray) -> BoolArray:
    """Xor of ``parity`` along the tree path from each node to its root, by pointer doubling.

    Parameters
    ----------
    parity : (n,) bool
        Value on the edge from each node to its parent (ignored for roots).
    parent : (n,) int64
        Parent node, ``-1`` for roots.

    Returns
    -------
    (n,) bool
        ``O(n log depth)`` work.

    """
    idx = np.arange(len(parent))
    is_root = parent < 0
    up = np.where(is_root, idx, parent)
    acc = parity & ~is_root
    # Invariant: acc[i] is the xor over the path from i up to (not including) node up[i].
    while not np.array_equal(up[up], up):
        acc = acc ^ acc[up]
        up = up[up]
    result: BoolArray = acc ^ acc[up]  # up[i] is a root now, whose own value is False
    return result
