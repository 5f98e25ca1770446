"""First-hit ray casting against a triangle mesh: Embree when installed, a numpy grid otherwise.

Both engines answer the same question for a batch of rays: which triangle does each ray hit
first, and at what distance. Callers that must skip some hits (the triangle a ray starts on,
neighbours, grazing hits) cast again from just beyond them with :func:`cast_until`.

* :class:`EmbreeCaster` builds an Embree BVH (``embreex``) over the mesh and traces the rays on
  two threads (the binding releases the GIL). Embree works in float32, so the mesh is moved to
  its bounding-box centre first and every hit distance is recomputed in float64 from the plane
  of the triangle that was hit.
* :class:`GridCaster` is the fallback when ``embreex`` is missing: a uniform grid of triangle
  lists, traversed by all rays in lock step. Empty space is crossed in one jump per step using
  the chessboard distance from each empty cell to the nearest occupied one (scipy), and each
  occupied cell's triangles are tested with a vectorised Möller–Trumbore test in float64. It is
  several times slower than Embree but uses bounded memory and stays usable at a million
  triangles, unlike trimesh's pure-numpy engine.

Choosing an engine is never silent: :func:`ray_caster` reports which one it built, and callers
put it into their results.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, Protocol

import numpy as np
from scipy import ndimage

from makeready.geometry.tolerance import TINY
from makeready.geometry.triangles import unit_normals
from makeready.geometry.types import BoolArray, FloatArray, IntArray

__all__ = [
    "EMBREE_AVAILABLE",
    "EmbreeCaster",
    "GridCaster",
    "Hits",
    "RayCaster",
    "TurnedCaster",
    "cast_until",
    "not_on",
    "ray_caster",
    "skip_distance",
]


EMBREE_AVAILABLE = importlib.util.find_spec("embreex") is not None

Engine = Literal["auto", "embree", "numpy"]


class Hits:
    """First hits of a batch of rays.

    Attributes
    ----------
    distance : (k,) float64, mm
        Distance from each ray's origin to its hit along the unit direction; ``inf`` on a miss.
    face : (k,) int64
        Index of the triangle hit; ``-1`` on a miss.

    """

    __slots__ = ("distance", "face")

    def __init__(self, distance: FloatArray, face: IntArray) -> None:
        self.distance = distance
        self.face = face


class RayCaster(Protocol):
    """What the thickness, gap and support code needs from a ray engine."""

    engine: str

    def cast(
        self, origins: FloatArray, directions: FloatArray, max_distance: FloatArray | None = None
    ) -> Hits:
        """First hit of each ray.

        Parameters
        ----------
        origins : (k, 3) float64, mm
            Where the rays start.
        directions : (k, 3) float64
            Unit directions.
        max_distance : (k,) float64, mm, optional
            Hits farther than this are ignored.

        """
        ...


def ray_caster(
    vertices: FloatArray, faces: IntArray, engine: Engine = "auto", normals: FloatArray | None = None
) -> RayCaster:
    """Build a ray engine over a triangle mesh.

    Parameters
    ----------
    vertices : (n, 3) float64, mm
        Positions.
    faces : (m, 3) int64
        Triangles as vertex indices.
    engine : {"auto", "embree", "numpy"}
        ``"auto"`` takes Embree when ``embreex`` is installed and the numpy grid otherwise.
    normals : (m, 3) float64, optional
        Unit face normals, when the caller has them already.

    Raises
    ------
    RuntimeError
        ``engine="embree"`` was asked for and ``embreex`` is not installed.

    """
    if engine == "embree" or (engine == "auto" and EMBREE_AVAILABLE):
        if not EMBREE_AVAILABLE:
            raise RuntimeError("the Embree ray engine needs the 'embreex' package")
        return EmbreeCaster(vertices, faces, normals)
    return GridCaster(vertices, faces, normals)


class _Planes:
    """Triangle planes in float64, to turn a hit triangle into an exact distance."""

    def __init__(self, vertices: FloatArray, faces: IntArray, normals: FloatArray | None) -> None:
        if normals is None:
            normals = unit_normals(vertices, faces)
        self.normal: FloatArray = normals
        self.offset: FloatArray = np.einsum("ij,ij->i", normals, vertices[faces[:, 0]])

    def distance(
        self, origins: FloatArray, directions: FloatArray, face: IntArray, rough: FloatArray
    ) -> FloatArray:
        """Distance to the hit triangle's plane, or ``rough`` where the ray grazes the plane."""
        n = self.normal[face]
        slope = np.einsum("ij,ij->i", n, directions)
        with np.errstate(divide="ignore", invalid="ignore"):
            exact = (self.offset[face] - np.einsum("ij,ij->i", n, origins)) / slope
        good = (np.abs(slope) > 0.05) & np.isfinite(exact)
        result: FloatArray = np.where(good, exact, rough)
        return result


