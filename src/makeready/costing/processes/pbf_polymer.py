"""Polymer powder bed fusion: SLS and MJF (docs/cost-models.md 3.3, 3.4, 4.3).

``build = N_L(H_job) * t_layer + N * V / BR`` (MJF: no volume term, line-wise), where the job
height ``H_job`` comes from the parts stacked in the bed; for SLS the quote passes the CLI
file's scan estimate of the part (:mod:`makeready.printables.pbf_time`) in place of
``V / BR``. Powder by the refresh-ratio model:
``m_load = rho_bulk * V_cake``, ``m_fresh = max(r * m_load, m_fused + (1 - eta) (m_load -
m_fused))`` with recovery ``eta = 0.95``; MJF adds agents per printed cm³.
:func:`price_rule` is the volume-based price rule of service bureaus (Phasio, [V]).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from makeready.costing.jobs import stack_levels
from makeready.costing.model import JobContext, JobEstimate

RECOVERY = 0.95
OVERFILL_MM = 10.0


def job(ctx: JobContext, parts: int) -> JobEstimate:
    """One SLS/MJF job of ``parts`` copies stacked in the bed."""
    f, mat, mac, prc = ctx.features, ctx.material, ctx.machine, ctx.process
    am = mat.properties_am
    layer = float(am.get("lyr_h") or 0.1)
    levels = stack_levels(parts, f, mac, prc)
    height = min(mac.bld_size_z, levels * (float(f.extents[2]) + prc.part_spacing))
    n_layers = math.ceil(height / layer)
    rate = am.get("bld_spd_fill")
    if ctx.print_time is not None:  # SLS: the CLI file's hatch and contour time of the part
        scan = parts * ctx.print_time.seconds / 3600.0
    else:
        scan = parts * f.volume / float(rate) if rate else 0.0
    build = n_layers * mac.mac_prc_t_plyr / 3600.0 + scan
    machine = mac.setup_time + build + mac.unloading_time
    labour = mac.setup_time + mac.unloading_time + mac.staff_time_factor * build
    area = (
        mac.bld_size_x * mac.bld_size_y
        if mac.bld_shape == "cartesian"
        else math.pi * (mac.bld_size_x / 2) ** 2
    )
    cake = area * (height + OVERFILL_MM)  # mm³
    load = float(am.get("bulk_density") or 0.45) * cake * 1e-6  # kg
    fused = mat.mat_rho * parts * f.volume * 1e-6
    refresh = float(am.get("refresh_rate") or 0.3)
    fresh = max(refresh * load, fused + (1.0 - RECOVERY) * max(load - fused, 0.0))
    agents = float(am.get("agent_cost_per_cm3") or 0.0) * parts * f.volume / 1000.0
    notes: tuple[str, ...] = (
        "cool-down counts in the lead time, outside the machine (exchangeable build unit)",
    )
    if ctx.print_time is not None:
        notes = (*notes, f"scan time from the {ctx.print_time.source}")
    return JobEstimate(
        parts,
        build,
        machine,
        labour,
        fresh * mat.raw_mat_cost + agents,
        fresh,
        mac.fix_mac_cost_pj,
        notes=notes,
    )


def price_rule(
    shrink_wrap_mm3: float,
    eur_per_cm3: float,
    setup_per_job: float,
    quantity: int,
    discounts: Sequence[tuple[int, float]] = ((10, 0.10),),
) -> float:
    """Unit price by a service bureau's volume rule: ``(V_wrap * price + setup / Q) * (1 - d(Q))``.

    ``discounts`` are ``(minimum quantity, fraction)`` pairs; the largest that applies is used.
    """
    discount = max((d for q, d in discounts if quantity >= q), default=0.0)
    return (shrink_wrap_mm3 / 1000.0 * eur_per_cm3 + setup_per_job / quantity) * (1.0 - discount)
