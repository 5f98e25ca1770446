"""Design rules: a part's thickness, gaps and size against a material's limits and a machine.

``check_design`` produces 3D Spark API's ``feasibility`` block: ``thickness`` (t_min against
``t_lim_min``, t_max against ``t_lim_max``), ``gap_size`` (gap_min against ``gap_lim_min``) and
``size`` (the smallest and largest edge of the minimum-volume box against ``size_lim_min`` and
``size_lim_max``, and ``fits_mac``: whether the part fits the machine's build volume in *some*
orientation, not only as uploaded).

Tolerance at a limit: a value passes when it misses the limit by no more than
``max(0.001 mm, 0.1 % of the limit)`` (see :mod:`makeready.geometry.tolerance`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import shapely
from scipy.spatial.transform import Rotation

from makeready.geometry.build_volume import BuildVolume
from makeready.geometry.mesh import Part
from makeready.geometry.metrics import OrientedBox, oriented_box
from makeready.geometry.prepared import PreparedPart, prepared
from makeready.geometry.thickness import ThicknessReport
from makeready.geometry.tolerance import LIMIT_TOLERANCE_MM, LIMIT_TOLERANCE_RELATIVE, limit_tolerance
from makeready.geometry.types import FloatArray

__all__ = [
    "LIMIT_TOLERANCE_MM",
    "LIMIT_TOLERANCE_RELATIVE",
    "BuildVolume",
    "DesignLimits",
    "Feasibility",
    "Finding",
    "GapCheck",
    "SizeCheck",
    "ThicknessCheck",
    "check_design",
    "fits_build_volume",
    "limit_tolerance",
]


_ROTATIONS = 4096  # orientations tried when the box does not fit axis to axis
_HULL_POINTS = 400  # hull points scored per orientation


class DesignLimits(Protocol):
    """What a material must say about design limits (3D Spark API ``properties_am``), all in mm.

    None means the material sets no such limit.
    """

    @property
    def t_lim_min(self) -> float | None:
        """Thinnest wall allowed."""
        ...

    @property
    def t_lim_max(self) -> float | None:
        """Thickest section allowed."""
        ...

    @property
    def gap_lim_min(self) -> float | None:
        """Narrowest gap allowed."""
        ...

    @property
    def size_lim_min(self) -> float | None:
        """Smallest part edge allowed."""
        ...

    @property
    def size_lim_max(self) -> float | None:
        """Largest part edge allowed."""
        ...


class HasBuildVolume(Protocol):
    """A machine, as far as the design rules care."""

    @property
    def build_volume(self) -> BuildVolume: ...


@dataclass(frozen=True, slots=True)
class ThicknessCheck:
    """3D Spark API ``feasibility.thickness`` plus the upper limit; mm. None = cannot be checked."""

    t_lim_min: float | None
    t_lim_max: float | None
    t_min: float | None
    t_min_chk: bool | None
    t_max: float | None
    t_max_chk: bool | None


@dataclass(frozen=True, slots=True)
class GapCheck:
    """3D Spark API ``feasibility.gap_size``; mm. A part with no gap at all passes."""

    gap_lim_min: float | None
    gap_min: float | None
    gap_min_chk: bool | None


@dataclass(frozen=True, slots=True)
class SizeCheck:
    """3D Spark API ``feasibility.size``; mm.

    ``size_min`` and ``size_max`` are the smallest and largest edge of the minimum-volume box.
    ``fits_mac`` is None when no machine was given.
    """

    fits_mac: bool | None
    size_lim_max: float | None
    size_lim_min: float | None
    size_max: float
    size_max_chk: bool | None
    size_min: float
    size_min_chk: bool | None


@dataclass(frozen=True, slots=True)
class Finding:
    """One design check: its value and limit (mm), the verdict, and in words.

    ``passed`` is None when the check could not be made; ``text`` then says why.
    """

    check: str
    value: float | None
    limit: float | None
    passed: bool | None
    text: str


@dataclass(frozen=True, slots=True)
class Feasibility:
    """3D Spark API ``feasibility`` block plus the orientation that fits the machine, if any.

    Attributes
    ----------
    gap_size, size, thickness : GapCheck, SizeCheck, ThicknessCheck
    fit_rotation : (3, 3) float64 or None
        A rotation (part coordinates to machine coordinates) that fits the build volume.

    """

    gap_size: GapCheck
    size: SizeCheck
    thickness: ThicknessCheck
    fit_rotation: FloatArray | None = None

    @property
    def passed(self) -> bool:
        """No check failed (checks that could not be made do not fail)."""
        checks = [
            self.gap_size.gap_min_chk,
            self.size.fits_mac,
            self.size.size_max_chk,
            self.size.size_min_chk,
            self.thickness.t_min_chk,
            self.thickness.t_max_chk,
        ]
        return all(c is not False for c in checks)

    @property
    def failures(self) -> tuple[str, ...]:
        """Names of the failed checks, in the API's field names."""
        named = {
            "gap_min_chk": self.gap_size.gap_min_chk,
            "fits_mac": self.size.fits_mac,
            "size_max_chk": self.size.size_max_chk,
            "size_min_chk": self.size.size_min_chk,
            "t_min_chk": self.thickness.t_min_chk,
            "t_max_chk": self.thickness.t_max_chk,
        }
        return tuple(name for name, ok in named.items() if ok is False)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every check with its value, limit and verdict, in the API's field order."""
        g, s, t = self.gap_size, self.size, self.thickness
        return (
            _finding("t_min_chk", "thinnest wall", t.t_min, t.t_lim_min, t.t_min_chk, "min"),
            _finding("t_max_chk", "thickest wall", t.t_max, t.t_lim_max, t.t_max_chk, "max"),
            _finding("gap_min_chk", "narrowest gap", g.gap_min, g.gap_lim_min, g.gap_min_chk, "min"),
            _finding("size_min_chk", "smallest box edge", s.size_min, s.size_lim_min, s.size_min_chk, "min"),
            _finding("size_max_chk", "largest box edge", s.size_max, s.size_lim_max, s.size_max_chk, "max"),
            Finding(
                "fits_mac",
                None,
                None,
                s.fits_mac,
                "fits the machine"
                if s.fits_mac
                else ("no machine to fit" if s.fits_mac is None else "fits no orientation in the machine"),
            ),
        )


