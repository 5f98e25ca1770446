"""Finding mesh problems: the eight problem types of the print-preparation API, plus self-intersections.

Definitions (all computed per body, with array operations only):

``degenerate_triangles``
    Two corners share a vertex index, or the triangle's smallest altitude is at most
    ``DEGENERATE_RELATIVE`` (1e-6) times its longest edge (collinear or coincident corners),
    or its longest edge is at most ``DEGENERATE_ABSOLUTE`` (1e-9 mm).
``duplicate_triangles``
    A triangle whose three corner *positions* equal those of an earlier triangle, in any
    order or orientation. Counted once per extra copy.
``nonmanifold_vertices``
    A vertex whose faces form more than one fan (faces joined through edges with exactly
    two faces), or that ends an edge with three or more faces.
``duplicate_vertices``
    A vertex at the same position as an earlier vertex, counted once per extra copy. Same
    position means coordinates equal after snapping to a grid of ``POSITION_TOLERANCE``
    (1e-9) times the bounding-box diagonal. Welding over larger distances is a repair step.
``inconsistently_oriented_triangles``
    An edge with exactly two faces that both traverse it in the same direction. Counted per
    edge; the locations are the edges.
``holes``
    A connected set of boundary edges (edges with a single face), listed in walking order.
``inverted_volume``
    A closed, consistently oriented shell whose signed volume has the wrong sign for its
    nesting depth: outer shells must enclose positive volume, a void inside another shell
    negative volume.
``unorientable_triangles``
    The faces of a shell that no choice of face flips can orient consistently (a Möbius
    strip or Klein bottle).
``self_intersections``
    Pairs of triangles that share no vertex but meet (see :mod:`makeready.geometry.intersections`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from makeready.geometry.intersections import intersecting_pairs
from makeready.geometry.loops import boundary_components
from makeready.geometry.merge import merge_exact
from makeready.geometry.mesh import Body
from makeready.geometry.metrics import Metrics, mesh_metrics, winding_numbers
from makeready.geometry.topology import EdgeTopology, build_edges, group_sorted, orient, shells, vertex_fans
from makeready.geometry.types import BoolArray, FloatArray, IntArray
from makeready.geometry.vocabulary import PROBLEM_TYPES

__all__ = [
    "DEGENERATE_ABSOLUTE",
    "DEGENERATE_RELATIVE",
    "POSITION_TOLERANCE",
    "PROBLEM_TYPES",
    "BodyAnalysis",
    "Problem",
    "analyze_body",
    "degenerate_faces",
    "duplicate_faces",
    "shell_signs",
]


DEGENERATE_RELATIVE = 1e-6
DEGENERATE_ABSOLUTE = 1e-9
#: Vertices closer than this fraction of the bounding-box diagonal are at the same position.
#: It is far below float32 resolution (6e-8), and above the 1e-16..1e-33 mm noise CAD exporters
#: leave on zero coordinates (measured on trimesh's featuretype, angle_block and idler_riser).
POSITION_TOLERANCE = 1e-9
_EMPTY = np.zeros(0, np.int64)
_LOCATION_CAP = 200
_NESTING_BUDGET = 200_000_000  # point-triangle evaluations allowed for shell nesting tests


@dataclass(frozen=True, slots=True)
class Problem:
    """One kind of defect in one body: how many, and where.

    Attributes
    ----------
    type : str
        One of :data:`PROBLEM_TYPES` or ``"self_intersections"``.
    count : int
        Number of defects (triangles, vertices, edges, loops, shells or triangle pairs).
    faces : (k,) int64
        Face ids involved (all of them for triangle problems; capped at 200 pairs' faces for
        self-intersections).
    vertices : (k,) int64
        Vertex ids involved.
    edges : (k, 2) int64
        Vertex id pairs of the offending edges.
    loops : tuple of (L,) int64
        Ordered vertex ids of each hole (at most 200 loops kept).

    """

    type: str
    count: int
    faces: IntArray = field(default_factory=lambda: _EMPTY)
    vertices: IntArray = field(default_factory=lambda: _EMPTY)
    edges: IntArray = field(default_factory=lambda: _EMPTY.reshape(0, 2))
    loops: tuple[IntArray, ...] = ()


@dataclass(frozen=True, slots=True)
class BodyAnalysis:
    """Problems and metrics of one body.

    Attributes
    ----------
    name : str
    triangle_count, vertex_count : int
    problems : dict of str to Problem
        Every type in :data:`PROBLEM_TYPES` plus ``"self_intersections"``, zero counts included.
    shells : int
        Connected face sets (faces joined through edges).
    closed_shells : int
        Shells without boundary or non-manifold edges.
    boundary_edges, nonmanifold_edges : int
        Edges with one face, and with three or more faces.
    metrics : Metrics

    """

    name: str
    triangle_count: int
    vertex_count: int
    problems: dict[str, Problem]
    shells: int
    closed_shells: int
    boundary_edges: int
    nonmanifold_edges: int
    metrics: Metrics

    @property
    def watertight(self) -> bool:
        """No hole and no edge with more than two faces."""
        return self.triangle_count > 0 and self.boundary_edges == 0 and self.nonmanifold_edges == 0

    @property
    def winding_consistent(self) -> bool:
        """Every two-face edge is traversed once in each direction."""
        p = self.problems
        return p["inconsistently_oriented_triangles"].count == 0 and p["unorientable_triangles"].count == 0

    @property
    def valid_volume(self) -> bool:
        """Watertight, consistently wound, no inverted shell, positive volume."""
        return (
            self.watertight
            and self.winding_consistent
            and self.problems["inverted_volume"].count == 0
            and self.metrics.volume > 0
        )

    @property
    def is_clean(self) -> bool:
        """No problem of any type (self-intersections included)."""
        return all(p.count == 0 for p in self.problems.values())


def degenerate_faces(vertices: FloatArray, faces: IntArray) -> BoolArray:
    """Mask of degenerate faces, (m,) bool (definition in the module docstring)."""
    if len(faces) == 0:
        return np.zeros(0, bool)
    tri = vertices[faces]
    e = np.stack([tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 1], tri[:, 0] - tri[:, 2]], axis=1)
    longest2 = np.einsum("mkj,mkj->mk", e, e).max(axis=1)
    cross = np.cross(e[:, 0], -e[:, 2])
    twice_area = np.sqrt(np.einsum("ij,ij->i", cross, cross))
    # smallest altitude = 2A / longest edge <= rel * longest edge  <=>  2A <= rel * longest²
    shape = twice_area <= DEGENERATE_RELATIVE * longest2
    tiny = longest2 <= DEGENERATE_ABSOLUTE**2
    repeated = (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (faces[:, 2] == faces[:, 0])
    result: BoolArray = shape | tiny | repeated
    return result


def duplicate_faces(canonical_faces: IntArray) -> BoolArray:
    """Mask of faces whose vertex set repeats an earlier face's, (m,) bool.

    ``canonical_faces`` must index position-unique vertices (see :func:`_canonical`).
    """
    m = len(canonical_faces)
    if m == 0:
        return np.zeros(0, bool)
    s = np.sort(canonical_faces, axis=1)
    n = int(s.max()) + 1
    bits = max(n - 1, 1).bit_length()
    if 3 * bits <= 64:
        u = s.astype(np.uint64)
        hi_bits = (u[:, 0] << np.uint64(2 * bits)) | (u[:, 1] << np.uint64(bits))
        key: npt.NDArray[np.uint64] = hi_bits | u[:, 2]
        order, starts = group_sorted(key)
    else:
        order = np.lexsort((s[:, 2], s[:, 1], s[:, 0]))
        ss = s[order]
        starts = np.concatenate([[True], (ss[1:] != ss[:-1]).any(axis=1)])
    dup = np.zeros(m, bool)
    dup[order[~starts]] = True
    return dup


def _canonical(vertices: FloatArray, faces: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Map vertices to ids that are unique per position (within :data:`POSITION_TOLERANCE`).

    Returns
    -------
    canonical_faces : (m, 3) int64
    first : (k,) int64
        Representative vertex id of each distinct position.
    inverse : (n,) int64
        Distinct-position id of each vertex.

    """
    if len(vertices) == 0:
        return faces.copy(), np.zeros(0, np.int64), np.zeros(0, np.int64)
    step = POSITION_TOLERANCE * float(np.linalg.norm(np.ptp(vertices, axis=0)))
    snapped = np.round(vertices / step) if step > 0 else vertices
    first, inverse = merge_exact(snapped)
    return inverse[faces].astype(np.int64), first.astype(np.int64), inverse.astype(np.int64)


