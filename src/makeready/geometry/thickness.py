"""``measure(part)``: local wall thickness and gaps, robust extremes, and the thin places.

Method
------
Points are sampled on the surface: one at every face centroid, plus a regular subdivision of
faces much larger than the average so coarse CAD meshes are resolved (or ``samples`` points
spread by area over a very large mesh). From each point ``p`` on a face with outward unit
normal ``n``:

* **Thickness** is the diameter of the largest ball that touches the surface at ``p`` from the
  inside, estimated with rays. A ray along ``m = -n`` finds the opposite wall at ``q`` (the
  first surface where the ray leaves the material; with overlapping shells, where it leaves
  all of them). Any surface point ``q`` bounds the ball radius by the chord rule
  ``r <= |q - p|² / (2 m·(q - p))``; on the normal ray that is half the ray length. Where the
  opposite wall is not parallel (a wedge, a taper), the ball tangent at ``p`` and to the plane
  of the wall at ``q`` (radius ``(q - p)·n_q / (1 + m·n_q)``) predicts the contact point; a ray
  is cast towards it and its hit tightens the bound. Two such steps are exact for planar walls.
* **Gap** is the distance along ``+n`` to the next wall of the same part the ray enters. Hits
  on faces that share a vertex with the sample's face (the other side of a concave corner) stop
  the ray with no gap; hits at grazing angles (more than 80° from the wall's normal) are
  skipped and the ray continues.

Limits: the ball is only checked along the cast rays, so a feature that pokes into it from the
side (for instance the rim of a plate, seen from a point on the plate's edge face) is missed and
the value there is the distance across; corners of sharp convex edges therefore read "thick" on
the edge faces and correctly thin on the faces meeting at the edge. Rays that leave through a
hole of an open mesh give no value, and the report is marked low-confidence.

Robust extremes: ``t_min`` (and ``gap_min``) is the smallest value ``v`` such that the sample
points measuring ``v`` or less cover at least the area of a disc of diameter ``v`` and number at
least three: one bad ray cannot define it.

Regions: the faces measuring below the limit are joined into connected regions (across the
wall their rays crossed), and each region is classified by what a process would have to build
there. Its thin direction is the principal direction of the rays that measured it; across that
direction the region reaches ``extents[0]`` and ``extents[1]`` (for a wall: its length and
its height). A **wall** reaches at least ``detail_below`` (default twice the limit) both ways and
must be built as such; a **fine detail** reaches less than that in one of them (the ridges
between engraved letters are as tall as the engraving is deep, an embossed line, the lip of a
fillet, a tip) or covers less than a ``detail_below``-wide disc, or is thin from one side only
(its faces span less than half its thickness along the rays: the lip of a chamfer or a fillet
edge, whose other side is not thin) — it prints as well as the process resolves it and does
not make the part infeasible; a **defect** measures below ``defect_below`` (20 µm,
thinner than any process builds: coincident or overlapping surfaces, sliver triangles).
``t_min`` and ``gap_min`` come from the walls (and the unflagged surface) only, so they always
equal the value of the first wall region when there is one; every region's value is the robust
minimum of its own samples. ``t_max`` is the diameter of the largest ball that
fits inside the part: each sample's ball centre is checked with 26 rays for the nearest surface
around it (so the plate edge that reads as the plate's width is cut to what fits), and the third
largest fitted ball, within 2 %, is reported.
"""

from __future__ import annotations

import dataclasses
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from makeready.geometry.mesh import Part
from makeready.geometry.prepared import PreparedPart
from makeready.geometry.rays import Engine, RayCaster, cast_until, not_on, ray_caster, skip_distance
from makeready.geometry.tolerance import FLOAT_RELATIVE, PARALLEL_COS, below_limit, invariant
from makeready.geometry.topology import build_edges
from makeready.geometry.triangles import (
    SurfaceSamples,
    closest_points,
    crosses,
    sample_surface,
    stack_bodies,
)
from makeready.geometry.types import BoolArray, FloatArray, IntArray
from makeready.geometry.vocabulary import DEFAULT_NARROW_BELOW, DEFAULT_THIN_BELOW

