"""makeready's own JSON documents of an analysis, a repair and a thickness measurement.

These are what ``makeready info --json``, ``repair --json`` and ``thickness --json`` print and
what the API's full analysis report holds: every total, per-body detail, the 3D Print API's
``problems`` and the 3D Spark API's ``mesh_checks`` side by side. Lengths in mm, areas mm²,
volumes mm³ unless a 3D Spark API field name says otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from makeready.geometry.vocabulary import ALL_TYPES
from makeready.rendering.numbers import finite_list, xyz
from makeready.rendering.print_api import LOCATION_CAP, problems_json
from makeready.rendering.spark import brep_json, mesh_checks_json, metrics_json

if TYPE_CHECKING:
    from makeready.geometry.analysis import AnalysisReport
    from makeready.geometry.problems import BodyAnalysis
    from makeready.geometry.repair import RepairReport
    from makeready.geometry.thickness import Region, ThicknessReport

__all__ = ["analysis_json", "repair_actions_json", "repair_json", "thickness_json"]


def _body_json(body: BodyAnalysis) -> dict[str, Any]:
    return {
        "name": body.name,
        "triangles": body.triangle_count,
        "vertices": body.vertex_count,
        "shells": body.shells,
        "closed_shells": body.closed_shells,
        "boundary_edges": body.boundary_edges,
        "nonmanifold_edges": body.nonmanifold_edges,
        "watertight": body.watertight,
        "winding_consistent": body.winding_consistent,
        "valid_volume": body.valid_volume,
        "counts": {t: body.problems[t].count for t in ALL_TYPES},
        "metrics": metrics_json(body.metrics),
    }


def analysis_json(report: AnalysisReport) -> dict[str, Any]:
    """The whole analysis: totals, per-body details, 3D Print API problems and 3D Spark API checks."""
    return {
        "name": report.part.name,
        "triangles": report.part.triangle_count,
        "shells": report.shells,
        "watertight": report.watertight,
        "winding_consistent": report.winding_consistent,
        "valid_volume": report.valid_volume,
        "counts": report.counts,
        "metrics": metrics_json(report.metrics),
        "brep": brep_json(report.part),
        "bodies": [_body_json(b) for b in report.bodies],
        "problems": problems_json(report),
        "mesh_checks": mesh_checks_json(report),
    }


def repair_actions_json(report: RepairReport, *, applied_only: bool = False) -> list[dict[str, Any]]:
    """The repair's actions: ``action``, ``title``, ``count``, ``detail`` each.

    ``applied_only`` keeps those that changed something (what the 3D Print API's repaired mesh
    lists); ``makeready repair --json`` lists them all.
    """
    return [
        {"action": a.action, "title": a.title, "count": a.count, "detail": a.detail}
        for a in report.actions
        if a.count or not applied_only
    ]


def repair_json(report: RepairReport) -> dict[str, Any]:
    """The repair: actions with counts, volumes before/after, what is left, and the API's checks."""
    return {
        "succeeded": report.succeeded,
        "bodies_kept": report.bodies_kept,
        "volume_before": report.volume_before,
        "volume_after": report.volume_after,
        "actions": repair_actions_json(report),
        "notes": list(report.notes),
        "remaining": report.remaining,
        "before": analysis_json(report.before),
        "after": analysis_json(report.after),
        "mesh_checks": mesh_checks_json(report.before, report.after, report),
    }


def _region_json(region: Region) -> dict[str, Any]:
    bodies = []
    for body in np.unique(region.faces[:, 0]):
        ids = region.faces[region.faces[:, 0] == body, 1]
        bodies.append({"body": int(body), "faces": ids[:LOCATION_CAP].tolist(), "face_count": len(ids)})
    return {
        "category": region.category,
        "value": region.value,
        "extents": [float(v) for v in region.extents],
        "worst": xyz(region.worst),
        "centre": xyz(region.centre),
        "area": region.area,
        "bodies": bodies,
    }


def thickness_json(report: ThicknessReport, *, per_face: bool = False) -> dict[str, Any]:
    """The thickness report: robust extremes, located regions (faces capped at 200 per body).

    With ``per_face`` the per-face thickness and gap arrays (mm, null where unmeasured) are
    included per body, for heat maps.
    """
    out: dict[str, Any] = {
        "t_min": report.t_min,
        "t_max": report.t_max,
        "gap_min": report.gap_min,
        "thin_below": report.thin_below,
        "narrow_below": report.narrow_below,
        "thin_walls": [_region_json(r) for r in report.thin_walls],
        "thin_walls_total": report.thin_total,
        "narrow_gaps": [_region_json(r) for r in report.narrow_gaps],
        "narrow_gaps_total": report.narrow_total,
        "samples": report.samples,
        "measured": report.measured,
        "confidence": report.confidence,
        "engine": report.engine,
        "notes": list(report.notes),
    }
    if per_face:
        out["bodies"] = [
            {"name": b.name, "thickness": finite_list(b.thickness), "gap": finite_list(b.gap)}
            for b in report.bodies
        ]
    return out
