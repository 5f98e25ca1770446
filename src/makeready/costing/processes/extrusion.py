"""FDM / FFF (3YOURMIND material formula; the printable's toolpath estimate where given).

Time per part comes from the same estimator as the G-code
(:func:`makeready.printables.fdm_gcode.fdm_estimate`, passed in as
:class:`~makeready.costing.model.PrintTime`): walls, skins, infill and supports
planned move by move with the printer's acceleration and cornering. A plate of ``n`` copies
takes ``n`` times one part's toolpaths plus one layer change per layer (``mac_prc_t_plyr``).
Without a toolpath estimate (orientation ranking, parts that cannot be sliced) the volumetric
model stands in: deposited volume ``V_shell + V_infill + V_s * d_s`` with
``V_shell = min(A t_wall, V)`` and ``V_infill = max(V - V_shell, 0) * infill``, deposited at
``bld_spd_fill`` mm³/h.
"""

from __future__ import annotations

from makeready.catalog import Material
from makeready.costing.features import PartFeatures
from makeready.costing.model import JobContext, JobEstimate

__all__ = ["job", "volumetric"]


def volumetric(features: PartFeatures, material: Material) -> tuple[float, float]:
    """One part by the volumetric model: (deposition hours, deposited mm³)."""
    am = material.properties_am
    wall, infill = float(am.get("wall_thickness") or 0.8), float(am.get("infill") or 0.2)
    shell = min(features.area * wall, features.volume)
    deposited = (
        shell
        + max(features.volume - shell, 0.0) * infill
        + features.support_volume * float(am.get("sup_density") or 0.15)
    )
    return deposited / float(am.get("bld_spd_fill") or 10000.0), deposited


def job(ctx: JobContext, parts: int) -> JobEstimate:
    """One FDM plate of ``parts`` copies."""
    mat, mac = ctx.material, ctx.machine
    if ctx.print_time is not None:
        per_part_h, deposited = ctx.print_time.seconds / 3600.0, ctx.print_time.deposited_mm3
        notes: tuple[str, ...] = (f"print time from the {ctx.print_time.source}",)
    else:
        per_part_h, deposited = volumetric(ctx.features, mat)
        notes = ("print time by the volumetric model (no toolpath estimate)",)
    build = parts * per_part_h + ctx.layers * mac.mac_prc_t_plyr / 3600.0
    machine = mac.setup_time + build + mac.unloading_time
    labour = mac.setup_time + mac.unloading_time + mac.staff_time_factor * build
    kg = parts * deposited * mat.mat_rho * 1e-6
    return JobEstimate(
        parts, build, machine, labour, kg * mat.raw_mat_cost, kg, mac.fix_mac_cost_pj, notes=notes
    )