__all__ = [
    "DEFAULT_NARROW_BELOW",
    "DEFAULT_THIN_BELOW",
    "BodyThickness",
    "Region",
    "ThicknessReport",
    "measure",
    "supported_extreme",
]


MIN_DEFAULT_SAMPLES = 20_000  # coarse meshes are subdivided up to about this many points
MAX_DEFAULT_SAMPLES = 2_000_000  # larger meshes are sampled by area instead of per face
GRAZING_COS = float(np.cos(np.radians(80.0)))
_REFINE_STEPS = 3
_REFINE_TOLERANCE = 1e-3  # relative change below which the ball estimate counts as settled
_REACH_SLACK = 1e-6  # a ray cast to exactly the reach must still hit a face at the reach
_MIN_POINTS = 3
_T_MAX_TOLERANCE = 0.02
#: Thinner than any process in the catalog builds (finest layers and pixels are 20-30 µm), mm:
#: coincident or overlapping surfaces, slivers — a mesh defect.
DEFECT_BELOW = 0.02
#: A thin place that reaches less than this many times the limit in its second direction is a
#: fine detail (engraving ridge, emboss, fillet lip), not a wall the process must build [E].
DETAIL_FACTOR = 2.0
#: A region whose faces lie within this share of its thickness along the rays is measured from
#: one side only (the opposite side is not thin): the lip of a chamfer or fillet, an edge.
ONE_SIDED = 0.5
_CATEGORY_ORDER = {"wall": 0, "fine_detail": 1, "defect": 2}


@dataclass(frozen=True, slots=True)
class Region:
    """A connected place where the walls are too thin or the gaps too narrow.

    Attributes
    ----------
    kind : {"thin_wall", "narrow_gap"}
    value : float, mm
        The robust smallest thickness (or gap) of the region's samples (see the module notes).
    worst : (3,) float64, mm
        Where that smallest value was measured.
    centre : (3,) float64, mm
        Area-weighted centre of the region's faces.
    area : float, mm²
        Surface area of the region's faces.
    faces : (k, 2) int64
        ``(body index, face index)`` of every face in the region.
    category : {"wall", "fine_detail", "defect"}
        What the place is (module notes): only walls count towards ``t_min`` / ``gap_min``.
    extents : (3,) float64, mm
        How far the place reaches across its measuring rays (as a wall: length, then height),
        and along them (see :func:`feature_extents`).

    """

    kind: Literal["thin_wall", "narrow_gap"]
    value: float
    worst: FloatArray
    centre: FloatArray
    area: float
    faces: IntArray
    category: Literal["wall", "fine_detail", "defect"] = "wall"
    extents: FloatArray = field(default_factory=lambda: np.zeros(3))


@dataclass(frozen=True, slots=True)
class BodyThickness:
    """Per-face values of one body, for heat maps.

    Attributes
    ----------
    name : str
    thickness : (m,) float64, mm
        Mean over the face's sample points; NaN where no ray found the opposite wall.
    gap : (m,) float64, mm
        Mean over the face's sample points; NaN where the outward ray meets nothing.

    """

    name: str
    thickness: FloatArray
    gap: FloatArray


@dataclass(frozen=True, slots=True)
class ThicknessReport:
    """Wall thickness and gaps of a part.

    Attributes
    ----------
    t_min, t_max : float or None, mm
        Robust thinnest and thickest wall (see the module notes); None when nothing was measured.
    gap_min : float or None, mm
        Robust narrowest gap; None when no outward ray meets the part again (no gaps).
    bodies : tuple of BodyThickness
        Per-face values, one entry per body of the part.
    thin_walls, narrow_gaps : tuple of Region
        Connected places below ``thin_below`` / ``narrow_below`` (beyond the limit tolerance of
        :mod:`makeready.geometry.tolerance`): walls first, then fine details, then defects, worst
        first within each, at most ``max_regions`` of each.
    thin_below, narrow_below : float, mm
        Thresholds used for the regions.
    thin_total, narrow_total : int
        Regions found before the cap.
    samples : int
        Sample points measured.
    measured : float
        Share of the sampled area that has a thickness value (1.0 for a closed part).
    confidence : {"high", "low"}
        Low when more than 1 % of the area could not be measured (open mesh, inverted or
        intersecting shells).
    engine : str
        Ray engine used ("embree" or "numpy").
    notes : tuple of str

    """

    t_min: float | None
    t_max: float | None
    gap_min: float | None
    bodies: tuple[BodyThickness, ...]
    thin_walls: tuple[Region, ...]
    narrow_gaps: tuple[Region, ...]
    thin_below: float
    narrow_below: float
    thin_total: int
    narrow_total: int
    samples: int
    measured: float
    confidence: Literal["high", "low"]
    engine: str
    notes: tuple[str, ...] = field(default=())


