"""Laser and electron-beam powder bed fusion (docs/cost-models.md 3.1, 3.2, 4.1).

``build = N_L * t_layer + N * (V + k_s V_s) / (BR * lasers * eta)``, or, where the quote
passes the CLI file's scan estimate of the part (:mod:`makeready.printables.pbf_time`: hatch
and contour lengths from its sliced layers at speeds that give the same build rate),
``N_L * t_layer + N * (t_scan + k_s V_s / BR) / (lasers * eta)``; the machine is also
occupied by set-up (purge, preheat), cool-down (``mac_idl_t_pj``) and unloading. Material:
``rho * (V * (1 + scrap) + V_s)`` per part at the powder price, scrap 15 % of the part
(Ulan_cost [V]). Material properties switch in published rules of thumb: ``support_rule:
"hull"`` takes the support volume as 0.40 × (convex hull − V) and ``charge_support_material:
false`` prices the part volume only (both from Phasio's worked example, docs/cost-models.md 7.2 A).
"""

from __future__ import annotations

from makeready.costing.model import JobContext, JobEstimate

POWDER_SCRAP = 0.15
HULL_SUPPORT_SHARE = 0.40


def job(ctx: JobContext, parts: int) -> JobEstimate:
    """One LPBF/EBM job of ``parts`` copies."""
    f, mat, mac, prc = ctx.features, ctx.material, ctx.machine, ctx.process
    rate = float(mat.properties_am.get("bld_spd_fill") or 5000.0)  # mm³/h
    support_volume = f.support_volume
    if mat.properties_am.get("support_rule") == "hull":  # Phasio's rule of thumb [V]
        support_volume = HULL_SUPPORT_SHARE * max(f.hull_volume - f.volume, 0.0)
    lasers = mac.n_lasers * prc.multi_laser_efficiency
    if ctx.print_time is not None:
        # The part's hatches and contours as the CLI file scans them; supports at the build rate.
        part_h = ctx.print_time.seconds / 3600.0 + prc.support_scan_factor * support_volume / rate
        notes: tuple[str, ...] = (f"scan time from the {ctx.print_time.source}; supports at the build rate",)
    else:
        part_h = (f.volume + prc.support_scan_factor * support_volume) / rate
        notes = ()
    scan = part_h / lasers
    recoat = ctx.layers * mac.mac_prc_t_plyr / 3600.0
    build = recoat + parts * scan
    machine = mac.setup_time + build + mac.mac_idl_t_pj + mac.unloading_time
    labour = mac.setup_time + mac.unloading_time + mac.staff_time_factor * build
    scrap = float(mat.properties_am.get("scrap", POWDER_SCRAP))
    support = support_volume if mat.properties_am.get("charge_support_material", True) else 0.0
    kg = parts * mat.mat_rho * (f.volume * (1.0 + scrap) + support) * 1e-6
    cost = kg * mat.raw_mat_cost
    return JobEstimate(parts, build, machine, labour, cost, kg, mac.fix_mac_cost_pj, notes=notes)