def analyze_body(body: Body, *, self_intersections: bool = True) -> BodyAnalysis:
    """Find every problem of ``body`` and measure it (see the module docstring for definitions).

    Topology is computed after an exact merge of vertices at the same position, so duplicate
    vertices show up once, as ``duplicate_vertices``, and not again as holes. Vertex ids in the
    result refer to ``body.vertices``.
    """
    m = len(body.faces)
    canonical, first, inverse = _canonical(body.vertices, body.faces)
    vertices, faces = body.vertices[first], canonical
    problems: dict[str, Problem] = {}

    degenerate = degenerate_faces(vertices, faces)
    problems["degenerate_triangles"] = Problem(
        "degenerate_triangles", int(degenerate.sum()), np.flatnonzero(degenerate)
    )
    dup_faces = duplicate_faces(faces)
    problems["duplicate_triangles"] = Problem(
        "duplicate_triangles", int(dup_faces.sum()), np.flatnonzero(dup_faces)
    )

    used = np.zeros(len(body.vertices), bool)
    used[body.faces.reshape(-1)] = True
    extra = used & (np.arange(len(body.vertices)) != first[inverse])
    dup_vertices = np.flatnonzero(extra)
    problems["duplicate_vertices"] = Problem("duplicate_vertices", len(dup_vertices), vertices=dup_vertices)

    topo = build_edges(faces)
    partner = topo.partners()
    fans = vertex_fans(faces, partner)
    corner_vertex = faces.reshape(-1)
    rep = fans == np.arange(3 * m)
    fan_count = np.bincount(corner_vertex[rep], minlength=len(vertices))
    nonmanifold = fan_count > 1
    nonmanifold[topo.edges[topo.nonmanifold_edges].reshape(-1)] = True
    nm_vertices = np.flatnonzero(nonmanifold)
    problems["nonmanifold_vertices"] = Problem(
        "nonmanifold_vertices", len(nm_vertices), vertices=first[nm_vertices]
    )

    h = np.flatnonzero(partner >= 0)
    h = h[h < partner[h]]  # each two-face edge once
    same_dir = corner_vertex[h] == corner_vertex[partner[h]]
    bad_h = h[same_dir]
    bad_edges = topo.edges[topo.face_edges.reshape(-1)[bad_h]]
    bad_faces = np.unique(np.concatenate([bad_h // 3, partner[bad_h] // 3]))
    problems["inconsistently_oriented_triangles"] = Problem(
        "inconsistently_oriented_triangles", len(bad_h), faces=bad_faces, edges=first[bad_edges]
    )

    boundary = np.flatnonzero(topo.face_count[topo.face_edges.reshape(-1)] == 1)
    hole_count, hole_loops = boundary_components(faces, boundary)
    problems["holes"] = Problem("holes", hole_count, loops=tuple(first[loop] for loop in hole_loops))

    shell_count, shell_of = shells(m, partner, topo)
    orientation = orient(faces, partner, shell_count, shell_of)
    unorientable = np.flatnonzero(np.isin(shell_of, orientation.unorientable_shells))
    problems["unorientable_triangles"] = Problem(
        "unorientable_triangles", len(unorientable), faces=unorientable
    )

    closed = _closed_shells(topo, shell_of, shell_count, faces)
    consistent = np.ones(shell_count, bool)
    consistent[shell_of[bad_faces]] = False
    signs = shell_signs(vertices, faces, shell_of, shell_count, closed & consistent)
    inverted = np.flatnonzero(signs < 0)
    inverted_faces = np.flatnonzero(np.isin(shell_of, inverted))
    problems["inverted_volume"] = Problem("inverted_volume", len(inverted), faces=inverted_faces)

    if self_intersections:
        pairs = intersecting_pairs(vertices, faces)
        problems["self_intersections"] = Problem(
            "self_intersections", len(pairs), faces=np.unique(pairs[:_LOCATION_CAP].reshape(-1))
        )
    else:
        problems["self_intersections"] = Problem("self_intersections", 0)

    whole_closed = (
        bool(closed.all()) and len(bad_h) == 0 and len(orientation.unorientable_shells) == 0 and m > 0
    )
    metrics = mesh_metrics(
        vertices,
        faces,
        edge_count=len(topo.edges),
        shells=shell_count,
        closed=whole_closed and nonmanifold.sum() == 0,
    )
    return BodyAnalysis(
        name=body.name,
        triangle_count=m,
        vertex_count=int(used.sum()),
        problems=problems,
        shells=shell_count,
        closed_shells=int(closed.sum()),
        boundary_edges=int((topo.face_count == 1).sum()),
        nonmanifold_edges=int((topo.face_count > 2).sum()),
        metrics=metrics,
    )


def _closed_shells(topo: EdgeTopology, shell_of: IntArray, shell_count: int, faces: IntArray) -> BoolArray:
    """Shells none of whose edges has one face or more than two."""
    open_he = topo.face_count[topo.face_edges.reshape(-1)] != 2
    open_faces = open_he.reshape(-1, 3).any(axis=1)
    closed = np.ones(shell_count, bool)
    closed[shell_of[open_faces]] = False
    return closed


def shell_signs(
    vertices: FloatArray, faces: IntArray, shell_of: IntArray, shell_count: int, eligible: BoolArray
) -> npt.NDArray[np.int8]:
    """Whether each eligible shell's signed volume fits its nesting depth.

    A shell is nested in another when six extreme vertices of it all have winding number
    above 1/2 in magnitude with respect to the other (bounding boxes are checked first). The
    expected sign is positive at even depth and negative at odd depth.

    Returns
    -------
    (shells,) int8
        +1 right sign, -1 inverted, 0 not judged (open, inconsistent or zero volume).

    """
    out = np.zeros(shell_count, np.int8)
    if shell_count == 0 or not eligible.any():
        return out
    tri = vertices[faces]
    center = vertices.mean(axis=0) if len(vertices) else np.zeros(3)
    rel = tri - center
    tet = np.einsum("ij,ij->i", rel[:, 0], np.cross(rel[:, 1], rel[:, 2])) / 6.0
    volume = np.bincount(shell_of, weights=tet, minlength=shell_count)
    ids = np.flatnonzero(eligible & (volume != 0))
    depth = np.zeros(shell_count, np.int64)
    if len(ids) > 1:  # nesting needs two judged shells; one shell is at depth 0
        lo = np.full((shell_count, 3), np.inf)
        hi = np.full((shell_count, 3), -np.inf)
        corners = tri.reshape(-1, 3)
        shell_corner = np.repeat(shell_of, 3)
        for axis in range(3):
            np.minimum.at(lo[:, axis], shell_corner, corners[:, axis])
            np.maximum.at(hi[:, axis], shell_corner, corners[:, axis])
        # inside_box[s, t]: the box of shell s lies inside the box of shell t
        inside_box: BoolArray = np.asarray(
            (lo[ids][:, None] >= lo[ids][None]).all(-1) & (hi[ids][:, None] <= hi[ids][None]).all(-1)
        )
        np.fill_diagonal(inside_box, False)
        s_idx, t_idx = np.nonzero(inside_box)
        face_count = np.bincount(shell_of, minlength=shell_count)
        work = int((face_count[ids[t_idx]] * 6).sum())
        if work <= _NESTING_BUDGET:
            samples = _extreme_points(corners, shell_corner, shell_count)
            order = np.argsort(shell_of, kind="stable")
            face_start = np.concatenate([[0], np.cumsum(face_count)])
            for s, t in zip(ids[s_idx], ids[t_idx], strict=True):
                shell_tris = tri[order[face_start[t] : face_start[t + 1]]]
                w = winding_numbers(samples[s], shell_tris)
                if (np.abs(w) > 0.5).all():
                    depth[s] += 1
    expected = np.where(depth % 2 == 0, 1, -1)
    actual = np.sign(volume).astype(np.int64)
    out[ids] = np.where(actual[ids] == expected[ids], 1, -1)
    return out


def _extreme_points(corners: FloatArray, shell_corner: IntArray, shell_count: int) -> FloatArray:
    """Six extreme corner positions (min/max along x, y, z) of each shell: (shells, 6, 3)."""
    out = np.zeros((shell_count, 6, 3))
    order = np.argsort(shell_corner, kind="stable")
    sc = shell_corner[order]
    starts = np.flatnonzero(np.concatenate([[True], sc[1:] != sc[:-1]]))
    for axis in range(3):
        vals = corners[order, axis]
        for j, pick in enumerate((np.minimum, np.maximum)):
            best = pick.reduceat(vals, starts)
            # first corner of each shell reaching the extreme value
            is_best = vals == np.repeat(best, np.diff(np.append(starts, len(vals))))
            pos = np.flatnonzero(is_best)
            first_pos = pos[np.concatenate([[True], sc[pos][1:] != sc[pos][:-1]])]
            out[sc[first_pos], 2 * axis + j] = corners[order[first_pos]]
    return out
