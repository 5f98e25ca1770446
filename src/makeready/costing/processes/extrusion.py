"""FDM / FFF (cost-models.md 3.5, 4.4; 3YOURMIND material formula).

Deposited volume ``V_shell + V_infill + V_s * d_s`` with ``V_shell = min(A t_wall, V)`` and
``V_infill = max(V - V_shell, 0) * infill``; time ``deposited / Q + N_L * t_layer``.
"""

from __future__ import annotations

from makeready.costing.model import JobContext, JobEstimate


def job(ctx: JobContext, parts: int) -> JobEstimate:
    """One FDM plate of ``parts`` copies."""
    f, mat, mac = ctx.features, ctx.material, ctx.machine
    am = mat.properties_am
    wall, infill = float(am.get("wall_thickness") or 0.8), float(am.get("infill") or 0.2)
    shell = min(f.area * wall, f.volume)
    deposited = (
        shell + max(f.volume - shell, 0.0) * infill + f.support_volume * float(am.get("sup_density") or 0.15)
    )
    rate = float(am.get("bld_spd_fill") or 10000.0)
    build = parts * deposited / rate + ctx.layers * mac.mac_prc_t_plyr / 3600.0
    machine = mac.setup_time + build + mac.unloading_time
    labour = mac.setup_time + mac.unloading_time + mac.staff_time_factor * build
    kg = parts * deposited * mat.mat_rho * 1e-6
    return JobEstimate(parts, build, machine, labour, kg * mat.raw_mat_cost, kg, mac.fix_mac_cost_pj)
