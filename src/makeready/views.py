"""The analysis and repair results in the JSON shapes of the two external APIs, plus a full report.

* :func:`problems_json` — 3D Print API's ``problems`` list (print preparation): per problem type
  the located triangles ``{"v0", "v1", "v2"}``, vertices ``[x, y, z]``, edges ``{"v0", "v1"}``
  or boundaries (lists of positions), capped at 200 entries (600 vertices), with the total
  ``count`` beside them.
* :func:`mesh_checks_json` — 3D Spark API's ``mesh_checks`` block (manufacturing analysis).
* :func:`analysis_json` and :func:`repair_json` — everything, for ``--json`` and the API.
* :func:`feasibility_json` — 3D Spark API's ``feasibility`` block (``gap_size``, ``size``,
  ``thickness``) and :func:`thickness_json` — the thickness report with located regions.

Positions are in the part's coordinates, mm (3D Print API clients that want cm divide by 10).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from makeready.catalog import CostingConfig, Machine, Material, record_id
from makeready.geometry.vocabulary import ACTION_TITLES, ALL_TYPES, PROBLEM_TYPES

if TYPE_CHECKING:  # the renderers name the geometry's results; they need not load its code
    from makeready.geometry.analysis import AnalysisReport
    from makeready.geometry.design_rules import Feasibility
    from makeready.geometry.mesh import Part
    from makeready.geometry.metrics import Metrics
    from makeready.geometry.orientation import Orientation
    from makeready.geometry.problems import BodyAnalysis, Problem
    from makeready.geometry.repair import RepairReport
    from makeready.geometry.supports import SupportPlan
    from makeready.geometry.thickness import Region, ThicknessReport
    from makeready.units import UnitsWarning

__all__ = [
    "analysis_json",
    "costing_config_json",
    "feasibility_json",
    "machine_json",
    "material_json",
    "mesh_checks_json",
    "metrics_json",
    "orientation_json",
    "problems_json",
    "repair_json",
    "support_plan_json",
    "thickness_json",
    "units_warning_json",
]

LOCATION_CAP = 200
VERTEX_CAP = 600

_TOOLTIPS = {
    "Watertight": "Fails if the surface has holes or edges shared by more than two triangles.",
    "Winding Consistent": "Fails if neighbouring triangles disagree on which side is outside.",
    "Valid Volume": "Fails unless every body encloses a positive volume with a closed, consistent surface.",
    "Unambiguous Mesh": "Fails if there are multiple (possibly different) meshes mapping the same geometry.",
}
_ACTIONS = {
    "Watertight": "Repair the mesh: fill holes and split non-manifold edges.",
    "Winding Consistent": "Repair the mesh: fix the winding of flipped triangles.",
    "Valid Volume": "Repair the mesh, or check that the part is a closed solid.",
    "Unambiguous Mesh": "Export one mesh per solid, without copies of the same geometry.",
}
#: The API's three repair actions, always present, then any other action that ran.
_WIRE_ACTIONS = ("winding", "inversion", "decimate")


def _xyz(point: np.ndarray) -> list[float]:
    return [float(x) for x in point]


def _problem_locations(problem: Problem, body_vertices: np.ndarray, faces: np.ndarray) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": problem.type, "count": problem.count}
    if problem.type in ("nonmanifold_vertices", "duplicate_vertices"):
        entry["vertices"] = [_xyz(body_vertices[v]) for v in problem.vertices[:VERTEX_CAP]]
    elif problem.type == "inconsistently_oriented_triangles":
        entry["edges"] = [
            {"v0": _xyz(body_vertices[a]), "v1": _xyz(body_vertices[b])}
            for a, b in problem.edges[:LOCATION_CAP]
        ]
    elif problem.type == "holes":
        budget = VERTEX_CAP
        boundaries = []
        for loop in problem.loops[:LOCATION_CAP]:
            if budget <= 0:
                break
            boundaries.append([_xyz(body_vertices[v]) for v in loop[:budget]])
            budget -= len(loop)
        entry["boundaries"] = boundaries
    else:
        entry["triangles"] = [
            {f"v{k}": _xyz(body_vertices[faces[f, k]]) for k in range(3)}
            for f in problem.faces[:LOCATION_CAP]
        ]
    return entry


def problems_json(report: AnalysisReport, *, include_self_intersections: bool = True) -> list[dict[str, Any]]:
    """3D Print API ``problems``: one entry per problem type present, over all bodies.

    Locations of all bodies are pooled in body order, then capped.
    """
    types = ALL_TYPES if include_self_intersections else PROBLEM_TYPES
    out = []
    for t in types:
        total = sum(b.problems[t].count for b in report.bodies)
        if total == 0:
            continue
        merged: dict[str, Any] = {"type": t, "count": total}
        for body_report, body in zip(report.bodies, report.part.bodies, strict=True):
            p = body_report.problems[t]
            if p.count == 0:
                continue
            for key, value in _problem_locations(p, body.vertices, body.faces).items():
                if isinstance(value, list):
                    cap = VERTEX_CAP if key == "vertices" else LOCATION_CAP
                    merged.setdefault(key, [])
                    merged[key] = (merged[key] + value)[:cap]
        out.append(merged)
    return out


def _check(passed: bool | None, name: str) -> dict[str, Any]:
    return {
        "check_passed": passed,
        "suggested_user_action": "" if passed or passed is None else _ACTIONS[name],
        "tooltip_hover_text": _TOOLTIPS[name],
    }


def _mesh_block(report: AnalysisReport) -> dict[str, Any]:
    return {
        "Valid Volume": _check(report.valid_volume, "Valid Volume"),
        "Watertight": _check(report.watertight, "Watertight"),
        "Winding Consistent": _check(report.winding_consistent, "Winding Consistent"),
    }


def unambiguous(report: AnalysisReport) -> bool:
    """False when two bodies, or two shells of a body, are copies of the same geometry.

    Two bodies count as the same geometry when their bounding boxes agree within 0.1 % of the
    part's diagonal and their volumes and areas within 0.1 %; inside one body, duplicated
    triangles map the same surface twice.
    """
    bodies = [b for b in report.bodies if b.triangle_count]
    diag = float(np.linalg.norm(report.metrics.extents)) or 1.0
    for i, a in enumerate(bodies):
        for b in bodies[i + 1 :]:
            same_box = np.abs(a.metrics.bounds - b.metrics.bounds).max() <= 1e-3 * diag
            same_size = np.isclose(a.metrics.volume, b.metrics.volume, rtol=1e-3) and np.isclose(
                a.metrics.area, b.metrics.area, rtol=1e-3
            )
            if same_box and same_size:
                return False
    return all(b.problems["duplicate_triangles"].count == 0 for b in bodies)


def mesh_checks_json(
    upload: AnalysisReport, repaired: AnalysisReport | None = None, repair: RepairReport | None = None
) -> dict[str, Any]:
    """3D Spark API ``mesh_checks``: checks of the uploaded file, of the analysis mesh, and repair actions.

    Parameters
    ----------
    upload : AnalysisReport
        Analysis of the file as uploaded.
    repaired : AnalysisReport, optional
        Analysis of the mesh the costing runs on (the repaired one); defaults to ``upload``.
    repair : RepairReport, optional
        Fills ``actions_performed_on_initial_mesh``: ``check_passed`` is true when the step
        changed something, null when it was not needed.

    """
    analysis_mesh = repaired if repaired is not None else upload
    actions: dict[str, Any] = {}
    counts = {a.action: a for a in repair.actions} if repair else {}
    names = list(_WIRE_ACTIONS) + [a for a in counts if a not in _WIRE_ACTIONS]
    for action in names:
        done = counts.get(action)
        performed = done is not None and done.count > 0
        actions[ACTION_TITLES[action]] = {
            "check_passed": True if performed else None,
            "suggested_user_action": "Not required." if not performed else "",
            "tooltip_hover_text": done.detail if performed and done else "",
        }
    upload_block = {
        "Unambiguous Mesh": _check(unambiguous(upload), "Unambiguous Mesh"),
        **_mesh_block(upload),
    }
    return {
        "actions_performed_on_initial_mesh": actions,
        "analysis_mesh": _mesh_block(analysis_mesh),
        "upload_file": upload_block,
    }


def metrics_json(metrics: Metrics) -> dict[str, Any]:
    """Metrics with the 3D Spark API field names where they exist.

    3D Spark API gives lengths in mm but ``part_vol`` in cm³ and ``part_srf_area`` in cm² (its
    sample part: an 86 × 110 × 91 mm box, part_vol 245, part_mass 1949 g of 316L); the same
    values in mm³ / mm² are in ``volume_mm3`` / ``area_mm2``.
    """
    box = metrics.oriented_box
    return {
        "part_vol": metrics.volume / 1000.0,
        "part_srf_area": metrics.area / 100.0,
        "volume_mm3": metrics.volume,
        "area_mm2": metrics.area,
        "bb_x": float(metrics.extents[0]),
        "bb_y": float(metrics.extents[1]),
        "bb_z": float(metrics.extents[2]),
        "min_bb_x": float(box.extents[0]),
        "min_bb_y": float(box.extents[1]),
        "min_bb_z": float(box.extents[2]),
        "min_bb_rotation": box.rotation.tolist(),
        "min_bb_center": _xyz(box.center),
        "bounding_box": {"min": _xyz(metrics.bounds[0]), "max": _xyz(metrics.bounds[1])},
        "convex_hull_vol": metrics.hull_volume,
        "convex_hull_exact": metrics.hull_exact,
        "centroid": _xyz(metrics.centroid),
        "euler_characteristic": metrics.euler_characteristic,
        "genus": metrics.genus,
    }


def brep_json(part: Part) -> dict[str, Any] | None:
    """The exact B-rep properties of a STEP part beside its mesh's, or None for mesh formats.

    Units as in :func:`metrics_json`: ``part_vol`` cm³ and ``part_srf_area`` cm² (3D Spark
    analysis API), ``volume_mm3``/``area_mm2`` and the centre of mass in mm.
    ``mesh_volume_deviation_mm3`` is the mesh's volume minus the B-rep's; the tessellation
    bounds it by about ``area x tolerance`` (``volume_bound_mm3``).
    """
    brep = part.brep
    if brep is None:
        return None
    volume = brep.volume
    return {
        "closed": brep.closed,
        "part_vol": None if volume is None else volume / 1000.0,
        "part_srf_area": brep.area / 100.0,
        "volume_mm3": volume,
        "area_mm2": brep.area,
        "center_of_mass": None if brep.center is None else list(brep.center),
        "tessellation_tolerance_mm": brep.tolerance,
        "mesh_volume_deviation_mm3": None if volume is None else part.volume - volume,
        "volume_bound_mm3": brep.area * brep.tolerance,
    }


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


def repair_json(report: RepairReport) -> dict[str, Any]:
    """The repair: actions with counts, volumes before/after, what is left, and the API's checks."""
    return {
        "succeeded": report.succeeded,
        "bodies_kept": report.bodies_kept,
        "volume_before": report.volume_before,
        "volume_after": report.volume_after,
        "actions": [
            {"action": a.action, "title": a.title, "count": a.count, "detail": a.detail}
            for a in report.actions
        ],
        "notes": list(report.notes),
        "remaining": report.remaining,
        "before": analysis_json(report.before),
        "after": analysis_json(report.after),
        "mesh_checks": mesh_checks_json(report.before, report.after, report),
    }