def _finding(
    check: str, what: str, value: float | None, limit: float | None, passed: bool | None, side: str
) -> Finding:
    bound = "min" if side == "min" else "max"
    if passed is None:
        why = "no limit for this material" if limit is None else "nothing to measure"
        if check == "gap_min_chk" and value is None and limit is not None:
            why = "the part has no gap"
        return Finding(check, value, limit, None, f"{what} not checked: {why}")
    if value is None or limit is None:
        return Finding(check, value, limit, passed, f"{what}: none to check (ok)")
    verdict = "ok" if passed else "too small" if side == "min" else "too large"
    return Finding(check, value, limit, passed, f"{what} {value:.3g} mm ({bound} {limit:g} mm): {verdict}")


def _at_least(value: float | None, limit: float | None) -> bool | None:
    if value is None or limit is None:
        return None
    return value >= limit - limit_tolerance(limit)


def _at_most(value: float | None, limit: float | None) -> bool | None:
    if value is None or limit is None:
        return None
    return value <= limit + limit_tolerance(limit)


def check_design(
    part: Part | PreparedPart,
    thickness: ThicknessReport,
    material: DesignLimits,
    machine: HasBuildVolume | BuildVolume | None = None,
    *,
    box: OrientedBox | None = None,
) -> Feasibility:
    """Check a part against a material's design limits and a machine's build volume.

    Parameters
    ----------
    part : Part or PreparedPart
        The part measured (prepared: its convex hull is reused).
    thickness : ThicknessReport
        From :func:`makeready.measure` on the same part.
    material : DesignLimits
        Any object with ``t_lim_min``, ``t_lim_max``, ``gap_lim_min``, ``size_lim_min`` and
        ``size_lim_max`` (mm or None).
    machine : object with ``build_volume``, or BuildVolume, optional
        Without one, ``fits_mac`` is None.
    box : OrientedBox, optional
        The part's minimum-volume box, if already computed (``AnalysisReport.metrics``).

    Returns
    -------
    Feasibility

    """
    hull = prepared(part).hull
    if box is None:
        box = oriented_box(hull, hull) if len(hull) else OrientedBox(np.eye(3), np.zeros(3), np.zeros(3))
    size_min, size_max = float(box.extents.min()), float(box.extents.max())
    volume = machine if isinstance(machine, BuildVolume) or machine is None else machine.build_volume
    fits: bool | None = None
    rotation = None
    if volume is not None:
        rotation = fits_build_volume(hull, volume, box)
        fits = rotation is not None
    gap_chk = True if thickness.gap_min is None and material.gap_lim_min is not None else None
    if thickness.gap_min is not None:
        gap_chk = _at_least(thickness.gap_min, material.gap_lim_min)
    return Feasibility(
        gap_size=GapCheck(material.gap_lim_min, thickness.gap_min, gap_chk),
        size=SizeCheck(
            fits_mac=fits,
            size_lim_max=material.size_lim_max,
            size_lim_min=material.size_lim_min,
            size_max=size_max,
            size_max_chk=_at_most(size_max, material.size_lim_max),
            size_min=size_min,
            size_min_chk=_at_least(size_min, material.size_lim_min),
        ),
        thickness=ThicknessCheck(
            t_lim_min=material.t_lim_min,
            t_lim_max=material.t_lim_max,
            t_min=thickness.t_min,
            t_min_chk=_at_least(thickness.t_min, material.t_lim_min),
            t_max=thickness.t_max,
            t_max_chk=_at_most(thickness.t_max, material.t_lim_max),
        ),
        fit_rotation=rotation,
    )