def measure(
    part: Part | PreparedPart,
    *,
    samples: int | None = None,
    thin_below: float = DEFAULT_THIN_BELOW,
    narrow_below: float = DEFAULT_NARROW_BELOW,
    detail_below: float | None = None,
    defect_below: float = DEFECT_BELOW,
    max_regions: int = 100,
    engine: Engine = "auto",
) -> ThicknessReport:
    """Measure local wall thickness and gaps over the whole surface of ``part``.

    Parameters
    ----------
    part : Part or PreparedPart
        All bodies are measured together: a ray from one body can meet another (overlapping
        bodies count as one solid; a gap between bodies is a gap). Prepared: its ray engine is
        reused.
    samples : int, optional
        Number of sample points spread by area. Default: every face centroid, with large faces
        subdivided up to about 20,000 points in all; meshes above 2 M faces get 2 M points.
    thin_below, narrow_below : float, mm
        Thresholds for the located thin-wall and narrow-gap regions.
    detail_below : float, mm, optional
        A region reaching less than this in its second direction is a fine detail; default
        ``DETAIL_FACTOR`` × the region's limit (wider of the limit and the process's smallest
        feature is the caller's choice).
    defect_below : float, mm
        Regions thinner than this are mesh defects.
    max_regions : int
        Cap on each list of regions.
    engine : {"auto", "embree", "numpy"}
        Ray engine of an unprepared part; "auto" uses Embree when ``embreex`` is installed.

    Returns
    -------
    ThicknessReport

    Raises
    ------
    ValueError
        ``samples``, thresholds or ``max_regions`` out of range.

    """
    if samples is not None and samples < 1:
        raise ValueError("samples must be at least 1")
    if not (thin_below > 0 and narrow_below > 0) or max_regions < 0:
        raise ValueError("thresholds must be positive and max_regions non-negative")
    prep = part if isinstance(part, PreparedPart) else None
    if isinstance(part, PreparedPart):
        vertices, faces, body_of = part.vertices, part.faces, part.body_of
        part = part.part
    else:
        vertices, faces, body_of = stack_bodies(part)
    m = len(faces)
    notes: list[str] = []
    tri = vertices[faces]
    cross = crosses(tri)
    double_area = np.linalg.norm(cross, axis=1)
    normal = cross / np.where(double_area > 0, double_area, 1.0)[:, None]
    area = double_area / 2.0
    # The ray engine's acceleration structure builds (largely outside the GIL) while the
    # sample points are placed.
    with ThreadPoolExecutor(1) as pool:
        building = pool.submit(
            lambda: prep.caster if prep is not None else ray_caster(vertices, faces, engine, normal)
        )
        every_face = samples is None and m <= MAX_DEFAULT_SAMPLES
        budget = (
            samples
            if samples is not None
            else (max(MIN_DEFAULT_SAMPLES, m) if every_face else MAX_DEFAULT_SAMPLES)
        )
        pts = sample_surface(tri, area, budget, every_face=every_face)
        caster = building.result()
    if caster.engine != "embree":
        notes.append("Embree (embreex) is not installed: rays were cast with the slower numpy grid engine")
    start = skip_distance(vertices)
    thickness, hit_face = _thickness(caster, pts, normal, start)
    gap, gap_face, blocked_back = _gap(caster, pts, faces, normal, start)

    weight = pts.weight
    sampled_area = float(weight.sum())
    measured = float(weight[np.isfinite(thickness)].sum() / sampled_area) if sampled_area > 0 else 0.0
    confidence: Literal["high", "low"] = "high"
    if m == 0 or measured < 0.99:
        confidence = "low"
    if m and measured < 1.0:
        notes.append(
            f"{100 * (1 - measured):.2g} % of the surface has no thickness value: the inward ray "
            "left the part (open mesh, or inverted / intersecting shells)"
        )
    back = float(weight[blocked_back].sum() / sampled_area) if sampled_area > 0 else 0.0
    if back > 0.01:
        confidence = "low"
        notes.append(
            f"{100 * back:.2g} % of the outward rays hit the inside of a wall "
            "(inverted or intersecting shells)"
        )

    t_max = _largest_ball(caster, thickness, pts, tri, -normal[pts.face])

    centroid = tri.mean(axis=1)
    face_thickness = _per_face(pts, thickness, m, centroid)
    face_gap = _per_face(pts, gap, m, centroid)
    offsets = np.concatenate([[0], np.cumsum([b.triangle_count for b in part.bodies])])
    bodies = tuple(
        BodyThickness(
            b.name, face_thickness[offsets[i] : offsets[i + 1]], face_gap[offsets[i] : offsets[i + 1]]
        )
        for i, b in enumerate(part.bodies)
    )
    mesh = _Mesh(pts, tri, normal, faces, area, centroid, body_of, offsets)
    thin_detail = detail_below if detail_below is not None else DETAIL_FACTOR * thin_below
    narrow_detail = detail_below if detail_below is not None else DETAIL_FACTOR * narrow_below
    thin, t_min = _classified("thin_wall", thickness, hit_face, thin_below, thin_detail, defect_below, mesh)
    narrow, gap_min = _classified(
        "narrow_gap", gap, gap_face, narrow_below, narrow_detail, defect_below, mesh
    )
    # A ball inside the part fits in its bounding box (the estimate is a lower bound of the
    # largest ball, so it may fall below the thinnest ray-measured wall, not above the box).
    invariant(
        lambda: t_max is None or t_max <= float(np.ptp(vertices, axis=0).min()) * (1 + FLOAT_RELATIVE),
        f"the largest ball's diameter {t_max} mm fits in the part's bounding box",
    )
    return ThicknessReport(
        t_min=t_min,
        t_max=t_max,
        gap_min=gap_min,
        bodies=bodies,
        thin_walls=tuple(thin[:max_regions]),
        narrow_gaps=tuple(narrow[:max_regions]),
        thin_below=float(thin_below),
        narrow_below=float(narrow_below),
        thin_total=len(thin),
        narrow_total=len(narrow),
        samples=len(pts.face),
        measured=measured,
        confidence=confidence,
        engine=caster.engine,
        notes=tuple(notes),
    )