def feasibility_json(feasibility: Feasibility) -> dict[str, Any]:
    """3D Spark API's ``feasibility`` block, field for field (mm; a check that cannot be made is null)."""
    gap, size, thick = feasibility.gap_size, feasibility.size, feasibility.thickness
    return {
        "gap_size": {"gap_lim_min": gap.gap_lim_min, "gap_min": gap.gap_min, "gap_min_chk": gap.gap_min_chk},
        "size": {
            "fits_mac": size.fits_mac,
            "size_lim_max": size.size_lim_max,
            "size_lim_min": size.size_lim_min,
            "size_max": size.size_max,
            "size_max_chk": size.size_max_chk,
            "size_min": size.size_min,
            "size_min_chk": size.size_min_chk,
        },
        "thickness": {
            "t_lim_min": thick.t_lim_min,
            "t_max": thick.t_max,
            "t_max_chk": thick.t_max_chk,
            "t_min": thick.t_min,
            "t_min_chk": thick.t_min_chk,
        },
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
        "worst": _xyz(region.worst),
        "centre": _xyz(region.centre),
        "area": region.area,
        "bodies": bodies,
    }


def _finite_or_none(values: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in values]


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
            {"name": b.name, "thickness": _finite_or_none(b.thickness), "gap": _finite_or_none(b.gap)}
            for b in report.bodies
        ]
    return out