def _points(part: Part) -> FloatArray:
    used = [b.vertices[np.unique(b.faces)] for b in part.bodies if b.triangle_count]
    return np.concatenate(used) if used else np.zeros((0, 3))


def fits_build_volume(
    hull: FloatArray, volume: BuildVolume, box: OrientedBox | None = None
) -> FloatArray | None:
    """Find a rotation that puts the points inside the build volume, if one exists.

    Parameters
    ----------
    hull : (k, 3) float64, mm
        Convex hull vertices of the part (any superset of them works, only slower).
    volume : BuildVolume
        The machine's build space.
    box : OrientedBox, optional
        Minimum-volume box of the points; tried first, edge to edge with the build space.

    Returns
    -------
    (3, 3) float64 or None
        Rows map part coordinates to machine axes; None when no tried orientation fits.

    Notes
    -----
    First the box's edges are matched to the build space's (longest to longest), then 4,096
    orientations drawn uniformly over all rotations (seeded, so results repeat) plus a local search
    around the best one: a long part may fit only along a diagonal. Each orientation is
    scored on at most 400 hull points, then confirmed on all of them.

    """
    if not len(hull):
        return np.eye(3)
    if box is None:
        box = oriented_box(hull, hull)
    centred = hull - hull.mean(axis=0)
    coarse = centred if len(centred) <= _HULL_POINTS else centred[_spread(len(centred), _HULL_POINTS)]
    first = _box_candidates(box, volume)
    quick = _slack(centred, first, volume)
    if quick.max() >= 0:  # the box fits edge to edge: no search needed
        found: FloatArray = first[int(np.argmax(quick))]
        return found
    candidates = np.concatenate([first, Rotation.random(_ROTATIONS, random_state=7).as_matrix()])
    slack = _slack(coarse, candidates, volume)
    best = int(np.argmax(slack))
    for scale in (0.2, 0.05, 0.01):
        if slack[best] >= 0:
            break
        local = Rotation.random(256, random_state=11).as_rotvec() * scale
        nearby = Rotation.from_rotvec(local).as_matrix() @ candidates[best]
        local_slack = _slack(coarse, nearby, volume)
        if local_slack.max() > slack[best]:
            candidates = np.concatenate([candidates, nearby[[int(np.argmax(local_slack))]]])
            slack = np.append(slack, local_slack.max())
            best = len(candidates) - 1
    order = np.argsort(-slack)[:16]
    for i in order:
        if slack[i] < -limit_tolerance(max(volume.x, volume.z)):
            break
        full = _slack(centred, candidates[[i]], volume)
        if full[0] >= 0:
            result: FloatArray = candidates[i]
            return result
    return None


def _spread(n: int, k: int) -> npt.NDArray[np.int64]:
    return np.linspace(0, n - 1, k).astype(np.int64)


def _box_candidates(box: OrientedBox, volume: BuildVolume) -> FloatArray:
    """The box's axes laid along the machine axes, longest box edge to longest machine edge."""
    machine_order = np.argsort([volume.x, volume.y, volume.z])
    rows = np.empty((3, 3))
    rows[machine_order] = box.rotation  # box.rotation rows are sorted by ascending extent
    flips = [np.diag(s) for s in ([1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1])]
    stand_up = rows[[0, 2, 1]] * np.array([[1.0], [1.0], [-1.0]])  # also try the long edge up
    result: FloatArray = np.stack([f @ r for r in (rows, stand_up) for f in flips])
    # Matching rows may have produced a reflection; flipping one axis keeps every extent.
    result[np.linalg.det(result) < 0, 2] *= -1.0
    return result


def _slack(points: FloatArray, rotations: FloatArray, volume: BuildVolume) -> FloatArray:
    """Smallest margin (mm) left in the build volume by each rotation; negative = too big."""
    out = np.empty(len(rotations))
    tol = limit_tolerance(max(volume.x, volume.y, volume.z))
    step = max(1, 2_000_000 // max(3 * len(points), 1))
    for lo in range(0, len(rotations), step):
        rot = rotations[lo : lo + step]
        local = np.matmul(points[None], rot.transpose(0, 2, 1))  # (r, k, 3), batched BLAS
        extent = local.max(axis=1) - local.min(axis=1)
        if volume.shape == "cartesian":
            margin = np.array([volume.x, volume.y, volume.z]) - extent
            out[lo : lo + step] = margin.min(axis=1) + tol
            continue
        height = volume.z - extent[:, 2]
        radius = shapely.minimum_bounding_radius(shapely.multipoints(local[:, :, :2]))
        out[lo : lo + step] = np.minimum(height, volume.x / 2.0 - np.asarray(radius)) + tol
    return out
