"""Binder jetting, metal (docs/cost-models.md 3.7).

Printing at constant layer time for the job height; the green part is printed larger by the
sintering shrinkage ``s`` (``V / (1 - s)³`` of powder per part, 10 % powder loss); curing,
debinding and sintering are batch post steps of the process.
"""

from __future__ import annotations

import math

from makeready.costing.jobs import stack_levels
from makeready.costing.model import JobContext, JobEstimate

POWDER_LOSS = 0.10


def job(ctx: JobContext, parts: int) -> JobEstimate:
    """One binder-jet box of ``parts`` copies."""
    f, mat, mac, prc = ctx.features, ctx.material, ctx.machine, ctx.process
    am = mat.properties_am
    shrink = float(am.get("shrinkage") or 0.18)
    layer = float(am.get("lyr_h") or 0.05)
    grow = 1.0 / (1.0 - shrink)
    levels = stack_levels(parts, f, mac, prc)
    height = min(mac.bld_size_z, levels * (float(f.extents[2]) * grow + prc.part_spacing))
    build = math.ceil(height / layer) * mac.mac_prc_t_plyr / 3600.0
    machine = mac.setup_time + build + mac.unloading_time
    labour = mac.setup_time + mac.unloading_time + mac.staff_time_factor * build
    kg = parts * f.volume * mat.mat_rho * 1e-6 * (1.0 + POWDER_LOSS)
    return JobEstimate(parts, build, machine, labour, kg * mat.raw_mat_cost, kg, mac.fix_mac_cost_pj)