def support_plan_json(plan: SupportPlan) -> dict[str, Any]:
    """3D Spark API's support and build figures for one orientation.

    Wire units: lengths mm, ``sup_vol_*`` cm³, ``sup_srf_area`` cm², ``sup_mass`` g (its sample:
    sup_vol_real 3.03 × 7.98 g/cm³ = sup_mass 24.1 g); ``*_mm3`` / ``*_mm2`` repeat them in mm.
    """
    return {
        "bld_h": plan.build_height,
        "n_lyr": plan.layer_count,
        "or_bb_x": float(plan.extents[0]),
        "or_bb_y": float(plan.extents[1]),
        "or_bb_z": float(plan.extents[2]),
        "sup_vol_full": plan.support_volume / 1000.0,
        "sup_vol_real": plan.support_material_volume / 1000.0,
        "sup_srf_area": plan.support_area / 100.0,
        "sup_mass": plan.support_mass,
        "sup_vol_full_mm3": plan.support_volume,
        "sup_vol_real_mm3": plan.support_material_volume,
        "overhang_area_mm2": plan.overhang_area,
        "rotation": plan.rotation.tolist(),
    }


def orientation_json(orientation: Orientation) -> dict[str, Any]:
    """One orientation: 3D Spark API's ``rot_cost_euler`` (extrinsic x, y, z, degrees) and plan figures.

    ``rot_x_cost`` … are the same angles in [0, 360); the API does not define them further.
    """
    x, y, z = (float(a) for a in orientation.euler_xyz)
    return {
        "rot_cost_euler": {"x": x, "y": y, "z": z},
        "rot_x_cost": x % 360.0,
        "rot_y_cost": y % 360.0,
        "rot_z_cost": z % 360.0,
        **support_plan_json(orientation.plan),
        "down": _xyz(orientation.down),
        "score": orientation.score,
        "full_mesh": orientation.full_mesh,
    }


