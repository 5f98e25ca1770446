"""The 3D Spark analysis API's wire shapes: the ``analysis_report``, its blocks and the catalog records.

Every 3D Spark API field name and unit conversion of makeready's results lives here. The API gives
lengths in mm but ``part_vol`` / ``scaled_part_volume`` / ``sup_vol_*`` in cm³ and
``part_srf_area`` / ``sup_srf_area`` in cm² (its sample part: an 86 × 110 × 91 mm box, part_vol
245, part_mass 1949 g of 316L), masses in g, machine and labour times as ``"HH:MM"``, lead
times in days, money in EUR.

* :func:`analysis_report` — the whole ``analysis_report`` of a quote (``QuoteResult``);
  :func:`simplified` — the API's simplified result of that report.
* :func:`mesh_checks_json`, :func:`metrics_json`, :func:`feasibility_json`, :func:`brep_json`,
  :func:`support_plan_json`, :func:`orientation_json`, :func:`units_warning_json` — its blocks.
* :func:`machine_json`, :func:`material_json`, :func:`costing_config_json` — catalog records.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from makeready.catalog import CostingConfig, Machine, Material, record_id
from makeready.geometry.vocabulary import ACTION_TITLES
from makeready.rendering.numbers import finite, hhmm, xyz

if TYPE_CHECKING:  # the renderers name the workflows' and geometry's results; they need not load their code
    from makeready.geometry.analysis import AnalysisReport
    from makeready.geometry.design_rules import Feasibility
    from makeready.geometry.mesh import Part
    from makeready.geometry.metrics import Metrics
    from makeready.geometry.orientation import Orientation
    from makeready.geometry.repair import RepairReport
    from makeready.geometry.supports import SupportPlan
    from makeready.units import UnitsWarning
    from makeready.workflows.quote import ChainResult, QuoteResult

__all__ = [
    "SIMPLIFIED_KEYS",
    "analysis_report",
    "brep_json",
    "costing_config_json",
    "feasibility_json",
    "machine_json",
    "material_json",
    "mesh_checks_json",
    "metrics_json",
    "orientation_json",
    "simplified",
    "support_plan_json",
    "units_warning_json",
]


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
        "Unambiguous Mesh": _check(upload.unambiguous, "Unambiguous Mesh"),
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
        "min_bb_center": xyz(box.center),
        "bounding_box": {"min": xyz(metrics.bounds[0]), "max": xyz(metrics.bounds[1])},
        "convex_hull_vol": metrics.hull_volume,
        "convex_hull_exact": metrics.hull_exact,
        "centroid": xyz(metrics.centroid),
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
        "down": xyz(orientation.down),
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


def _break_even_json(quote: QuoteResult) -> dict[str, Any]:
    """The primary chain's ``break_even`` block: cost per part of both sides over the swept lots."""
    curve = quote.break_even
    if curve is None:
        return {"lot_sizes": [], "cost_pp": [], "cost_pp_conventional": [], "break_even_lot": None}
    sweep = curve.sweep
    return {
        "lot_sizes": list(sweep.lots),
        "cost_pp": list(sweep.cost_per_part),
        "cost_pp_conventional": list(sweep.other_cost_per_part),
        "conventional_technology": curve.conventional_technology,
        "conventional_at": list(curve.conventional_at),
        "am_cheaper": list(sweep.cheaper),
        "break_even_lot": sweep.lot,
        "crossings": list(sweep.crossings),
    }