def _thickness(
    caster: RayCaster, pts: SurfaceSamples, normal: FloatArray, start: float
) -> tuple[FloatArray, IntArray]:
    """Inscribed-ball diameter at each sample point; NaN where the inward ray escaped."""
    k = len(pts.face)
    inward = -normal[pts.face]
    depth = np.ones(k, np.int64)

    def leaves_material(rays: IntArray, hit: IntArray, _t: FloatArray) -> BoolArray:
        # Count shells entered and left so overlapping shells measure as one solid.
        slope = np.einsum("ij,ij->i", normal[hit], inward[rays])
        own = hit == pts.face[rays]
        exits = (slope > PARALLEL_COS) & ~own
        enters = (slope < -PARALLEL_COS) & ~own
        depth[rays[enters]] += 1
        depth[rays[exits]] -= 1
        result: BoolArray = exits & (depth[rays] <= 0)
        return result

    hits = cast_until(caster, pts.points, inward, leaves_material, start=start, rounds=8)
    found = hits.face >= 0
    radius = np.where(found, hits.distance / 2.0, np.nan)
    # Tangent-plane refinement where the opposite wall is not parallel.
    plane_face = hits.face.copy()
    plane_point = pts.points + np.where(found, hits.distance, 0.0)[:, None] * inward
    live = np.flatnonzero(found)
    for _ in range(_REFINE_STEPS):
        if not len(live):
            break
        p, m_dir = pts.points[live], inward[live]
        n_q = normal[plane_face[live]]
        along = np.einsum("ij,ij->i", plane_point[live] - p, n_q)
        denom = 1.0 + np.einsum("ij,ij->i", m_dir, n_q)
        with np.errstate(divide="ignore", invalid="ignore"):
            r_plane = along / denom
        r_now = radius[live]
        shrink = (denom > 1e-6) & (r_plane > 0) & (r_plane < r_now * (1 - _REFINE_TOLERANCE))
        live = live[shrink]
        if not len(live):
            break
        p, m_dir, r_plane = p[shrink], m_dir[shrink], r_plane[shrink]
        contact = p + r_plane[:, None] * (m_dir + n_q[shrink])
        reach = np.linalg.norm(contact - p, axis=1)
        direction = (contact - p) / reach[:, None]
        probe = cast_until(
            caster,
            p,
            direction,
            not_on(pts.face[live]),
            start=start,
            rounds=2,
            max_distance=reach * (1 + _REACH_SLACK) + 2 * start,
        )
        got = probe.face >= 0
        cos = np.einsum("ij,ij->i", direction, m_dir)
        bound = probe.distance / (2.0 * cos)
        better = got & (bound < r_now[shrink])
        idx = live[better]
        radius[idx] = bound[better]
        plane_face[idx] = probe.face[better]
        plane_point[idx] = p[better] + probe.distance[better][:, None] * direction[better]
        live = idx
    return 2.0 * radius, np.where(found, hits.face, -1)