def _record_json(record: Any) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in dataclasses.asdict(record).items()}


def machine_json(machine: Machine) -> dict[str, Any]:
    """3D Spark API's machine record (``GET /api/v1/machine/<mac_id>/``) with every model field."""
    return {
        "mac_id": record_id("machine", machine.mac_name),
        "owner_username": None,
        "restriction": None,
        **_record_json(machine),
    }


def material_json(material: Material) -> dict[str, Any]:
    """3D Spark API's material record (``GET /api/v1/material/<mat_id>/``)."""
    body = _record_json(material)
    return {
        "mat_id": record_id("material", material.mat_name),
        "owner_username": None,
        "restriction": None,
        "tech": "additive_manufacturing" if material.properties_am else "conventional",
        **body,
    }


def costing_config_json(config: CostingConfig) -> dict[str, Any]:
    """3D Spark API's costing configuration (``GET /api/v1/default-costing-config/``)."""
    return {"costing_config_id": record_id("costing_config"), **_record_json(config)}


def units_warning_json(units: UnitsWarning) -> dict[str, Any]:
    """A units warning as the report lists it (mm)."""
    return {
        "code": units.code,
        "message": units.message,
        "longest_edge_mm": units.longest_mm,
        "read_as": units.read_as,
        "likely_units": units.likely,
        "likely_longest_edge_mm": units.likely_mm,
    }