class EmbreeCaster:
    """Embree BVH over a mesh; see the module notes.

    Parameters
    ----------
    vertices : (n, 3) float64, mm
    faces : (m, 3) int64
    normals : (m, 3) float64, optional
        Unit face normals, when the caller has them already.

    """

    engine = "embree"
    _THREADS = 2
    _CHUNK = 65_536  # rays per call: small enough to keep both threads busy to the end

    def __init__(self, vertices: FloatArray, faces: IntArray, normals: FloatArray | None = None) -> None:
        from embreex import mesh_construction, rtcore_scene

        lo, hi = (vertices.min(axis=0), vertices.max(axis=0)) if len(vertices) else (np.zeros(3), np.zeros(3))
        self._shift: FloatArray = (lo + hi) / 2.0
        self._planes = _Planes(vertices, faces, normals)
        self._scene: Any = rtcore_scene.EmbreeScene()
        self._mesh = mesh_construction.TriangleMesh(
            scene=self._scene,
            vertices=np.ascontiguousarray(vertices - self._shift, dtype=np.float32),
            indices=np.ascontiguousarray(faces, dtype=np.int32),
        )
        # The first query commits the scene (builds the BVH); do it once, on this thread.
        self._scene.run(np.zeros((1, 3), np.float32), np.ones((1, 3), np.float32))

    def cast(
        self, origins: FloatArray, directions: FloatArray, max_distance: FloatArray | None = None
    ) -> Hits:
        """First hit of each ray; see :class:`RayCaster`."""
        k = len(origins)
        face = np.full(k, -1, np.int64)
        rough = np.full(k, np.inf)
        if k == 0:
            return Hits(rough, face)
        org32 = np.ascontiguousarray(origins - self._shift, dtype=np.float32)
        dir32 = np.ascontiguousarray(directions, dtype=np.float32)
        far32 = None
        if max_distance is not None:
            far32 = np.ascontiguousarray(np.minimum(max_distance, 1e30), dtype=np.float32)

        def run(lo: int) -> None:
            hi = min(lo + self._CHUNK, k)
            dists = None if far32 is None else far32[lo:hi]
            out = self._scene.run(org32[lo:hi], dir32[lo:hi], dists=dists, output=1)
            prim = out["primID"].astype(np.int64)
            face[lo:hi] = prim
            rough[lo:hi] = np.where(prim >= 0, out["tfar"], np.inf)

        starts = range(0, k, self._CHUNK)
        if k > self._CHUNK:
            with ThreadPoolExecutor(self._THREADS) as pool:
                list(pool.map(run, starts))
        else:
            run(0)
        hit = face >= 0
        distance = np.full(k, np.inf)
        distance[hit] = self._planes.distance(origins[hit], directions[hit], face[hit], rough[hit])
        if max_distance is not None:
            late = hit & (distance > max_distance)
            face[late] = -1
            distance[late] = np.inf
        return Hits(distance, face)