def _gap(
    caster: RayCaster, pts: SurfaceSamples, faces: IntArray, normal: FloatArray, start: float
) -> tuple[FloatArray, IntArray, BoolArray]:
    """Clearance along the outward normal; also which rays met the inside of a wall first."""
    k = len(pts.face)
    outward = normal[pts.face]
    own_corners = faces[pts.face]
    blocked = np.zeros(k, bool)

    def next_wall(rays: IntArray, hit: IntArray, _t: FloatArray) -> BoolArray:
        slope = np.einsum("ij,ij->i", normal[hit], outward[rays])
        corners = faces[hit]
        mine = own_corners[rays]
        neighbour = (corners[:, :, None] == mine[:, None, :]).any(axis=(1, 2))
        grazing = np.abs(slope) < GRAZING_COS
        # Entering a neighbour means the ray went into the far side of a concave corner: no gap.
        stop: BoolArray = ~grazing & ((slope < 0) | ~neighbour)
        blocked[rays[stop & (slope > 0)]] = True
        blocked[rays[stop & neighbour]] = True
        return stop

    hits = cast_until(caster, pts.points, outward, next_wall, start=start, rounds=8)
    valid = (hits.face >= 0) & ~blocked
    gap = np.where(valid, hits.distance, np.nan)
    # Only a ray that meets the back of a wall it does not share a vertex with hints at a bad mesh.
    back = np.zeros(k, bool)
    hit = hits.face >= 0
    if hit.any():
        idx = np.flatnonzero(hit)
        slope = np.einsum("ij,ij->i", normal[hits.face[idx]], outward[idx])
        back[idx] = slope > 0
    return gap, np.where(valid, hits.face, -1), back


def _largest_ball(
    caster: RayCaster, values: FloatArray, pts: SurfaceSamples, tri: FloatArray, inward: FloatArray
) -> float | None:
    """Diameter of the largest ball inside the part, robustly (the third largest candidate).

    Every sample's ball (centre ``c = p + r m``, ``r`` = half its thickness) is a candidate.
    Rays from ``c`` in 26 directions find the faces around it; the nearest point of those faces
    bounds the radius of the ball that really fits at ``c``. This drops balls that a ray saw
    only one way and that poke out sideways (the rim of a plate seen edge-on reads as the
    plate's width). Candidates are checked from the largest value down, in growing batches,
    until the unchecked ones could not raise the answer by more than 2 % (faceted curved walls
    sit about 1 % inside the ray estimate, so a tighter stop would check every sample).
    """
    finite = np.flatnonzero(np.isfinite(values))
    if not len(finite):
        return None
    fitted = np.zeros(0)
    batch = 4096
    done = 0
    order = finite[_smallest(-values[finite], min(len(finite), 4 * batch))]
    while True:
        if done + batch > len(order) and len(order) < len(finite):
            order = finite[_smallest(-values[finite], min(len(finite), 4 * (done + batch)))]
        new = order[done : done + batch]
        done += len(new)
        radius = values[new] / 2.0
        centre = pts.points[new] + radius[:, None] * inward[new]
        fitted = np.concatenate([fitted, 2.0 * _fitting_radius(caster, tri, centre, radius)])
        best = float(np.sort(fitted)[-min(_MIN_POINTS, len(fitted))])
        if done == len(finite) or best >= float(values[order[done]]) * (1 - _T_MAX_TOLERANCE):
            return best
        batch *= 2


