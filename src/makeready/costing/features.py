"""The geometric facts the cost models use, for one part in one build orientation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from makeready.geometry.mesh import Part
from makeready.geometry.metrics import convex_hull_points, hull_volume, oriented_box
from makeready.geometry.rays import unit_normals
from makeready.geometry.supports import SupportPlan
from makeready.geometry.thickness import stack_bodies

__all__ = ["PartFeatures", "part_features"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PartFeatures:
    """Geometry of one part for costing (mm, mm², mm³).

    Attributes
    ----------
    volume, area, hull_volume : float
    extents : (3,) float64
        Axis-aligned box in the build orientation (x, y on the plate, z up).
    min_box : (3,) float64
        Edges of the minimum-volume box, ascending (stock size for machining).
    support_volume, support_area : float
        Full support volume (mm³) and supported area (mm²) in the build orientation.
    build_height : float
        Build height including any bed standoff.
    side_area : float
        Projected vertical area ``Σ area × sin θ`` (contour scanning time), mm².
    wall : float
        Governing wall thickness for moulding cooling (the thickest section), mm.

    """

    volume: float
    area: float
    hull_volume: float
    extents: FloatArray
    min_box: FloatArray
    support_volume: float
    support_area: float
    build_height: float
    side_area: float
    wall: float

    @property
    def footprint(self) -> float:
        """Area of the plate rectangle the part needs, mm²."""
        return float(self.extents[0] * self.extents[1])


def part_features(part: Part, plan: SupportPlan, *, wall: float | None = None) -> PartFeatures:
    """Costing features of ``part`` in the orientation of ``plan``.

    Parameters
    ----------
    part : Part
        The part as uploaded.
    plan : SupportPlan
        Support plan of the build orientation (its rotation is used).
    wall : float, mm, optional
        Governing wall thickness (``ThicknessReport.t_max``); default half the smallest box edge.

    """
    vertices, faces, _ = stack_bodies(part)
    placed = vertices @ plan.rotation.T
    tri = placed[faces]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area_f = np.linalg.norm(cross, axis=1) / 2.0
    normals = unit_normals(placed, faces)
    side = float(np.sum(area_f * np.sqrt(np.clip(1.0 - normals[:, 2] ** 2, 0.0, 1.0))))
    hull, _ = convex_hull_points(vertices)
    box = oriented_box(vertices, hull)
    return PartFeatures(
        volume=abs(part.volume),
        area=float(area_f.sum()),
        hull_volume=hull_volume(hull),
        extents=placed.max(axis=0) - placed.min(axis=0),
        min_box=np.asarray(box.extents, np.float64),
        support_volume=plan.sup_vol_full,
        support_area=plan.sup_srf_area,
        build_height=plan.bld_h,
        side_area=side,
        wall=float(wall) if wall else float(box.extents[0]) / 2.0,
    )