class GridCaster:
    """Uniform-grid ray engine in numpy; see the module notes.

    Parameters
    ----------
    vertices : (n, 3) float64, mm
    faces : (m, 3) int64
    normals : (m, 3) float64, optional
        Unit face normals, when the caller has them already.

    """

    engine = "numpy"
    _MAX_CELLS = 24_000_000  # dense per-cell arrays: about 200 MB at this size
    _RAY_CHUNK = 131_072
    _PAIR_BUDGET = 8  # triangle-cell entries per triangle, on average, before cells grow

    def __init__(self, vertices: FloatArray, faces: IntArray, normals: FloatArray | None = None) -> None:
        tri = vertices[faces]
        m = len(tri)
        self._planes = _Planes(vertices, faces, normals)
        v0, e1, e2 = tri[:, 0], tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
        self._columns = [np.ascontiguousarray(a[:, i]) for a in (v0, e1, e2) for i in range(3)]
        if m == 0:
            self._lo = np.zeros(3)
            self._dims = np.ones(3, np.int64)
            self._cell = 1.0
            self._count = np.zeros(1, np.int64)
            self._start = np.zeros(2, np.int64)
            self._tris = np.zeros(0, np.int64)
            self._skip = np.ones(1, np.int64)
            return
        tlo, thi = tri.min(axis=1), tri.max(axis=1)
        lo, hi = tlo.min(axis=0), thi.max(axis=0)
        span = np.maximum(hi - lo, 1e-9)
        extent = (thi - tlo).max(axis=1)
        cell = max(float(np.median(extent)), float(np.prod(span) / self._MAX_CELLS) ** (1.0 / 3.0), 1e-9)
        while True:
            pad = 1e-6 * cell  # triangles reach this far into neighbouring cells (see _advance)
            dims = np.maximum(np.ceil(span / cell).astype(np.int64), 1)
            first = np.clip(np.floor((tlo - pad - lo) / cell).astype(np.int64), 0, dims - 1)
            last = np.clip(np.floor((thi + pad - lo) / cell).astype(np.int64), 0, dims - 1)
            per = (last - first + 1).prod(axis=1)
            if (int(per.sum()) <= self._PAIR_BUDGET * m or cell > span.max()) and int(
                dims.prod()
            ) <= self._MAX_CELLS:
                break
            cell *= 1.5
        total = int(per.sum())
        tri_id = np.repeat(np.arange(m), per)
        local = np.arange(total) - np.repeat(np.cumsum(per) - per, per)
        size = last - first + 1
        sx, sy = size[tri_id, 0], size[tri_id, 1]
        cx = first[tri_id, 0] + local % sx
        cy = first[tri_id, 1] + (local // sx) % sy
        cz = first[tri_id, 2] + local // (sx * sy)
        linear = (cx * dims[1] + cy) * dims[2] + cz
        order = np.argsort(linear, kind="stable")
        ncells = int(dims.prod())
        count = np.bincount(linear, minlength=ncells)
        self._lo = lo
        self._dims = dims
        self._cell = cell
        self._count = count
        self._start = np.concatenate([[0], np.cumsum(count)])
        self._tris = tri_id[order]
        # Chessboard distance (in cells) from each empty cell to the nearest occupied one: a ray
        # may cross that many cells minus one in every direction without meeting a triangle.
        occupied = (count > 0).reshape(tuple(int(d) for d in dims))
        skip = ndimage.distance_transform_cdt(~occupied, metric="chessboard")
        self._skip = skip.reshape(-1).astype(np.int64)

    def cast(
        self, origins: FloatArray, directions: FloatArray, max_distance: FloatArray | None = None
    ) -> Hits:
        """First hit of each ray; see :class:`RayCaster`."""
        k = len(origins)
        distance = np.full(k, np.inf)
        face = np.full(k, -1, np.int64)
        limit = np.full(k, np.inf) if max_distance is None else np.asarray(max_distance, np.float64)
        for lo in range(0, k, self._RAY_CHUNK):
            hi = min(lo + self._RAY_CHUNK, k)
            d, f = self._trace(origins[lo:hi], directions[lo:hi], limit[lo:hi])
            distance[lo:hi], face[lo:hi] = d, f
        hit = face >= 0
        distance[hit] = self._planes.distance(origins[hit], directions[hit], face[hit], distance[hit])
        late = hit & (distance > limit)
        face[late] = -1
        distance[late] = np.inf
        return Hits(distance, face)

    def _trace(self, org: FloatArray, dirs: FloatArray, limit: FloatArray) -> tuple[FloatArray, IntArray]:
        k = len(org)
        out_t = np.full(k, np.inf)
        out_f = np.full(k, -1, np.int64)
        if len(self._tris) == 0 or k == 0:
            return out_t, out_f
        with np.errstate(divide="ignore", invalid="ignore"):
            inv = 1.0 / dirs
        box_lo, box_hi = self._lo, self._lo + self._dims * self._cell
        enter, leave = _slabs(org, inv, box_lo, box_hi)
        t = np.maximum(enter, 0.0)
        stop = np.minimum(leave, limit)
        active = np.flatnonzero(t <= stop)
        t = t[active]
        nudge = 1e-7 * self._cell
        while len(active):
            o, inv_a = org[active], inv[active]
            point = o + (t + nudge)[:, None] * dirs[active]
            ijk = np.clip(np.floor((point - self._lo) / self._cell).astype(np.int64), 0, self._dims - 1)
            lin = (ijk[:, 0] * self._dims[1] + ijk[:, 1]) * self._dims[2] + ijk[:, 2]
            reach = np.maximum(self._skip[lin] - 1, 0)
            cell_lo = self._lo + (ijk - reach[:, None]) * self._cell
            cell_hi = self._lo + (ijk + reach[:, None] + 1) * self._cell
            _, exit_t = _slabs(o, inv_a, cell_lo, cell_hi)
            occupied = self._count[lin] > 0
            found = np.zeros(len(active), bool)
            if occupied.any():
                rows = np.flatnonzero(occupied)
                ht, hf = self._test_cells(o[rows], dirs[active[rows]], lin[rows], exit_t[rows] + 2 * nudge)
                good = hf >= 0
                rows = rows[good]
                out_t[active[rows]] = ht[good]
                out_f[active[rows]] = hf[good]
                found[rows] = True
            # Move on past the box just checked; every step gains at least ``nudge``.
            t = np.maximum(exit_t, t + nudge)
            keep = ~found & (t <= stop[active])
            active, t = active[keep], t[keep]
        return out_t, out_f

    def _test_cells(
        self, o: FloatArray, d: FloatArray, lin: IntArray, exit_t: FloatArray
    ) -> tuple[FloatArray, IntArray]:
        """Nearest hit among each ray's cell triangles, if it lies before the cell's exit."""
        counts = self._count[lin]
        ray = np.repeat(np.arange(len(lin)), counts)
        entry = np.repeat(self._start[lin], counts) + (
            np.arange(len(ray)) - np.repeat(np.cumsum(counts) - counts, counts)
        )
        tri = self._tris[entry]
        t = _moller_trumbore([c[ray] for c in o.T], [c[ray] for c in d.T], [c[tri] for c in self._columns])
        t[(t < 0) | (t > exit_t[ray])] = np.inf
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        best_t = np.minimum.reduceat(t, first)
        # The triangle achieving the minimum: the first pair of each ray whose t equals it.
        is_best = (t == best_t[ray]) & np.isfinite(t)
        best_f = np.full(len(lin), -1, np.int64)
        best_f[ray[is_best][::-1]] = tri[is_best][::-1]
        return best_t, best_f


def _slabs(org: FloatArray, inv: FloatArray, lo: FloatArray, hi: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Entry and exit parameters of rays through axis-aligned boxes (k, 3) or one box (3,)."""
    with np.errstate(invalid="ignore"):
        a = (lo - org) * inv
        b = (hi - org) * inv
    # 0 * inf gives NaN for rays parallel to a slab through the origin plane; treat as inside.
    near = np.where(np.isnan(a), -np.inf, np.minimum(a, b))
    far = np.where(np.isnan(a), np.inf, np.maximum(a, b))
    enter: FloatArray = near.max(axis=1)
    leave: FloatArray = far.min(axis=1)
    return enter, leave


def _moller_trumbore(o: list[FloatArray], d: list[FloatArray], tri: list[FloatArray]) -> FloatArray:
    """Ray parameter of each ray-triangle pair (Möller & Trumbore 1997); ``inf`` where they miss.

    Arguments are 1-D columns (gathers of columns are several times faster than of rows):
    ``o`` and ``d`` the ray origin and direction x, y, z; ``tri`` the corner ``v0`` and the
    edges ``e1 = v1 - v0``, ``e2 = v2 - v0`` as nine columns. Edges and corners count as hits
    (barycentric tolerance 1e-9), so a ray through a shared edge hits one of the two triangles.
    """
    v0x, v0y, v0z, e1x, e1y, e1z, e2x, e2y, e2z = tri
    ox, oy, oz = o
    dx, dy, dz = d
    px, py, pz = dy * e2z - dz * e2y, dz * e2x - dx * e2z, dx * e2y - dy * e2x
    det = e1x * px + e1y * py + e1z * pz
    ok = np.abs(det) > TINY
    inv = np.divide(1.0, det, out=np.zeros_like(det), where=ok)
    sx, sy, sz = ox - v0x, oy - v0y, oz - v0z
    u = (sx * px + sy * py + sz * pz) * inv
    qx, qy, qz = sy * e1z - sz * e1y, sz * e1x - sx * e1z, sx * e1y - sy * e1x
    v = (dx * qx + dy * qy + dz * qz) * inv
    t = (e2x * qx + e2y * qy + e2z * qz) * inv
    tol = 1e-9
    inside = ok & (u >= -tol) & (v >= -tol) & (u + v <= 1 + tol)
    result: FloatArray = np.where(inside, t, np.inf)
    return result


def cast_until(
    caster: RayCaster,
    origins: FloatArray,
    directions: FloatArray,
    accept: Callable[[IntArray, IntArray, FloatArray], BoolArray],
    *,
    start: float,
    rounds: int = 6,
    max_distance: FloatArray | None = None,
) -> Hits:
    """Cast rays and cast again from just past every hit that ``accept`` rejects.

    Parameters
    ----------
    caster : RayCaster
        The engine to cast with.
    origins : (k, 3) float64, mm
        Where the rays start; the first ``start`` mm along each ray are skipped so a ray cannot
        hit the surface it starts on.
    directions : (k, 3) float64
        Unit directions.
    accept : callable
        ``accept(rays, faces, distances) -> (j,) bool`` for the rays (indices into the batch)
        that hit ``faces`` at ``distances`` (mm from the original origin). Rejected hits are
        skipped and the ray continues.
    start : float, mm
        Skip distance at the start and after each rejected hit.
    rounds : int
        Casts per ray at most; rays still rejected after that count as misses.
    max_distance : (k,) float64, mm, optional
        Hits farther than this (from the original origins) are ignored.

    Returns
    -------
    Hits
        Distances from the original origins.

    """
    k = len(origins)
    distance = np.full(k, np.inf)
    face = np.full(k, -1, np.int64)
    todo = np.arange(k)
    offset = np.full(k, start)
    limit = None if max_distance is None else np.asarray(max_distance, np.float64)
    for _ in range(rounds):
        if not len(todo):
            break
        far = None if limit is None else limit[todo] - offset
        hits = caster.cast(origins[todo] + offset[:, None] * directions[todo], directions[todo], far)
        hit = hits.face >= 0
        todo, offset = todo[hit], offset[hit] + hits.distance[hit]
        faces_hit = hits.face[hit]
        ok = accept(todo, faces_hit, offset)
        distance[todo[ok]] = offset[ok]
        face[todo[ok]] = faces_hit[ok]
        todo, offset = todo[~ok], offset[~ok] + start
    return Hits(distance, face)


class TurnedCaster:
    """A ray engine built in part coordinates, used from machine coordinates.

    Machine coordinates are ``x' = R x`` (rows of ``R`` are the machine axes), so rays are
    turned back with ``x = x' @ R`` (row vectors); distances and face ids are unchanged. One
    acceleration structure then serves every orientation of a part.
    """

    def __init__(self, caster: RayCaster, rotation: FloatArray) -> None:
        self._caster = caster
        self._rotation = rotation
        self.engine = caster.engine

    def cast(
        self, origins: FloatArray, directions: FloatArray, max_distance: FloatArray | None = None
    ) -> Hits:
        """First hits of rays given in machine coordinates."""
        return self._caster.cast(origins @ self._rotation, directions @ self._rotation, max_distance)


def not_on(own_face: IntArray) -> Callable[[IntArray, IntArray, FloatArray], BoolArray]:
    """A hit filter for :func:`cast_until` that skips each ray's own face ``own_face[ray]``."""

    def accept(rays: IntArray, hit: IntArray, _t: FloatArray) -> BoolArray:
        result: BoolArray = hit != own_face[rays]
        return result

    return accept


def skip_distance(vertices: FloatArray) -> float:
    """A start offset that clears float32 rounding in Embree at this part's size, mm."""
    if not len(vertices):
        return 1e-6
    lo, hi = vertices.min(axis=0), vertices.max(axis=0)
    size = float(np.linalg.norm(hi - lo))
    # float32 keeps 24 bits: coordinates (centred) of magnitude size/2 round to ~size * 6e-8.
    return max(1e-6 * size, 1e-9) if math.isfinite(size) else 1e-6
