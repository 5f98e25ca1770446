"""Overhangs, support estimates and support geometry for a part in a given build orientation.

Conventions: a rotation ``R`` (3 × 3, rows = machine axes in part coordinates) places the part
as ``v' = v @ R.T``; the build direction is +z of the machine, the plate lies under the lowest
point (lowered by the process's bed standoff for resin printers). A face needs support when its
outward normal points down more steeply than the process's support angle allows: with ``a``
measured from the horizontal, when ``n_z < -cos(a)`` — a ceiling (``n_z = -1``) always, a 45°
chamfer not at ``a = 45°``. Faces whose highest corner lies within ``contact_tolerance`` of the
plate rest on it and need none.

Support volume ("full"): from sample points spread over the overhangs, rays go straight down to
the plate or to the part below (self-shadowing counted); each point contributes its projected
area times that height. "Real" volume is full volume times the process's support density.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from makeready.geometry.mesh import Body, Part
from makeready.geometry.prepared import PreparedPart
from makeready.geometry.rays import (
    Engine,
    RayCaster,
    TurnedCaster,
    cast_until,
    not_on,
    ray_caster,
    skip_distance,
)
from makeready.geometry.tolerance import FLOAT_RELATIVE, LENGTH_EPS_MM, ROTATION_ATOL, invariant
from makeready.geometry.triangles import areas, sample_surface, stack_bodies, unit_normals
from makeready.geometry.types import BoolArray, FloatArray, IntArray

__all__ = [
    "PROCESSES",
    "SupportPlan",
    "SupportSettings",
    "overhang_faces",
    "plan_supports",
    "support_geometry",
    "support_settings",
]


_SUPPORT_SAMPLES = 20_000
#: Faces this close to the support angle count as self-supporting (degrees): CAD chamfers sit
#: exactly at 45° and profiles give the angle in rounded radians (0.7854 rad = 45.0001°), so
#: without it a 45° chamfer flips between supported and not on the last digit.
ANGLE_TOLERANCE_DEG = 0.1


@dataclass(frozen=True, slots=True)
class SupportSettings:
    """How a process supports parts. Lengths in mm, angles in degrees.

    Attributes
    ----------
    process : str
        3D Spark API process acronym (slm, ebm, fdm, sla, dlp, sls, mjf, bj).
    needs_supports : bool
        False for powder-bed polymer and binder jetting: the powder carries the part.
    support_angle : float
        Self-supporting angle from the horizontal; flatter downward faces need support.
    contact_tolerance : float
        Faces whose highest corner is this close to the plate rest on it.
    support_density : float
        Share of the supported column that is solid ("real" = "full" × density).
    layer_height, first_layer_height : float
    style : {"block", "tree", "none"}
        Geometry: square posts (FDM, metal powder bed) or pillars with tips (resin).
    spacing : float
        Distance between support columns.
    gap : float
        Clearance between a block post and the part (FDM's z distance).
    tip_radius, tip_length, post_radius, base_radius, base_height, bed_standoff : float
        Pillar shape for resin printers (3D Print API profile ``support_*`` fields).
    sources : str
        Where the values come from ([E] = estimate).

    """

    process: str
    needs_supports: bool
    support_angle: float
    contact_tolerance: float
    support_density: float
    layer_height: float
    first_layer_height: float
    style: Literal["block", "tree", "none"]
    spacing: float = 2.0
    gap: float = 0.0
    tip_radius: float = 0.3
    tip_length: float = 1.5
    post_radius: float = 0.6
    base_radius: float = 1.5
    base_height: float = 0.6
    bed_standoff: float = 0.0
    sources: str = ""


_COMMON = (
    "support angle 45 deg: 3D Print API profile support_max_angle 0.7854 rad and the LPBF/FDM rule of thumb"
)
PROCESSES: dict[str, SupportSettings] = {
    "slm": SupportSettings(
        "slm", True, 45.0, 0.05, 0.3, 0.03, 0.03, "block", spacing=1.0,
        sources=f"{_COMMON}; density 0.3: supports scanned at 0.3-0.5 of solid (cost-models 5.2) [E]; "
        "layer 30 um (EOS M 290 sets)",
    ),
    "ebm": SupportSettings(
        "ebm", True, 45.0, 0.05, 0.25, 0.05, 0.05, "block", spacing=1.5,
        sources=f"{_COMMON}; layer 50 um (cost-models 5.4); density [E]",
    ),
    "fdm": SupportSettings(
        "fdm", True, 45.0, 0.2, 0.15, 0.2, 0.2, "block", spacing=2.0, gap=0.2,
        sources=f"{_COMMON}; 15 % support infill and 0.2 mm z distance (slicer defaults) [E]; layer 0.2 mm",
    ),
    "sla": SupportSettings(
        "sla", True, 45.0, 0.05, 0.05, 0.05, 0.05, "tree", spacing=3.0, tip_radius=0.25, tip_length=1.2,
        post_radius=0.6, base_radius=1.2, base_height=0.6, bed_standoff=3.0,
        sources=f"{_COMMON}; pillar sizes and 3 mm standoff [E] (3D Print API profile fields); layer 50 um",
    ),
    "dlp": SupportSettings(
        "dlp", True, 45.0, 0.05, 0.05, 0.05, 0.1, "tree", spacing=3.0, tip_radius=0.25, tip_length=1.2,
        post_radius=0.6, base_radius=1.2, base_height=0.6, bed_standoff=3.0,
        sources=f"{_COMMON}; first layer 100 um, layer 50 um (3D Print API DLP profile style) [E]",
    ),
    "sls": SupportSettings("sls", False, 0.0, 0.0, 0.0, 0.12, 0.12, "none", sources="cost-models 5.4"),
    "mjf": SupportSettings("mjf", False, 0.0, 0.0, 0.0, 0.08, 0.08, "none", sources="cost-models 5.4"),
    "bj": SupportSettings("bj", False, 0.0, 0.0, 0.0, 0.1, 0.1, "none", sources="cost-models 5.4"),
}  # fmt: skip


def support_settings(process: str | SupportSettings) -> SupportSettings:
    """Settings for a process acronym (or the settings themselves).

    Raises
    ------
    ValueError
        Unknown process acronym.

    """
    if isinstance(process, SupportSettings):
        return process
    key = process.strip().casefold()
    if key not in PROCESSES:
        raise ValueError(f"unknown process {process!r}; known: {', '.join(PROCESSES)}")
    return PROCESSES[key]


@dataclass(frozen=True, slots=True, kw_only=True)
class SupportPlan:
    """Support figures for one orientation (mm, mm², mm³, g).

    The 3D Spark API calls these ``sup_vol_full``, ``sup_vol_real``, ``sup_srf_area``,
    ``sup_mass``, ``bld_h`` and ``n_lyr`` (in cm, cm², cm³); its rendering converts them.

    Attributes
    ----------
    rotation : (3, 3) float64
        Part to machine coordinates.
    overhang_area : float
        Area of the faces that need support, mm².
    support_volume, support_material_volume : float
        Supported column volume, and that times the support density, mm³.
    support_area : float
        Supported (contact) surface area, mm²: the overhang area.
    support_mass : float or None
        ``support_material_volume`` times the material density, g; None without a density.
    build_height : float
        Build height including any bed standoff, mm.
    layer_count : int
        Layers at the process's layer heights (first layer included).
    plate_z : float
        Height of the plate in machine coordinates, mm.
    extents : (3,) float64
        Edges of the part's axis-aligned box in machine coordinates, mm (the 3D Spark API's
        ``or_bb_x/y/z``).

    """

    rotation: FloatArray
    overhang_area: float
    support_volume: float
    support_material_volume: float
    support_area: float
    support_mass: float | None
    build_height: float
    layer_count: int
    plate_z: float
    extents: FloatArray


def _unsupported(
    rotation: FloatArray,
    mass: float | None,
    height: float,
    layers: int,
    plate: float,
    extents: FloatArray,
) -> SupportPlan:
    """A plan with no supports (nothing overhangs, or the process needs none)."""
    return SupportPlan(
        rotation=rotation,
        overhang_area=0.0,
        support_volume=0.0,
        support_material_volume=0.0,
        support_area=0.0,
        support_mass=mass,
        build_height=height,
        layer_count=layers,
        plate_z=plate,
        extents=extents,
    )


def overhang_faces(
    normals: FloatArray, heights: FloatArray, plate: float, settings: SupportSettings
) -> BoolArray:
    """Which faces need support.

    Parameters
    ----------
    normals : (m, 3) float64
        Unit face normals in machine coordinates.
    heights : (m,) float64, mm
        Highest corner of each face above the machine origin.
    plate : float, mm
        Height of the build plate (the part's lowest point, lowered by any bed standoff).
    settings : SupportSettings
        The process's support angle and contact tolerance.

    Returns
    -------
    (m,) bool

    """
    if not settings.needs_supports:
        return np.zeros(len(normals), bool)
    limit = -math.cos(math.radians(settings.support_angle - ANGLE_TOLERANCE_DEG))
    result: BoolArray = (normals[:, 2] < limit) & (heights > plate + settings.contact_tolerance)
    return result


def layer_count(height: float, settings: SupportSettings) -> int:
    """Layers needed for ``height`` mm: the first layer, then whole layers of ``layer_height``."""
    if height <= 0:
        return 0
    if height <= settings.first_layer_height:
        return 1
    return 1 + math.ceil((height - settings.first_layer_height) / settings.layer_height - FLOAT_RELATIVE)


def _rotation_matrix(rotation: npt.ArrayLike | None) -> FloatArray:
    r = np.eye(3) if rotation is None else np.asarray(rotation, np.float64)
    if r.shape != (3, 3) or not np.allclose(r @ r.T, np.eye(3), atol=ROTATION_ATOL) or np.linalg.det(r) < 0:
        raise ValueError("rotation must be a 3 x 3 proper rotation matrix")
    return r


def plan_supports(
    part: Part | PreparedPart,
    rotation: npt.ArrayLike | None = None,
    process: str | SupportSettings = "fdm",
    *,
    density: float | None = None,
    samples: int = _SUPPORT_SAMPLES,
    engine: Engine = "auto",
) -> SupportPlan:
    """Support volume, contact area, mass, build height and layers for one orientation.

    Parameters
    ----------
    part : Part or PreparedPart
        The part, as uploaded (prepared: its ray engine is reused, turned).
    rotation : (3, 3) array, optional
        Part to machine coordinates; default: as uploaded.
    process : str or SupportSettings
        Process acronym (see :data:`PROCESSES`) or settings.
    density : float, g/cm³, optional
        Material density for ``sup_mass``.
    samples : int
        Sample points spread over the overhangs (more for big faces).
    engine : {"auto", "embree", "numpy"}
        Ray engine (of an unprepared part).

    Returns
    -------
    SupportPlan

    """
    settings = support_settings(process)
    r = _rotation_matrix(rotation)
    if isinstance(part, PreparedPart):
        vertices, faces = part.vertices, part.faces
    else:
        vertices, faces, _ = stack_bodies(part)
    placed = vertices @ r.T
    turned: RayCaster | None = None
    if len(faces) and settings.needs_supports:
        if isinstance(part, PreparedPart):
            turned = TurnedCaster(part.caster, r)
        else:
            turned = ray_caster(placed, faces, engine)
    return _plan(placed, faces, r, settings, turned, density, samples)


def _plan(
    placed: FloatArray,
    faces: IntArray,
    rotation: FloatArray,
    settings: SupportSettings,
    caster: RayCaster | None,
    density: float | None,
    samples: int,
) -> SupportPlan:
    """:func:`plan_supports` on a mesh already in machine coordinates (``placed``)."""
    if not len(faces):
        return _unsupported(rotation, 0.0 if density else None, 0.0, 0, 0.0, np.zeros(3))
    z = placed[:, 2]
    lowest = float(z.min())
    plate = lowest - settings.bed_standoff
    height = float(z.max()) - plate
    extents = placed.max(axis=0) - placed.min(axis=0)
    if not settings.needs_supports:  # powder-carried or conventional: only the size matters
        mass = 0.0 if density is not None else None
        return _unsupported(rotation, mass, height, layer_count(height, settings), plate, extents)
    normals = unit_normals(placed, faces)
    tri = placed[faces]
    need = overhang_faces(normals, tri[:, :, 2].max(axis=1), plate, settings)
    area = areas(tri)
    overhang = float(area[need].sum())
    full = 0.0
    if need.any() and caster is not None:
        idx = np.flatnonzero(need)
        pts = sample_surface(tri[idx], area[idx], samples, every_face=True)
        face = idx[pts.face]
        down = np.broadcast_to(np.array([0.0, 0.0, -1.0]), pts.points.shape)
        start = skip_distance(placed)
        hits = cast_until(caster, pts.points, np.ascontiguousarray(down), not_on(face), start=start, rounds=3)
        column = np.where(hits.face >= 0, hits.distance, pts.points[:, 2] - plate)
        full = float(np.sum(pts.weight * -normals[face, 2] * column))
    real = full * settings.support_density
    mass = real * density * 1e-3 if density is not None else None
    invariant(
        0.0 <= real <= full + LENGTH_EPS_MM, f"support material {real} mm3 within the envelope {full} mm3"
    )
    invariant(overhang >= 0.0 and height >= 0.0, "overhang area and build height are not negative")
    return SupportPlan(
        rotation=rotation,
        overhang_area=overhang,
        support_volume=full,
        support_material_volume=real,
        support_area=overhang,
        support_mass=mass,
        build_height=height,
        layer_count=layer_count(height, settings),
        plate_z=plate,
        extents=extents,
    )


def support_geometry(
    part: Part,
    rotation: npt.ArrayLike | None = None,
    process: str | SupportSettings = "fdm",
    *,
    engine: Engine = "auto",
) -> Part:
    """Support structures as closed meshes, in machine coordinates (the part rotated by ``rotation``).

    Block style (FDM, metal powder bed): square posts ``0.8 × spacing`` wide on a grid under the
    overhangs, from the plate (or the part below, plus ``gap``) to ``gap`` below the overhang.
    Tree style (resin): pillars on a grid — a base disc on the plate, a post, and a cone that
    narrows to ``tip_radius`` where it touches the part; pillars standing on the part get a tip
    at both ends. Each column is checked with rays at its corners so it clears the part; each
    support is its own closed shell.

    Returns
    -------
    Part
        One body named "supports" (no triangles when nothing needs support).

    """
    settings = support_settings(process)
    r = _rotation_matrix(rotation)
    vertices, faces, _ = stack_bodies(part)
    placed = vertices @ r.T
    empty = Part(
        (Body("supports", np.zeros((0, 3)), np.zeros((0, 3), np.int64)),), "supports", name="supports"
    )
    if not settings.needs_supports or not len(faces):
        return empty
    caster = ray_caster(placed, faces, engine)
    normals = unit_normals(placed, faces)
    tri = placed[faces]
    lowest = float(placed[:, 2].min())
    plate = lowest - settings.bed_standoff
    need = overhang_faces(normals, tri[:, :, 2].max(axis=1), plate, settings)
    if not need.any():
        return empty
    columns = _columns(caster, tri, need, normals, plate, settings)
    if not len(columns):
        return empty
    if settings.style == "block":
        verts, tris = _block_posts(columns, settings)
    else:
        verts, tris = _pillars(columns, plate, settings)
    return replace(empty, bodies=(Body("supports", verts, tris),))


def _columns(
    caster: RayCaster,
    tri: FloatArray,
    need: BoolArray,
    normals: FloatArray,
    plate: float,
    settings: SupportSettings,
) -> FloatArray:
    """Free vertical columns under overhangs: rows ``(x, y, bottom, top, on_part)`` in mm."""
    lo = tri[need].reshape(-1, 3).min(axis=0)
    hi = tri[need].reshape(-1, 3).max(axis=0)
    step = settings.spacing
    xs = np.arange(lo[0] + step / 2, hi[0], step) if hi[0] - lo[0] > step else np.array([(lo[0] + hi[0]) / 2])
    ys = np.arange(lo[1] + step / 2, hi[1], step) if hi[1] - lo[1] > step else np.array([(lo[1] + hi[1]) / 2])
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    centre = np.stack([gx.ravel(), gy.ravel()], axis=1)
    half = 0.4 * step if settings.style == "block" else settings.base_radius
    offsets = np.array([[0.0, 0.0], [half, half], [half, -half], [-half, half], [-half, -half]])
    top_z = float(tri[:, :, 2].max()) + 1.0
    eps = 1e-6 * max(1.0, float(np.abs(tri).max()))
    # Cast down from above the part at the centre: every air gap whose ceiling needs support.
    rows = []
    origin = np.column_stack([centre, np.full(len(centre), top_z)])
    down = np.ascontiguousarray(np.broadcast_to([0.0, 0.0, -1.0], origin.shape))
    depth = np.zeros(len(origin))
    live = np.arange(len(origin))
    ceiling = np.full(len(origin), np.nan)  # an overhang seen from below, waiting for its floor
    for _ in range(16):
        if not len(live):
            break
        hits = caster.cast(origin[live] + (depth[live] + eps)[:, None] * down[live], down[live])
        got = hits.face >= 0
        z = np.where(got, top_z - depth[live] - eps - hits.distance, plate)
        facing_up = got & (normals[np.maximum(hits.face, 0), 2] > 0)
        # A downward face met from above means we leave the part into air below it.
        leaves = got & ~facing_up
        supported = leaves & need[np.maximum(hits.face, 0)]
        ceiling[live[leaves]] = np.where(supported[leaves], z[leaves], np.nan)
        floor_reached = (facing_up | ~got) & np.isfinite(ceiling[live])
        for i in np.flatnonzero(floor_reached):
            rows.append((centre[live[i], 0], centre[live[i], 1], z[i], ceiling[live[i]], float(got[i])))
        ceiling[live[floor_reached]] = np.nan
        depth[live] = np.where(got, depth[live] + eps + hits.distance, depth[live])
        live = live[got]
    if not rows:
        return np.zeros((0, 5))
    cols = np.array(rows, np.float64)
    # Clear the part at the column's corners: lower the top and raise the bottom where needed,
    # and drop columns whose corner starts inside the part (the first wall met faces away).
    clear = np.ones(len(cols), bool)
    up = np.ascontiguousarray(np.broadcast_to([0.0, 0.0, 1.0], (len(cols), 3)))
    for dx, dy in offsets[1:]:
        base = np.column_stack([cols[:, 0] + dx, cols[:, 1] + dy, cols[:, 2] + eps])
        reach = cols[:, 3] - cols[:, 2]
        hits = caster.cast(base, up)  # unlimited: the first wall tells inside from outside
        got = hits.face >= 0
        clear &= ~(got & (normals[np.maximum(hits.face, 0), 2] > 0))
        near = got & (hits.distance < reach)
        cols[:, 3] = np.where(near, np.minimum(cols[:, 3], base[:, 2] + hits.distance), cols[:, 3])
        top = np.column_stack([base[:, :2], cols[:, 3] - eps])
        hits = caster.cast(top, np.ascontiguousarray(-up))
        got = hits.face >= 0
        clear &= ~(got & (normals[np.maximum(hits.face, 0), 2] < 0))
        near = got & (hits.distance < reach)
        cols[:, 2] = np.where(near, np.maximum(cols[:, 2], top[:, 2] - hits.distance), cols[:, 2])
    cols = cols[clear]
    minimum = 2 * settings.gap + (settings.tip_length if settings.style == "tree" else 0.0) + 1e-3
    keep: BoolArray = (cols[:, 3] - cols[:, 2]) > minimum
    return cols[keep]


def _block_posts(columns: FloatArray, settings: SupportSettings) -> tuple[FloatArray, IntArray]:
    """One closed square post per column."""
    half = 0.4 * settings.spacing
    x, y = columns[:, 0], columns[:, 1]
    bottom = columns[:, 2] + np.where(columns[:, 4] > 0, settings.gap, 0.0)
    top = columns[:, 3] - settings.gap
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float) * half
    k = len(columns)
    verts = np.empty((k, 8, 3))
    verts[:, :4, 0] = x[:, None] + corners[:, 0]
    verts[:, :4, 1] = y[:, None] + corners[:, 1]
    verts[:, :4, 2] = bottom[:, None]
    verts[:, 4:, :2] = verts[:, :4, :2]
    verts[:, 4:, 2] = top[:, None]
    box = np.array(
        [[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
         [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]]
    )  # fmt: skip
    faces = (box[None] + 8 * np.arange(k)[:, None, None]).reshape(-1, 3)
    return verts.reshape(-1, 3), faces


def _pillars(columns: FloatArray, plate: float, settings: SupportSettings) -> tuple[FloatArray, IntArray]:
    """One closed pillar per column: a lathe profile revolved in 8 steps."""
    s = settings
    shells_v, shells_f, shift = [], [], 0
    for x, y, bottom, top, on_part in columns:
        if on_part:  # a tip at both ends
            if top - bottom < 2 * s.tip_length + 0.1:
                continue
            profile = [
                (s.tip_radius, bottom),
                (s.post_radius, bottom + s.tip_length),
                (s.post_radius, top - s.tip_length),
            ]
        else:
            base_top = bottom + s.base_height
            profile = [
                (s.base_radius, bottom),
                (s.base_radius, base_top),
                (s.post_radius, base_top + s.post_radius),
            ]
            if profile[-1][1] >= top - s.tip_length:
                continue
            profile.append((s.post_radius, top - s.tip_length))
        profile.append((s.tip_radius, top))
        v, f = _lathe(np.array(profile), x, y)
        shells_v.append(v)
        shells_f.append(f + shift)
        shift += len(v)
    if not shells_v:
        return np.zeros((0, 3)), np.zeros((0, 3), np.int64)
    return np.concatenate(shells_v), np.concatenate(shells_f)


def _lathe(profile: FloatArray, x: float, y: float, sides: int = 8) -> tuple[FloatArray, IntArray]:
    """Revolve ``(radius, z)`` rows (bottom to top) about the vertical line through (x, y); closed."""
    angle = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    ring = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    n = len(profile)
    pts = np.empty((n, sides, 3))
    pts[:, :, 0] = x + profile[:, 0, None] * ring[None, :, 0]
    pts[:, :, 1] = y + profile[:, 0, None] * ring[None, :, 1]
    pts[:, :, 2] = profile[:, 1, None]
    verts = np.concatenate([pts.reshape(-1, 3), [[x, y, profile[0, 1]], [x, y, profile[-1, 1]]]])
    i = np.arange(n - 1)[:, None]
    j = np.arange(sides)[None, :]
    a, b = i * sides + j, i * sides + (j + 1) % sides
    c, d = a + sides, b + sides
    walls = np.concatenate([np.stack([a, b, d], -1).reshape(-1, 3), np.stack([a, d, c], -1).reshape(-1, 3)])
    bottom_c, top_c = n * sides, n * sides + 1
    jj = np.arange(sides)
    bottom = np.stack([np.full(sides, bottom_c), (jj + 1) % sides, jj], axis=1)
    top = np.stack([np.full(sides, top_c), (n - 1) * sides + jj, (n - 1) * sides + (jj + 1) % sides], axis=1)
    return verts, np.concatenate([walls, bottom, top]).astype(np.int64)
