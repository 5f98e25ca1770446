"""Boundary loops (holes) of a mesh, ordered without a per-edge Python loop."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, depth_first_order

from makeready.geometry.types import IntArray

__all__ = ["BoundaryLoops", "boundary_loops"]


@dataclass(frozen=True, slots=True)
class BoundaryLoops:
    """Boundary half-edges chained into loops.

    Attributes
    ----------
    half_edges : (b,) int64
        Boundary half-edges in walking order, loop after loop.
    starts : (L + 1,) int64
        Loop ``i`` is ``half_edges[starts[i]:starts[i + 1]]``.
    closed : (L,) bool
        False for chains that could not be closed (orientation flips along the boundary).

    """

    half_edges: IntArray
    starts: IntArray
    closed: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.closed)

    def vertex_ids(self, faces: IntArray, i: int) -> IntArray:
        """Ordered vertex ids of loop ``i`` (each half-edge's start; an open chain adds its end)."""
        h = self.half_edges[self.starts[i] : self.starts[i + 1]]
        flat = faces.reshape(-1)
        ids = flat[h]
        if not self.closed[i]:
            ids = np.append(ids, flat[3 * (h[-1] // 3) + (h[-1] % 3 + 1) % 3])
        result: IntArray = ids
        return result


def boundary_loops(faces: IntArray, boundary: IntArray) -> BoundaryLoops:
    """Chain boundary half-edges head to tail.

    Parameters
    ----------
    faces : (m, 3) int64
        Triangles as vertex indices.
    boundary : (b,) int64
        The half-edges whose edge has a single face.

    Notes
    -----
    At a vertex where several loops touch, incoming and outgoing half-edges are matched in
    index order, which splits a figure-eight boundary into two loops.

    """
    b = len(boundary)
    if b == 0:
        return BoundaryLoops(np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0, bool))
    flat = faces.reshape(-1)
    start = flat[boundary]
    end = flat[3 * (boundary // 3) + (boundary % 3 + 1) % 3]
    out_order = np.lexsort((np.arange(b), start))
    in_order = np.lexsort((np.arange(b), end))
    out_rank = _rank_in_group(start[out_order])
    in_rank = _rank_in_group(end[in_order])
    out_key = start[out_order].astype(np.int64) * (b + 1) + out_rank
    in_key = end[in_order].astype(np.int64) * (b + 1) + in_rank
    where = np.searchsorted(out_key, in_key)
    found = (where < b) & (out_key[np.minimum(where, b - 1)] == in_key)
    succ = np.full(b, -1, np.int64)
    succ[in_order[found]] = out_order[where[found]]
    has = succ >= 0
    src = np.flatnonzero(has)
    graph = coo_matrix((np.ones(len(src), np.int8), (src, succ[has])), shape=(b, b)).tocsr()
    n_comp, comp = connected_components(graph, directed=True, connection="weak")
    has_pred = np.zeros(b, bool)
    has_pred[succ[has]] = True
    heads = np.flatnonzero(~has_pred)
    closed = np.ones(n_comp, bool)
    closed[comp[heads]] = False
    cycle_head = np.full(n_comp, b, np.int64)
    np.minimum.at(cycle_head, comp, np.arange(b))
    heads = np.concatenate([heads, cycle_head[closed]])
    heads = heads[np.argsort(comp[heads], kind="stable")]
    root = b
    rows = np.concatenate([src, np.full(len(heads), root)])
    cols = np.concatenate([succ[has], heads])
    walk = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(b + 1, b + 1)).tocsr()
    order = depth_first_order(walk, root, directed=True, return_predecessors=False)[1:]
    loop_of = comp[order]
    change = np.flatnonzero(loop_of[1:] != loop_of[:-1]) + 1
    starts = np.concatenate([[0], change, [b]]).astype(np.int64)
    return BoundaryLoops(boundary[order], starts, closed[loop_of[starts[:-1]]])


def _rank_in_group(sorted_values: IntArray) -> IntArray:
    """Position of each element within its run of equal values (input sorted)."""
    n = len(sorted_values)
    run_start = np.flatnonzero(np.concatenate([[True], sorted_values[1:] != sorted_values[:-1]]))
    result: IntArray = np.arange(n) - np.repeat(run_start, np.diff(np.append(run_start, n)))
    return result


def boundary_components(faces: IntArray, boundary: IntArray) -> tuple[int, list[IntArray]]:
    """Holes as connected sets of boundary edges, whatever the faces' orientation.

    Parameters
    ----------
    faces : (m, 3) int64
        Triangles as vertex indices.
    boundary : (b,) int64
        Boundary half-edges.

    Returns
    -------
    count : int
        Connected components of the boundary-edge graph (a Möbius strip has one).
    loops : list of (L,) int64
        The vertices of each component in depth-first order, which walks a simple loop in
        sequence; at most 200 components are listed.

    """
    if len(boundary) == 0:
        return 0, []
    flat = faces.reshape(-1)
    start = flat[boundary]
    end = flat[3 * (boundary // 3) + (boundary % 3 + 1) % 3]
    ids, local = np.unique(np.concatenate([start, end]), return_inverse=True)
    k = len(ids)
    a, b = local[: len(boundary)], local[len(boundary) :]
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(k, k)).tocsr()
    count, comp = connected_components(graph, directed=False)
    first = np.full(count, k, np.int64)
    np.minimum.at(first, comp, np.arange(k))
    shown = first[: min(count, 200)]
    rows = np.concatenate([a, b, np.full(len(shown), k)])
    cols = np.concatenate([b, a, shown])
    walk = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(k + 1, k + 1)).tocsr()
    order = depth_first_order(walk, k, directed=True, return_predecessors=False)[1:]
    change = np.flatnonzero(comp[order][1:] != comp[order][:-1]) + 1
    pieces = np.split(ids[order], change)
    return int(count), pieces