def _fitting_radius(caster: RayCaster, tri: FloatArray, centre: FloatArray, radius: FloatArray) -> FloatArray:
    """Radius of the ball that fits at each centre, at most ``radius`` (mm); see ``_largest_ball``."""
    k = len(centre)
    n_dir = len(_PROBES)
    origins = np.repeat(centre, n_dir, axis=0)
    hits = caster.cast(origins, np.tile(_PROBES, (k, 1)), np.repeat(radius * (1 + FLOAT_RELATIVE), n_dir))
    got = np.flatnonzero(hits.face >= 0)
    dist = np.full(k * n_dir, np.inf)
    dist[got] = np.linalg.norm(closest_points(tri[hits.face[got]], origins[got]) - origins[got], axis=1)
    result: FloatArray = np.minimum(radius, dist.reshape(k, n_dir).min(axis=1))
    return result


def _probe_directions() -> FloatArray:
    """The 26 unit directions to the neighbours of a cell in a 3 x 3 x 3 block."""
    grid = np.stack(np.meshgrid([-1, 0, 1], [-1, 0, 1], [-1, 0, 1], indexing="ij"), -1).reshape(-1, 3)
    grid = grid[np.abs(grid).sum(axis=1) > 0].astype(np.float64)
    result: FloatArray = grid / np.linalg.norm(grid, axis=1)[:, None]
    return result


_PROBES = _probe_directions()


