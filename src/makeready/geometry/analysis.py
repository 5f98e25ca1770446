"""``analyze(part)``: every body's problems and metrics, and the part's totals."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from makeready.geometry.mesh import Part
from makeready.geometry.metrics import Metrics, mesh_metrics
from makeready.geometry.problems import BodyAnalysis, analyze_body
from makeready.geometry.vocabulary import ALL_TYPES

__all__ = ["AnalysisReport", "analyze"]

#: Relative agreement of box (to the diagonal), volume and area at which two bodies are copies.
_SAME_GEOMETRY = 1e-3


@dataclass(frozen=True, slots=True)
class AnalysisReport:
    """Problems and metrics of a part.

    Attributes
    ----------
    part : Part
        The analysed part (locations in the report index its bodies).
    bodies : tuple of BodyAnalysis
        One per body, in the part's order.
    metrics : Metrics
        Over all bodies together (volume and area are sums; boxes and hull enclose all).

    """

    part: Part
    bodies: tuple[BodyAnalysis, ...]
    metrics: Metrics

    @property
    def counts(self) -> dict[str, int]:
        """Total count per problem type, over all bodies."""
        return {t: sum(b.problems[t].count for b in self.bodies) for t in ALL_TYPES}

    @property
    def shells(self) -> int:
        """Connected face sets over all bodies."""
        return sum(b.shells for b in self.bodies)

    @property
    def watertight(self) -> bool:
        """Every body watertight."""
        return bool(self.bodies) and all(b.watertight for b in self.bodies)

    @property
    def winding_consistent(self) -> bool:
        """Every body consistently wound."""
        return bool(self.bodies) and all(b.winding_consistent for b in self.bodies)

    @property
    def valid_volume(self) -> bool:
        """Every body encloses a positive volume with a sound surface."""
        return bool(self.bodies) and all(b.valid_volume for b in self.bodies)

    @property
    def is_clean(self) -> bool:
        """No problem in any body."""
        return all(b.is_clean for b in self.bodies)

    @property
    def unambiguous(self) -> bool:
        """False when two bodies, or two shells of a body, are copies of the same geometry.

        Two bodies count as the same geometry when their bounding boxes agree within 0.1 % of the
        part's diagonal and their volumes and areas within 0.1 %; inside one body, duplicated
        triangles map the same surface twice.
        """
        bodies = [b for b in self.bodies if b.triangle_count]
        diag = float(np.linalg.norm(self.metrics.extents)) or 1.0
        for i, a in enumerate(bodies):
            for b in bodies[i + 1 :]:
                same_box = np.abs(a.metrics.bounds - b.metrics.bounds).max() <= _SAME_GEOMETRY * diag
                same_size = np.isclose(
                    a.metrics.volume, b.metrics.volume, rtol=_SAME_GEOMETRY
                ) and np.isclose(a.metrics.area, b.metrics.area, rtol=_SAME_GEOMETRY)
                if same_box and same_size:
                    return False
        return all(b.problems["duplicate_triangles"].count == 0 for b in bodies)


def analyze(part: Part, *, self_intersections: bool = True) -> AnalysisReport:
    """Find every problem of every body of ``part`` and measure it.

    Parameters
    ----------
    part : Part
        The part to check; it is not modified.
    self_intersections : bool
        Search for intersecting triangle pairs (the slowest check: about a third of the time).

    Returns
    -------
    AnalysisReport

    """
    bodies = tuple(analyze_body(b, self_intersections=self_intersections) for b in part.bodies)
    if len(bodies) == 1:
        return AnalysisReport(part, bodies, bodies[0].metrics)
    vertices, faces = part.merged()
    metrics = mesh_metrics(
        vertices,
        faces,
        edge_count=sum(_edge_count(b) for b in bodies),
        shells=sum(b.shells for b in bodies),
        closed=all(b.metrics.genus is not None for b in bodies) and bool(bodies),
    )
    if bodies:
        # Volume is the sum over bodies (each computed about its own centre, hence exact).
        metrics = _replace_volume(metrics, float(np.sum([b.metrics.volume for b in bodies])))
    return AnalysisReport(part, bodies, metrics)


def _edge_count(body: BodyAnalysis) -> int:
    m = body.metrics
    return body.vertex_count + body.triangle_count - m.euler_characteristic


def _replace_volume(metrics: Metrics, volume: float) -> Metrics:
    from dataclasses import replace

    return replace(metrics, volume=volume)
