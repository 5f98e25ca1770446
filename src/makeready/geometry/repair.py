"""``repair(part)``: a new part whose bodies are closed, consistently oriented solids where possible.

Steps, per body, in this order (each can be switched off through ``actions``):

``merge``      weld vertices at the same position (within the analysis tolerance);
``stitch``     weld boundary vertices closer than 0.3 x their shortest boundary edge (cracks);
``duplicates`` drop repeated triangles and triangles with a repeated vertex;
``nonmanifold`` give every fan of a vertex its own vertex, pairing faces around edges with
               more than two faces by angle (solids that touch along an edge come apart);
``winding``    flip faces so that every shell is consistently oriented (the smaller set flips);
``degenerate`` collapse needle triangles' short edge, split the neighbour of cap triangles at
               the cap's apex (the exact fix for T-junction slivers);
``holes``      fill every boundary loop (see :mod:`makeready.geometry.holes`);
``inversion``  reverse closed shells whose volume sign does not fit their nesting;
``intersections`` (off by default) union the overlapping shells of a body with manifold3d;
``decimate``   (when ``target_faces`` is given) simplify with fast-simplification, keeping the
               volume within 1 %.

No body is ever dropped. A shell disappears only when it duplicated another one exactly, and the
report says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from makeready.geometry.analysis import AnalysisReport, analyze
from makeready.geometry.appearance import transfer_appearance
from makeready.geometry.holes import fill_loops
from makeready.geometry.loops import boundary_loops
from makeready.geometry.mesh import Body, Part
from makeready.geometry.problems import _canonical, degenerate_faces, duplicate_faces, shell_signs
from makeready.geometry.tolerance import TINY
from makeready.geometry.topology import build_edges, orient, radial_partners, shells, vertex_fans
from makeready.geometry.triangles import areas, signed_volume
from makeready.geometry.types import FloatArray, IntArray
from makeready.geometry.vocabulary import ACTION_TITLES, ALL_ACTIONS, DEFAULT_ACTIONS

__all__ = ["ALL_ACTIONS", "DEFAULT_ACTIONS", "RepairAction", "RepairReport", "repair"]


_STITCH_FRACTION = 0.3
#: How far split copies of a non-manifold vertex move apart, relative to the part size (and to
#: its distance from the origin, so that the gap survives float32 STL output: 16 ulps).
_SPLIT_NUDGE = 1e-6
_VOLUME_KEEP = 0.01


@dataclass(frozen=True, slots=True)
class RepairAction:
    """What one repair step did to the whole part.

    Attributes
    ----------
    action : str
        Key from :data:`ALL_ACTIONS`.
    title : str
        The API's display name.
    count : int
        Vertices merged, triangles removed or flipped, holes filled, shells inverted…
    detail : str
        One human sentence.

    """

    action: str
    title: str
    count: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RepairReport:
    """Result of :func:`repair`.

    Attributes
    ----------
    actions : tuple of RepairAction
        One per requested action, in the order run.
    before, after : AnalysisReport
        Analysis of the input and of the repaired part.
    notes : tuple of str
        Shells removed as exact duplicates, holes left open, volume guard decisions…
    intersections_checked : bool
        Whether the before/after analyses searched for self-intersections.

    """

    actions: tuple[RepairAction, ...]
    before: AnalysisReport
    after: AnalysisReport
    notes: tuple[str, ...] = field(default=())
    intersections_checked: bool = True

    @property
    def volume_before(self) -> float:
        """Signed volume of the input, mm³."""
        return self.before.metrics.volume

    @property
    def volume_after(self) -> float:
        """Signed volume of the result, mm³."""
        return self.after.metrics.volume

    @property
    def bodies_kept(self) -> bool:
        """Every input body is in the result (with at least one triangle if it had one)."""
        a, b = self.before.bodies, self.after.bodies
        return len(a) == len(b) and all(
            y.triangle_count > 0 or x.triangle_count == 0 for x, y in zip(a, b, strict=True)
        )

    @property
    def succeeded(self) -> bool:
        """Watertight, consistently wound, positive volume, no body lost, no self-intersections.

        Self-intersections count where they were searched; :attr:`remaining` says when not.
        """
        crossing = self.after.counts.get("self_intersections", 0) if self.intersections_checked else 0
        return self.after.valid_volume and self.bodies_kept and crossing == 0

    @property
    def remaining(self) -> dict[str, int | str]:
        """The problems the result still has, by type (counts), and what was not searched."""
        left: dict[str, int | str] = {k: v for k, v in self.after.counts.items() if v}
        if not self.intersections_checked:
            left["self_intersections"] = "not searched"
        return left


class _Tally:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.notes: list[str] = []

    def add(self, action: str, count: int) -> None:
        self.counts[action] = self.counts.get(action, 0) + int(count)


def repair(
    part: Part,
    *,
    actions: Iterable[str] = DEFAULT_ACTIONS,
    target_faces: int | None = None,
    stitch_tolerance: float | None = None,
    self_intersections: bool = True,
) -> tuple[Part, RepairReport]:
    """Repair every body of ``part``; return the new part and what was done.

    Parameters
    ----------
    part : Part
        The part to repair; it is not modified.
    actions : iterable of str
        Subset of :data:`ALL_ACTIONS`; ``"decimate"`` only runs when ``target_faces`` is set.
    target_faces : int, optional
        Decimate the whole part to about this many triangles (spread over bodies by size).
    stitch_tolerance : float, optional, mm
        Fixed distance for ``stitch`` instead of 0.3 x the shortest adjacent boundary edge.
    self_intersections : bool
        Include the self-intersection search in the before/after analyses.

    """
    wanted = tuple(a for a in ALL_ACTIONS if a in set(actions))
    unknown = set(actions) - set(ALL_ACTIONS)
    if unknown:
        raise ValueError(f"unknown repair actions: {sorted(unknown)}")
    before = analyze(part, self_intersections=self_intersections)
    tally = _Tally()
    total = max(part.triangle_count, 1)
    bodies = []
    for body in part.bodies:
        budget = None
        if target_faces is not None and "decimate" in wanted:
            budget = max(4, round(target_faces * body.triangle_count / total))
        bodies.append(_repair_body(body, wanted, tally, budget, stitch_tolerance))
    result = part.with_bodies(bodies)
    after = analyze(result, self_intersections=self_intersections)
    run = [a for a in wanted if a != "decimate" or target_faces is not None]
    reported = tuple(
        RepairAction(a, ACTION_TITLES[a], tally.counts.get(a, 0), _detail(a, tally.counts.get(a, 0)))
        for a in run
    )
    return result, RepairReport(reported, before, after, tuple(tally.notes), self_intersections)


def _detail(action: str, count: int) -> str:
    unit = {
        "merge": "vertices merged",
        "stitch": "vertices stitched",
        "duplicates": "triangles removed",
        "nonmanifold": "vertices split",
        "winding": "triangles flipped",
        "degenerate": "degenerate triangles fixed",
        "holes": "holes filled",
        "inversion": "shells inverted",
        "intersections": "shells united",
        "decimate": "triangles removed",
    }[action]
    return f"{count} {unit}" if count else "Not required."


def _repair_body(
    body: Body, wanted: tuple[str, ...], tally: _Tally, budget: int | None, stitch_tolerance: float | None
) -> Body:
    vertices = np.array(body.vertices)
    faces = np.array(body.faces)
    if len(faces) == 0:
        return body
    shells_in = shells(len(faces), build_edges(faces).partners())[0]
    if "merge" in wanted:
        canonical, first, _ = _canonical(vertices, faces)
        merged = len(np.unique(faces)) - len(np.unique(canonical))
        vertices, faces = vertices[first], canonical
        tally.add("merge", merged)
    if "stitch" in wanted:
        vertices, faces, stitched = _stitch(vertices, faces, stitch_tolerance)
        tally.add("stitch", stitched)
    for _round in range(8):
        changed = 0
        if "duplicates" in wanted:
            faces, removed = _drop_duplicates(faces)
            changed += removed
            tally.add("duplicates", removed)
        if "nonmanifold" in wanted:
            vertices, faces, split = _split_nonmanifold(vertices, faces)
            changed += split
            tally.add("nonmanifold", split)
        if "winding" in wanted:
            vertices, faces, flipped = _fix_winding(vertices, faces)
            tally.add("winding", flipped)
        if "degenerate" in wanted:
            vertices, faces, fixed = _fix_degenerate(vertices, faces)
            changed += fixed
            tally.add("degenerate", fixed)
        if not changed:
            break
    if "holes" in wanted:
        open_before = _open_shell_faces(faces)
        vertices, faces, filled, left = _fill_holes(vertices, faces)
        tally.add("holes", filled)
        faces, sheets = _drop_sheets(vertices, faces, open_before)
        if sheets:
            tally.notes.append(
                f"{body.name}: removed {sheets} open zero-volume shells (loose facets or flat sheets that "
                "filling could only double)"
            )
        if left:
            tally.notes.append(f"{body.name}: {left} open boundary chains could not be closed")
        if "winding" in wanted and filled:
            vertices, faces, flipped = _fix_winding(vertices, faces)
            tally.add("winding", flipped)
    if "inversion" in wanted:
        faces, inverted = _fix_inversion(vertices, faces)
        tally.add("inversion", inverted)
    if "intersections" in wanted:
        volume = _volume(vertices, faces)
        vertices, faces, united = _unite_shells(vertices, faces, tally, body.name)
        tally.add("intersections", united)
        if united:
            change = _volume(vertices, faces) - volume
            share = f" ({100 * change / volume:+.2f} %)" if volume else ""
            tally.notes.append(
                f"{body.name}: {united} overlapping shells united, volume {volume:,.3f} -> "
                f"{volume + change:,.3f} mm³{share}"
            )
    if budget is not None and budget < len(faces):
        vertices, faces, removed = _decimate(vertices, faces, budget, tally, body.name)
        tally.add("decimate", removed)
    vertices, faces = _compact(vertices, faces)
    shells_out = shells(len(faces), build_edges(faces).partners())[0] if len(faces) else 0
    if len(faces) == 0:
        tally.notes.append(f"{body.name}: every triangle was degenerate or duplicate; body kept unchanged")
        return body
    if shells_out < shells_in:
        tally.notes.append(
            f"{body.name}: {shells_in} shells became {shells_out} (duplicated or stitched shells joined)"
        )
    appearance = None
    if body.appearance is not None:
        appearance = transfer_appearance(body.appearance, body.triangles(), vertices[faces])
        kept = 0 if appearance is None else int(np.isfinite(appearance.uvs).all(axis=(1, 2)).sum())
        had = int(np.isfinite(body.appearance.uvs).all(axis=(1, 2)).sum())
        if kept < had or (kept and kept < len(faces)):
            tally.notes.append(
                f"{body.name}: texture coordinates kept on {kept:,} of {len(faces):,} triangles "
                f"({had:,} had them); triangles repair made or moved have none"
            )
    return Body(body.name, vertices, faces, body.brep, appearance)


def _compact(vertices: FloatArray, faces: IntArray) -> tuple[FloatArray, IntArray]:
    used, inverse = np.unique(faces.reshape(-1), return_inverse=True)
    return vertices[used], inverse.reshape(-1, 3).astype(np.int64)


def _weld(vertices: FloatArray, faces: IntArray, a: IntArray, b: IntArray) -> tuple[IntArray, int]:
    """Merge vertex pairs (a[i], b[i]) transitively; returns new faces and vertices merged."""
    n = len(vertices)
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n, n)).tocsr()
    count, label = connected_components(graph, directed=False)
    rep = np.full(count, n, np.int64)
    np.minimum.at(rep, label, np.arange(n))
    return rep[label][faces], n - count


def _boundary_half_edges(faces: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    topo = build_edges(faces)
    h = np.flatnonzero(topo.face_count[topo.face_edges.reshape(-1)] == 1)
    flat = faces.reshape(-1)
    return h, flat[h], flat[3 * (h // 3) + (h % 3 + 1) % 3]


def _stitch(
    vertices: FloatArray, faces: IntArray, tolerance: float | None
) -> tuple[FloatArray, IntArray, int]:
    h, start, end = _boundary_half_edges(faces)
    if len(h) == 0:
        return vertices, faces, 0
    length = np.linalg.norm(vertices[start] - vertices[end], axis=1)
    ids = np.unique(np.concatenate([start, end]))
    shortest = np.full(len(vertices), np.inf)
    np.minimum.at(shortest, start, length)
    np.minimum.at(shortest, end, length)
    reach = shortest * _STITCH_FRACTION if tolerance is None else np.full(len(vertices), tolerance)
    tree = cKDTree(vertices[ids])
    pairs = tree.query_pairs(float(reach[ids].max()), output_type="ndarray")
    if len(pairs) == 0:
        return vertices, faces, 0
    a, b = ids[pairs[:, 0]], ids[pairs[:, 1]]
    dist = np.linalg.norm(vertices[a] - vertices[b], axis=1)
    close = dist <= np.minimum(reach[a], reach[b])
    if not close.any():
        return vertices, faces, 0
    faces, merged = _weld(vertices, faces, a[close], b[close])
    return vertices, faces, merged


def _drop_duplicates(faces: IntArray) -> tuple[IntArray, int]:
    repeated = (faces[:, 0] == faces[:, 1]) | (faces[:, 1] == faces[:, 2]) | (faces[:, 2] == faces[:, 0])
    keep = ~repeated & ~duplicate_faces(faces)
    return faces[keep], int((~keep).sum())


def _split_nonmanifold(vertices: FloatArray, faces: IntArray) -> tuple[FloatArray, IntArray, int]:
    if len(faces) == 0:
        return vertices, faces, 0
    topo = build_edges(faces)
    partner = radial_partners(vertices, faces, topo)
    fan = vertex_fans(faces, partner)
    corner = np.arange(3 * len(faces))
    reps = np.flatnonzero(fan == corner)
    vertex_of_rep = faces.reshape(-1)[reps]
    split = len(reps) - len(np.unique(vertex_of_rep))
    if split == 0:
        # Fans could not separate some faces on an edge with more than two faces (a fin, or an
        # odd face out): drop those unpaired faces; the hole step closes what they leave.
        crowded = topo.face_count[topo.face_edges.reshape(-1)] > 2
        loose = np.unique(np.flatnonzero(crowded & (partner < 0)) // 3)
        if len(loose):
            keep = np.ones(len(faces), bool)
            keep[loose] = False
            return vertices, faces[keep], len(loose)
        return vertices, faces, 0
    new_vertices, new_faces = _split_fans(vertices, faces, fan, reps)
    return new_vertices, new_faces, split


def _split_fans(
    vertices: FloatArray, faces: IntArray, fan: IntArray, reps: IntArray
) -> tuple[FloatArray, IntArray]:
    """Give every fan (``reps``: its smallest corner) its own vertex."""
    vertex_of_rep = faces.reshape(-1)[reps]
    rank = np.zeros(3 * len(faces), np.int64)
    rank[reps] = np.arange(len(reps))
    new_faces = rank[fan].reshape(-1, 3)
    new_vertices = vertices[vertex_of_rep].copy()
    # Copies of one vertex would still coincide: move each a hair into its own fan, so solids
    # that touched along an edge or at a point become separate closed shells.
    copies = np.bincount(vertex_of_rep, minlength=len(vertices))[vertex_of_rep] > 1
    if copies.any():
        tri_centre = vertices[faces].mean(axis=1)
        pull = np.zeros_like(new_vertices)
        np.add.at(pull, new_faces.reshape(-1), np.repeat(tri_centre, 3, axis=0))
        uses = np.bincount(new_faces.reshape(-1), minlength=len(new_vertices))
        direction = pull / np.maximum(uses, 1)[:, None] - new_vertices
        norm = np.linalg.norm(direction, axis=1, keepdims=True)
        direction = np.where(norm > 0, direction / np.maximum(norm, TINY), 0.0)
        scale = _SPLIT_NUDGE * max(
            float(np.linalg.norm(np.ptp(vertices, axis=0))), float(np.abs(vertices).max())
        )
        new_vertices[copies] += scale * direction[copies]
    return new_vertices, new_faces


def _fix_winding(vertices: FloatArray, faces: IntArray) -> tuple[FloatArray, IntArray, int]:
    if len(faces) == 0:
        return vertices, faces, 0
    partner = build_edges(faces).partners()
    count, labels = shells(len(faces), partner)
    orientation = orient(faces, partner, count, labels)
    if len(orientation.conflicts):
        # A non-orientable shell (Möbius strip): cut it along the conflicting edges, then orient.
        partner = partner.copy()
        partner[partner[orientation.conflicts]] = -1
        partner[orientation.conflicts] = -1
        fan = vertex_fans(faces, partner)
        vertices, faces = _split_fans(vertices, faces, fan, np.flatnonzero(fan == np.arange(3 * len(faces))))
        partner = build_edges(faces).partners()
        orientation = orient(faces, partner, *shells(len(faces), partner))
    flip = orientation.flip
    if not flip.any():
        return vertices, faces, 0
    faces = faces.copy()
    faces[flip] = faces[flip][:, ::-1]
    return vertices, faces, int(flip.sum())


def _fix_degenerate(vertices: FloatArray, faces: IntArray) -> tuple[FloatArray, IntArray, int]:
    bad = np.flatnonzero(degenerate_faces(vertices, faces))
    if len(bad) == 0:
        return vertices, faces, 0
    tri = vertices[faces[bad]]
    edge_len = np.linalg.norm(tri[:, [1, 2, 0]] - tri, axis=2)  # edge k runs corner k -> k+1
    shortest, longest = edge_len.argmin(axis=1), edge_len.argmax(axis=1)
    needle = edge_len[np.arange(len(bad)), shortest] <= 0.01 * edge_len[np.arange(len(bad)), longest]
    fixed = 0
    if needle.any():
        f, k = bad[needle], shortest[needle]
        faces, _merged = _weld(vertices, faces, faces[f, k], faces[f, (k + 1) % 3])
        fixed += int(needle.sum())
        faces, _ = _drop_duplicates(faces)
        return vertices, faces, fixed
    # Caps: split the neighbour across the longest edge at the cap's apex.
    topo = build_edges(faces)
    partner = topo.partners()
    h = 3 * bad + longest
    other = partner[h]
    ok = other >= 0
    ok[ok] &= ~np.isin(other[ok] // 3, bad)
    f, h, other = bad[ok], h[ok], other[ok]
    _, unique_idx = np.unique(other // 3, return_index=True)
    f, h, other = f[unique_idx], h[unique_idx], other[unique_idx]
    if len(f) == 0:
        return vertices, faces, 0
    flat = faces.reshape(-1)
    apex = flat[3 * f + (h % 3 + 2) % 3]
    g, j = other // 3, other % 3
    u, v, d = flat[3 * g + j], flat[3 * g + (j + 1) % 3], flat[3 * g + (j + 2) % 3]
    faces = faces.copy()
    faces[g] = np.stack([u, apex, d], axis=1)
    faces[f] = np.stack([apex, v, d], axis=1)
    return vertices, faces, len(f)


def _fill_holes(vertices: FloatArray, faces: IntArray) -> tuple[FloatArray, IntArray, int, int]:
    h, _, _ = _boundary_half_edges(faces)
    if len(h) == 0:
        return vertices, faces, 0, 0
    loops = boundary_loops(faces, h)
    closed = [loops.vertex_ids(faces, i) for i in range(len(loops)) if loops.closed[i]]
    patch = fill_loops(vertices, closed)
    vertices = np.concatenate([vertices, patch.new_vertices])
    faces = np.concatenate([faces, patch.faces])
    return vertices, faces, patch.planar + patch.fanned, int((~loops.closed).sum())


def _open_shell_faces(faces: IntArray) -> npt.NDArray[np.bool_]:
    """Faces (m,) that belong to a shell with a boundary edge."""
    if len(faces) == 0:
        return np.zeros(0, bool)
    topo = build_edges(faces)
    count, labels = shells(len(faces), topo.partners(), topo)
    open_faces = (topo.face_count[topo.face_edges] == 1).any(axis=1)
    is_open = np.zeros(count, bool)
    is_open[labels[open_faces]] = True
    result: npt.NDArray[np.bool_] = is_open[labels]
    return result


def _drop_sheets(
    vertices: FloatArray, faces: IntArray, open_before: npt.NDArray[np.bool_]
) -> tuple[IntArray, int]:
    """Remove shells that were open before filling and enclose no volume after it."""
    if len(faces) == 0:
        return faces, 0
    was_open = np.concatenate([open_before, np.ones(len(faces) - len(open_before), bool)])
    count, labels = shells(len(faces), build_edges(faces).partners())
    tri = vertices[faces] - vertices.mean(axis=0)
    tet = signed_volume(tri)
    area = areas(tri)
    volume = np.abs(np.bincount(labels, weights=tet, minlength=count))
    shell_area = np.bincount(labels, weights=area, minlength=count)
    # A doubled sheet encloses nothing: its volume is tiny against area x (area ** 0.5).
    flat = volume <= 1e-9 * shell_area**1.5
    opened = np.zeros(count, bool)
    opened[labels[was_open]] = True
    drop = flat & opened
    if not drop.any() or drop.all():
        return faces, 0
    return faces[~drop[labels]], int(drop.sum())


def _fix_inversion(vertices: FloatArray, faces: IntArray) -> tuple[IntArray, int]:
    if len(faces) == 0:
        return faces, 0
    topo = build_edges(faces)
    partner = topo.partners()
    count, labels = shells(len(faces), partner)
    open_faces = (topo.face_count[topo.face_edges] != 2).any(axis=1)
    closed = np.ones(count, bool)
    closed[labels[open_faces]] = False
    conflicts = orient(faces, partner, count, labels)
    flat = faces.reshape(-1)
    h = np.flatnonzero(partner >= 0)
    inconsistent = h[flat[h] == flat[partner[h]]]
    consistent = np.ones(count, bool)
    consistent[labels[inconsistent // 3]] = False
    consistent[conflicts.unorientable_shells] = False
    signs = shell_signs(vertices, faces, labels, count, closed & consistent)
    flip = signs[labels] < 0
    if not flip.any():
        return faces, 0
    faces = faces.copy()
    faces[flip] = faces[flip][:, ::-1]
    return faces, int((signs < 0).sum())


def _unite_shells(
    vertices: FloatArray, faces: IntArray, tally: _Tally, name: str
) -> tuple[FloatArray, IntArray, int]:
    import manifold3d

    count, labels = shells(len(faces), build_edges(faces).partners())
    if count < 2:
        return vertices, faces, 0
    try:
        solids = []
        for s in range(count):
            sub_v, sub_f = _compact(vertices, faces[labels == s])
            mesh = manifold3d.Mesh(
                vert_properties=sub_v.astype(np.float32), tri_verts=sub_f.astype(np.uint32)
            )
            solid = manifold3d.Manifold(mesh)
            if solid.status() != manifold3d.Error.NoError:
                raise ValueError(str(solid.status()))
            solids.append(solid)
        union = manifold3d.Manifold.batch_boolean(solids, manifold3d.OpType.Add)
        out = union.to_mesh()
    except (ValueError, RuntimeError) as exc:
        tally.notes.append(f"{name}: shells not united ({exc})")
        return vertices, faces, 0
    new_v = np.asarray(out.vert_properties, dtype=np.float64)[:, :3]
    new_f = np.asarray(out.tri_verts, dtype=np.int64)
    return new_v, new_f, count


def _decimate(
    vertices: FloatArray, faces: IntArray, budget: int, tally: _Tally, name: str
) -> tuple[FloatArray, IntArray, int]:
    import fast_simplification

    volume = _volume(vertices, faces)
    target = budget
    for _attempt in range(6):
        reduction = 1.0 - target / len(faces)
        new_v, new_f = fast_simplification.simplify(
            vertices.astype(np.float32), faces.astype(np.int32), target_reduction=reduction
        )
        new_v = np.asarray(new_v, np.float64)
        new_f = np.asarray(new_f, np.int64)
        change = abs(_volume(new_v, new_f) - volume) / max(abs(volume), TINY)
        if change <= _VOLUME_KEEP:
            if target != budget:
                tally.notes.append(
                    f"{name}: decimated to {len(new_f)} triangles, not {budget}, to keep volume"
                )
            return new_v, new_f, len(faces) - len(new_f)
        target = int(target + (len(faces) - target) / 2)
    tally.notes.append(f"{name}: not decimated: volume would change by more than 1 %")
    return vertices, faces, 0


def _volume(vertices: FloatArray, faces: IntArray) -> float:
    return float(signed_volume(vertices[faces] - vertices.mean(axis=0)).sum())
