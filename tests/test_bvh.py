"""The self-intersection broad phase (a BVH in compiled code) against brute force.

Truth: every pair of triangles, tested with numpy (shared corners, box overlap) and the exact
narrow phase. The BVH must return every pair brute force keeps (no miss) and no pair that
shares a corner, on uniform soups, a few huge triangles among many small ones, coplanar stacks
and many overlapping shells.
"""

from __future__ import annotations

import numpy as np
import pytest

from makeready.geometry.bvh import LEAF_SIZE, candidate_pairs
from makeready.geometry.intersections import _FILTER, intersecting_pairs, triangles_intersect


def _brute_force(vertices: np.ndarray, faces: np.ndarray) -> set[tuple[int, int]]:
    """Pairs (a < b) sharing no corner whose closed boxes overlap."""
    tri = vertices[faces]
    lo, hi = tri.min(axis=1), tri.max(axis=1)
    a, b = np.triu_indices(len(faces), k=1)
    overlap = (np.maximum(lo[a], lo[b]) <= np.minimum(hi[a], hi[b])).all(axis=1)
    shared = (faces[a][:, :, None] == faces[b][:, None, :]).any(axis=(1, 2))
    keep = overlap & ~shared
    return set(zip(a[keep].tolist(), b[keep].tolist(), strict=True))


def _soups() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(7)
    cases = {}
    pts = rng.random((600, 3)) * 10
    cases["uniform soup"] = (pts, rng.integers(0, 600, size=(500, 3)))
    small = rng.random((300, 3, 3)) * 0.5 + rng.random((300, 1, 3)) * 20
    huge = rng.random((5, 3, 3)) * 40 - 10
    tri = np.concatenate([small, huge])
    cases["huge among small"] = (tri.reshape(-1, 3), np.arange(len(tri) * 3).reshape(-1, 3))
    base = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 10.0, 0.0]])
    stack = np.stack([base + rng.random(3) * [1, 1, 0] for _ in range(60)])
    cases["coplanar stack"] = (stack.reshape(-1, 3), np.arange(180).reshape(-1, 3))
    grid = rng.integers(0, 4, size=(400, 3, 3)).astype(float)  # touching, shared positions, flat ones
    cases["integer grid"] = (grid.reshape(-1, 3), np.arange(1200).reshape(-1, 3))
    return cases


@pytest.mark.parametrize("case", list(_soups()))
def test_candidates_hold_every_pair_that_meets(case: str) -> None:
    vertices, faces = _soups()[case]
    got = {tuple(p) for p in candidate_pairs(vertices, faces, _FILTER).tolist()}
    boxes = _brute_force(vertices, faces)
    assert got <= boxes  # only pairs whose boxes overlap and share no corner
    pairs = np.array(sorted(boxes), dtype=np.int64).reshape(-1, 2)
    meet = triangles_intersect(vertices[faces[pairs[:, 0]]], vertices[faces[pairs[:, 1]]])
    truth = {tuple(p) for p in pairs[meet].tolist()}
    assert truth <= got, sorted(truth - got)[:5]
    assert truth  # each case really has intersections
    assert {tuple(p) for p in intersecting_pairs(vertices, faces).tolist()} == truth


def test_sizes_around_the_leaf_and_tree_boundaries() -> None:
    """Part-filled last leaf, a single leaf, a tree of two leaves: no pair lost at the edges."""
    rng = np.random.default_rng(8)
    for m in (2, 3, LEAF_SIZE - 1, LEAF_SIZE, LEAF_SIZE + 1, 2 * LEAF_SIZE + 3, 97):
        tri = rng.random((m, 3, 3)) * 3
        vertices, faces = tri.reshape(-1, 3), np.arange(3 * m).reshape(-1, 3)
        got = {tuple(p) for p in candidate_pairs(vertices, faces, _FILTER).tolist()}
        boxes = _brute_force(vertices, faces)
        pairs = np.array(sorted(boxes), dtype=np.int64).reshape(-1, 2)
        meet = triangles_intersect(vertices[faces[pairs[:, 0]]], vertices[faces[pairs[:, 1]]])
        assert {tuple(p) for p in pairs[meet].tolist()} <= got <= boxes, m
