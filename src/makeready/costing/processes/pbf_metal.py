"""Laser and electron-beam powder bed fusion (cost-models.md 3.1, 3.2, 4.1).

``build = N_L * t_layer + N * (V + k_s V_s) / (BR * lasers * eta)``; the machine is also
occupied by set-up (purge, preheat), cool-down (``mac_idl_t_pj``) and unloading. Material:
``rho * (V * (1 + scrap) + V_s)`` per part at the powder price, scrap 15 % of the part
(Ulan_cost [V]). ``charge_support_material`` off reproduces rules that price the part volume
only (Phasio's worked example).
"""

from __future__ import annotations

from makeready.costing.model import JobContext, JobEstimate

POWDER_SCRAP = 0.15


def job(ctx: JobContext, parts: int) -> JobEstimate:
    """One LPBF/EBM job of ``parts`` copies."""
    f, mat, mac, prc = ctx.features, ctx.material, ctx.machine, ctx.process
    rate = float(mat.properties_am.get("bld_spd_fill") or 5000.0)  # mm³/h
    scan = (f.volume + prc.support_scan_factor * f.support_volume) / (
        rate * mac.n_lasers * prc.multi_laser_efficiency
    )
    recoat = ctx.layers * mac.mac_prc_t_plyr / 3600.0
    build = recoat + parts * scan
    machine = mac.setup_time + build + mac.mac_idl_t_pj + mac.unloading_time
    labour = mac.setup_time + mac.unloading_time + mac.staff_time_factor * build
    scrap = float(mat.properties_am.get("scrap", POWDER_SCRAP))
    support = f.support_volume if mat.properties_am.get("charge_support_material", True) else 0.0
    kg = parts * mat.mat_rho * (f.volume * (1.0 + scrap) + support) * 1e-6
    return JobEstimate(parts, build, machine, labour, kg * mat.raw_mat_cost, kg, mac.fix_mac_cost_pj)