def supported_extreme(values: FloatArray, weight: FloatArray, end: Literal["min", "max"]) -> float | None:
    """Robust minimum or maximum of sampled values (see the module notes).

    Parameters
    ----------
    values : (s,) float64, mm
        NaN entries are ignored.
    weight : (s,) float64, mm²
        Surface area each sample stands for.
    end : {"min", "max"}
        Which end of the distribution.

    Returns
    -------
    float or None
        None when no sample has a value.

    """
    ok = np.isfinite(values)
    v_all, w_all = values[ok], weight[ok]
    if not len(v_all):
        return None
    key_all = v_all if end == "min" else -v_all
    n = len(key_all)
    k = min(n, max(4096, n // 100))
    while True:  # usually settled within the first percent; sort more only when it is not
        order = _smallest(key_all, k)
        key, v, w = key_all[order], v_all[order], w_all[order]
        # Ties share one cumulative area: a value counts with all samples equal to it.
        last_of_value = np.searchsorted(key, key, side="right") - 1
        cover = np.cumsum(w)[last_of_value]
        enough = (cover >= np.pi * v**2 / 4.0) & (last_of_value + 1 >= min(_MIN_POINTS, n))
        if enough.any():
            first = int(np.argmax(enough))
            if k == n or key[first] < key[-1]:  # a tie at the cut could hide more support
                return float(v[first])
        elif k == n:
            return float(v[-1])
        k = min(n, 8 * k)


def _smallest(key: FloatArray, k: int) -> IntArray:
    """Indices of the ``k`` smallest keys, sorted (stable); all of them when ``k`` is the length."""
    if k >= len(key):
        result: IntArray = np.argsort(key, kind="stable")
        return result
    part = np.argpartition(key, k - 1)[:k]
    part.sort()  # keep equal keys in index order, as a stable sort would
    out: IntArray = part[np.argsort(key[part], kind="stable")]
    return out


def _per_face(pts: SurfaceSamples, values: FloatArray, m: int, centroid: FloatArray) -> FloatArray:
    """Mean of each face's samples (equal areas); faces without samples take the nearest sample's value."""
    out = np.full(m, np.nan)
    if not len(pts.face):
        return out
    starts = np.flatnonzero(np.r_[True, pts.face[1:] != pts.face[:-1]])
    owner = pts.face[starts]
    counts = np.diff(np.append(starts, len(pts.face)))
    single = counts == 1
    out[owner[single]] = values[starts[single]]
    for c in np.unique(counts[~single]):
        group = counts == c
        rows = starts[group][:, None] + np.arange(c)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN faces stay NaN
            out[owner[group]] = np.nanmean(values[rows], axis=1)
    missing = np.ones(m, bool)
    missing[owner] = False
    if missing.any():
        _, nearest = cKDTree(pts.points).query(centroid[missing])
        out[missing] = values[nearest]
    return out


def _edge_neighbours(faces: IntArray) -> tuple[IntArray, IntArray]:
    """Pairs of faces (indices into ``faces``) that share an edge."""
    topo = build_edges(faces)
    run_len = topo.face_count[topo.face_count >= 2] - 1
    run_first = topo.first[topo.face_count >= 2]
    pos = np.repeat(run_first, run_len) + (
        np.arange(int(run_len.sum())) - np.repeat(np.cumsum(run_len) - run_len, run_len)
    )
    return topo.order[pos] // 3, topo.order[pos + 1] // 3


@dataclass(frozen=True, slots=True)
class _Mesh:
    """The sampled mesh the region search needs."""

    pts: SurfaceSamples
    tri: FloatArray
    normal: FloatArray
    faces: IntArray
    area: FloatArray
    centroid: FloatArray
    body_of: IntArray
    offsets: IntArray


def _classified(
    kind: Literal["thin_wall", "narrow_gap"],
    values: FloatArray,
    hit_face: IntArray,
    below: float,
    detail_below: float,
    defect_below: float,
    mesh: _Mesh,
) -> tuple[list[Region], float | None]:
    """Regions below ``below``, classified (module notes), and the robust minimum over walls."""
    weight = mesh.pts.weight
    found = _regions(kind, values, hit_face, below, mesh)
    if not found:
        return [], supported_extreme(values, weight, "min")
    regions: list[Region] = []
    outside = values.copy()  # samples of fine details and defects do not count
    for region, samples in found:
        value = supported_extreme(values[samples], weight[samples], "min")
        robust = float(value) if value is not None else region.value
        category: Literal["wall", "fine_detail", "defect"] = "wall"
        if robust < defect_below:
            category = "defect"
        elif (
            region.extents[1] < detail_below
            or region.area < np.pi * detail_below**2 / 4.0
            or region.extents[2] < ONE_SIDED * robust
        ):
            category = "fine_detail"
        if category != "wall":
            outside[samples] = np.nan
        regions.append(dataclasses.replace(region, value=robust, category=category))
    regions.sort(key=lambda r: (_CATEGORY_ORDER[r.category], r.value))
    walls = [r.value for r in regions if r.category == "wall"]
    extreme = min(walls) if walls else supported_extreme(outside, weight, "min")
    return regions, extreme


def _regions(
    kind: Literal["thin_wall", "narrow_gap"],
    values: FloatArray,
    hit_face: IntArray,
    below: float,
    mesh: _Mesh,
) -> list[tuple[Region, IntArray]]:
    """Connected faces with a sample below ``below``, joined across the wall their rays crossed.

    Returns each region (its ``value`` the raw minimum, ``extents`` from its faces' corners)
    with the indices of its low samples.
    """
    pts, faces, area, centroid, body_of, offsets = (
        mesh.pts, mesh.faces, mesh.area, mesh.centroid, mesh.body_of, mesh.offsets,
    )  # fmt: skip
    low = np.isfinite(values) & (values < below_limit(below))
    if not low.any():
        return []
    m = len(faces)
    face_value = np.full(m, np.inf)
    np.minimum.at(face_value, pts.face[low], values[low])
    flagged = np.flatnonzero(np.isfinite(face_value))
    local = np.full(m, -1, np.int64)
    local[flagged] = np.arange(len(flagged))
    rows, cols = _edge_neighbours(faces[flagged])
    across_src = local[pts.face[low]]
    across_dst = np.where(hit_face[low] >= 0, local[np.maximum(hit_face[low], 0)], -1)
    keep = across_dst >= 0
    rows = np.concatenate([rows, across_src[keep]])
    cols = np.concatenate([cols, across_dst[keep]])
    k = len(flagged)
    graph = coo_matrix((np.ones(len(rows), np.int8), (rows, cols)), shape=(k, k)).tocsr()
    count, label = connected_components(graph, directed=False)
    region_value = np.full(count, np.inf)
    np.minimum.at(region_value, label, face_value[flagged])
    low_idx = np.flatnonzero(low)
    worst_sample = np.full(count, -1, np.int64)
    sample_label = label[local[pts.face[low_idx]]]
    order = np.lexsort((values[low_idx], sample_label))
    first = np.flatnonzero(np.r_[True, sample_label[order][1:] != sample_label[order][:-1]])
    worst_sample[sample_label[order][first]] = low_idx[order][first]
    sample_bounds = np.searchsorted(sample_label[order], np.arange(count + 1))
    face_area = area[flagged]
    region_area = np.bincount(label, weights=face_area, minlength=count)
    centre = (
        np.stack(
            [np.bincount(label, weights=face_area * centroid[flagged, i], minlength=count) for i in range(3)],
            axis=1,
        )
        / np.where(region_area > 0, region_area, 1.0)[:, None]
    )
    extents = feature_extents(
        mesh.tri[flagged].reshape(-1, 3),
        np.repeat(label, 3),
        -mesh.normal[pts.face[low_idx]],
        pts.weight[low_idx],
        sample_label,
        count,
    )
    by_label = np.argsort(label, kind="stable")
    bounds = np.searchsorted(label[by_label], np.arange(count + 1))
    regions = []
    for r in range(count):
        members = flagged[by_label[bounds[r] : bounds[r + 1]]]
        body = body_of[members]
        region = Region(
            kind=kind,
            value=float(region_value[r]),
            worst=pts.points[worst_sample[r]].copy(),
            centre=centre[r].copy(),
            area=float(region_area[r]),
            faces=np.stack([body, members - offsets[body]], axis=1),
            extents=extents[r].copy(),
        )
        regions.append((region, low_idx[order[sample_bounds[r] : sample_bounds[r + 1]]]))
    return regions


def feature_extents(
    points: FloatArray,
    point_label: IntArray,
    directions: FloatArray,
    direction_weight: FloatArray,
    direction_label: IntArray,
    count: int,
) -> FloatArray:
    """How far each thin place reaches across its measuring rays, and along them (mm).

    The thin direction of a set is the principal direction of its rays (the eigenvector of
    ``Σ w d dᵀ`` with the largest eigenvalue); the set's points are measured along the other two
    eigenvectors (the place's extent as a wall: its length and its height) and along the thin
    direction.

    Parameters
    ----------
    points : (n, 3) float64, mm
        The points of every set (e.g. the corners of its faces).
    point_label : (n,) int64
        Set of each point, ``0 <= label < count``.
    directions : (k, 3) float64
        Unit directions of the rays that measured each set.
    direction_weight : (k,) float64
        Weight of each ray (the area its sample stands for).
    direction_label : (k,) int64
        Set of each ray.
    count : int
        Number of sets.

    Returns
    -------
    (count, 3) float64, mm
        Extents across the rays (larger, smaller), then along them.

    """
    moments = np.empty((count, 3, 3))
    for i in range(3):
        for j in range(i, 3):
            moments[:, i, j] = moments[:, j, i] = np.bincount(
                direction_label, direction_weight * directions[:, i] * directions[:, j], count
            )
    _, axes = np.linalg.eigh(moments)  # columns by ascending eigenvalue: the last is the thin direction
    along = np.einsum("ni,nij->nj", points, axes[point_label])
    low = np.full((count, 3), np.inf)
    high = np.full((count, 3), -np.inf)
    np.minimum.at(low, point_label, along)
    np.maximum.at(high, point_label, along)
    span = np.where(high >= low, high - low, 0.0)
    across = np.sort(span[:, :2], axis=1)[:, ::-1]
    result: FloatArray = np.concatenate([across, span[:, 2:]], axis=1)
    return result
