"""The geometric facts the cost models use, for one part in one build orientation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from makeready.geometry.metrics import Metrics, RoundSection
from makeready.geometry.supports import SupportPlan
from makeready.geometry.types import FloatArray

__all__ = ["PartFeatures", "part_features"]


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
    wall : float
        Governing wall thickness for moulding cooling (the thickest section), mm.
    outline : shapely Polygon, optional
        Footprint on the plate in the build orientation; parts per job then come from a
        lattice of true outlines instead of boxes.
    round_section : RoundSection, optional
        The axis of the minimum box the part is roundest around (turning); None when not
        measured (features made by hand): turning then judges by the box edges alone.

    """

    volume: float
    area: float
    hull_volume: float
    extents: FloatArray
    min_box: FloatArray
    support_volume: float
    support_area: float
    build_height: float
    wall: float
    outline: Any = None  # shapely polygon of the footprint on the plate (build orientation), mm
    round_section: RoundSection | None = None

    @property
    def footprint(self) -> float:
        """Area of the plate rectangle the part needs, mm²."""
        return float(self.extents[0] * self.extents[1])


def part_features(
    metrics: Metrics, plan: SupportPlan, *, wall: float | None = None, hull: FloatArray | None = None
) -> PartFeatures:
    """Costing features of a part (its :class:`Metrics`) in the orientation of ``plan``.

    Parameters
    ----------
    metrics : Metrics
        Size and shape of the part (``AnalysisReport.metrics``).
    plan : SupportPlan
        Support plan of the build orientation.
    wall : float, mm, optional
        Governing wall thickness (``ThicknessReport.t_max``); default half the smallest box edge.
    hull : (k, 3) float64, optional
        Convex hull points of the part; its projection becomes ``outline`` (convex, so never
        smaller than the true footprint).

    """
    box = np.asarray(metrics.oriented_box.extents, np.float64)
    return PartFeatures(
        volume=abs(metrics.volume),
        area=metrics.area,
        hull_volume=metrics.hull_volume,
        extents=np.asarray(plan.extents, np.float64),
        min_box=box,
        support_volume=plan.support_volume,
        support_area=plan.support_area,
        build_height=plan.build_height,
        wall=float(wall) if wall else float(box[0]) / 2.0,
        outline=_projected_hull(hull, plan.rotation) if hull is not None and len(hull) >= 3 else None,
        round_section=metrics.round_section,
    )


def _projected_hull(hull: FloatArray, rotation: FloatArray) -> Any:
    """The footprint: the convex outline of the hull points turned by ``rotation``, on the plate.

    Qhull finds the outline's corners among the (often tens of thousands of) projected points;
    GEOS then builds its polygon from those few, so the outline is exactly the one
    ``shapely.convex_hull`` gives of all the points (building a shapely point per input point
    cost 30-40 ms per orientation on a 40,000-vertex sphere, most of a quote's time).
    """
    import shapely
    from scipy.spatial import ConvexHull, QhullError

    flat = np.ascontiguousarray((hull @ np.asarray(rotation).T)[:, :2])
    try:
        corners = flat[ConvexHull(flat).vertices]
    except QhullError:  # (nearly) all on a line: Qhull refuses, GEOS decides on every point
        corners = flat
    outline = shapely.convex_hull(shapely.multipoints(corners))
    return outline if outline.geom_type == "Polygon" else None