def _chain_json(quote: QuoteResult, result: ChainResult, warnings: list[dict[str, Any]]) -> dict[str, Any]:
    e, plan, mac = result.estimate, result.plan, result.machine
    scores = quote.scores[result.chain_id]
    euler = result.orientation.euler_xyz if result.orientation is not None else np.zeros(3)
    x, y, z = (float(a) for a in euler)
    box = sorted(float(v) for v in result.features.min_box)
    market = {
        "market_price_pj": {"calculated": finite(e.market_price_pj), "user": None},
        "market_price_pl": {"calculated": finite(e.market_price_pl), "user": None},
        "market_price_pp": {"calculated": finite(e.market_price_pp), "user": None},
    }
    return {
        "bld_h": plan.build_height,
        "break_even": _break_even_json(quote) if result is quote.primary else {},
        "co2": {
            "co2_pp": finite(e.co2_kg_pp),
            "co2_pl": finite(e.co2_kg_pp * e.lot_size),
            "unit": "kg CO2e",
            "grid": quote.config.grid,
        },
        "cost": {
            "cost_pj": finite(e.cost_per_job),
            "cost_pl": finite(e.cost_per_lot),
            "cost_pp": finite(e.cost_per_part),
        },
        "cost_bd": {
            "cost_bd_pp_main": finite(e.main_process_cost),
            "cost_bd_pp_mat": finite(e.material_cost),
            "cost_bd_pp_post": finite(e.post_process_cost),
            "cost_bd_pp_pre": finite(e.pre_process_cost),
        },
        "cost_ini_pp": finite(result.initial.cost_per_part),
        "costing_config_id": record_id("costing_config"),
        "feasibility": feasibility_json(result.feasibility),
        "fits_mac": bool(e.feasible and result.feasibility.size.fits_mac),
        "float_feasibilities": {
            "economic": scores.economic,
            "leadtime": scores.leadtime,
            "overall": scores.overall,
            "technical": scores.technical,
        },
        "has_scaling": False,
        "infeasible_reason": result.verdict or None,
        "checks": [
            {"check": f.check, "value": f.value, "limit": f.limit, "passed": f.passed, "text": f.text}
            for f in result.feasibility.findings
        ],
        "labor": {
            "labor_pj": hhmm(e.labour_h_pj),
            "labor_pl": hhmm(e.labour_h_pl),
            "labor_pp": hhmm(e.labour_h_pp),
        },
        "leadtime": e.leadtime_days,
        "mac_id": record_id("machine", mac.mac_name),
        "mac_t": {
            "mac_t_pj": hhmm(e.machine_h_pj),
            "mac_t_pl": hhmm(e.machine_h_pl),
            "mac_t_pp": hhmm(e.machine_h_pp),
        },
        "machine_bld_size_x": mac.bld_size_x,
        "machine_bld_size_y": mac.bld_size_y,
        "machine_bld_size_z": mac.bld_size_z,
        "machine_name": mac.mac_name,
        "margin_user_value": None,
        "market_price": market,
        "mat_id": record_id("material", result.material.mat_name),
        "material_name": result.material.mat_name,
        "n_lyr": plan.layer_count,
        "name": f"{result.process.prc_acronym.upper()} | {result.material.mat_name}",
        "nst_style": e.nesting,
        "notes": list(e.notes),
        "opt_style": "alpha_beta_gamma",
        "or_bb_x": float(plan.extents[0]),
        "or_bb_y": float(plan.extents[1]),
        "or_bb_z": float(plan.extents[2]),
        "part_mass": result.features.volume * result.material.mat_rho / 1000.0,
        "parts_pj": e.parts_per_job,
        "prc": result.process.prc,
        "prc_acronym": result.process.prc_acronym,
        "process_chain_id": result.chain_id,
        "process_chain_stat": {"feasible": result.feasible},
        "process_steps": {
            s.name: {
                "labour_h_per_part": s.labour_h_per_part,
                "labour_h_per_job": s.labour_h_per_job,
                "cost_per_job": s.cost_per_job,
            }
            for s in result.process.post_steps
        },
        "rot_cost_euler": {"x": x, "y": y, "z": z},
        "rot_x_cost": x % 360.0,
        "rot_y_cost": y % 360.0,
        "rot_z_cost": z % 360.0,
        "scale": [1, 1, 1],
        "scaled_bounding_box": [float(v) for v in plan.extents],
        "scaled_minimal_bounding_box": box,
        "scaled_oriented_bounding_box": [float(v) for v in plan.extents],
        "scaled_part_volume": result.features.volume / 1000.0,
        "sup_mass": plan.support_mass,
        "sup_srf_area": plan.support_area / 100.0,
        "sup_vol_full": plan.support_volume / 1000.0,
        "sup_vol_real": plan.support_material_volume / 1000.0,
        "tech": result.process.tech,
        "warnings": warnings,
    }


