"""Injection moulding (Kazmer 2007, cost-models.md 4.5).

Cycle time is dominated by cooling of the thickest wall ``h``:
``t_cool = h² / (π² α) ln((4/π) (T_melt - T_mould) / (T_eject - T_mould))`` plus handling.
Mould: ``base + per_cm2 × projected area`` [E]. Unit cost ``(material + processing + mould /
quantity) / yield`` (:func:`unit_cost`, Kazmer's formula).
"""

from __future__ import annotations

import math

from makeready.costing.model import JobContext, JobEstimate

RUNNER_WASTE = 0.05


def cooling_time(
    wall_mm: float, diffusivity_mm2_s: float, t_melt: float, t_mould: float, t_eject: float
) -> float:
    """Cooling time of a wall of thickness ``wall_mm``, seconds."""
    ratio = (4.0 / math.pi) * (t_melt - t_mould) / (t_eject - t_mould)
    return wall_mm**2 / (math.pi**2 * diffusivity_mm2_s) * math.log(max(ratio, 1.0 + 1e-9))


def unit_cost(material: float, processing: float, mould_share: float, yield_: float) -> float:
    """Kazmer's part cost: ``(material + processing + amortised mould) / yield``."""
    return (material + processing + mould_share) / yield_


def mould_cost(projected_area_mm2: float, base: float, per_cm2: float) -> float:
    """Single-cavity mould estimate, EUR."""
    return base + per_cm2 * projected_area_mm2 / 100.0


def job(ctx: JobContext, parts: int) -> JobEstimate:
    """A moulding run of ``parts`` shots; the mould is the lot's tooling."""
    f, mat, mac, prc, cfg = ctx.features, ctx.material, ctx.machine, ctx.process, ctx.config
    props = mat.properties_moulding
    cool = cooling_time(
        f.wall,
        float(props.get("thermal_diffusivity") or 0.1),
        float(props.get("t_melt") or 240.0),
        float(props.get("t_mould") or 60.0),
        float(props.get("t_eject") or 100.0),
    )
    cycle_h = (cool + prc.handling_s) / 3600.0
    build = parts * cycle_h
    machine = mac.setup_time + build
    labour = mac.setup_time + mac.staff_time_factor * build
    kg = parts * f.volume * mat.mat_rho * 1e-6 * (1.0 + RUNNER_WASTE)
    projected = float(f.min_box[1] * f.min_box[2])
    mould = mould_cost(
        projected, float(props.get("mould_base_cost") or 3700.0), float(props.get("mould_per_cm2") or 60.0)
    )
    tooling = mould + prc.data_prep_h * cfg.designer_hr
    notes = (f"cooling {cool:.1f} s for a {f.wall:.2f} mm wall; mould EUR {mould:,.0f}",)
    return JobEstimate(parts, build, machine, labour, kg * mat.raw_mat_cost, kg, 0.0, tooling, notes)