def analysis_report(quote: QuoteResult) -> dict[str, Any]:
    """The 3D Spark API's ``analysis_report`` of a quote (:func:`makeready.run_analysis`)."""
    part, analysis, thickness = quote.part, quote.analysis, quote.thickness
    primary, baseline = quote.primary, quote.baseline
    metrics = metrics_json(analysis.metrics)
    current_cost = baseline.estimate.cost_per_lot if baseline else None
    current_lead = baseline.estimate.leadtime_days if baseline else None
    warnings = [units_warning_json(quote.units)] if quote.units is not None else []
    chains = {r.chain_id: _chain_json(quote, r, warnings) for r in quote.chains}
    report: dict[str, Any] = {
        "assets": {},
        "basename": part.name,
        "bb_x": metrics["bb_x"],
        "bb_y": metrics["bb_y"],
        "bb_z": metrics["bb_z"],
        "cad_stat": {
            "bodies": len(part.bodies),
            "triangles": part.triangle_count,
            "source_format": part.source_format,
            "brep": brep_json(part),
        },
        "categories": {
            "combo_categories": {"am_suitable": primary.feasible},
            "text_categories": {"material_group": primary.material.mat_lvl_2_name},
        },
        "cost_saved": quote.cost_saved,
        "created_date": quote.created.strftime("%d.%m.%Y"),
        "creator": quote.creator,
        "current_cost": {"calculated": current_cost, "used": None, "user": None},
        "current_leadtime": {"calculated": current_lead, "used": None, "user": None},
        "current_mat": baseline.material.mat_name if baseline else "",
        "current_technology": baseline.process.prc_acronym if baseline else "",
        "gap_min": thickness.gap_min,
        "info": "",
        "is_assembly": len(part.bodies) > 1,
        "leadtime_saved": quote.leadtime_saved,
        "loc_bat": False,
        "lot_size": quote.lot_size,
        "market_prices_api": {},
        "mesh_checks": mesh_checks_json(quote.upload, analysis, quote.repair),
        "min_bb_x": metrics["min_bb_x"],
        "min_bb_y": metrics["min_bb_y"],
        "min_bb_z": metrics["min_bb_z"],
        "name": quote.name,
        "parent_assembly": None,
        "part_id": quote.part_id,
        "part_srf_area": metrics["part_srf_area"],
        "part_stat": "unset",
        "part_vol": metrics["part_vol"],
        "primary_process_chain_id": primary.chain_id,
        "process_chains": chains,
        "t_min": thickness.t_min,
        "upload_file_units": part.source_units or "mm",
        "warnings": warnings,
    }
    if quote.accuracy is not None:
        report["calibration"] = dict(quote.accuracy)
    return report


SIMPLIFIED_KEYS = (
    "part_id", "bb_x", "bb_y", "bb_z", "part_vol", "part_srf_area", "cost_pp", "thickness", "gap_size",
    "fits_mac", "market_price_pp",
)  # fmt: skip


def simplified(report: dict[str, Any]) -> dict[str, Any]:
    """3D Spark API's simplified result: exactly its keys, from the primary chain."""
    chain = report["process_chains"][report["primary_process_chain_id"]]
    feas = chain["feasibility"]
    return {
        "part_id": report["part_id"],
        "bb_x": report["bb_x"],
        "bb_y": report["bb_y"],
        "bb_z": report["bb_z"],
        "part_vol": report["part_vol"],
        "part_srf_area": report["part_srf_area"],
        "cost_pp": chain["cost"]["cost_pp"],
        "thickness": feas["thickness"]["t_min_chk"] is not False
        and feas["thickness"]["t_max_chk"] is not False,
        "gap_size": feas["gap_size"]["gap_min_chk"] is not False,
        "fits_mac": chain["fits_mac"],
        "market_price_pp": chain["market_price"]["market_price_pp"]["calculated"],
    }
