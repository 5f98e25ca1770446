"""Vat photopolymerisation: SLA and DLP (docs/cost-models.md 3.6, 4.4).

Layer time is the machine's ``mac_prc_t_plyr`` (exposure + peel) for every layer of the job,
independent of how many parts share it (masked exposure); laser SLA adds ``V / BR`` when the
material gives a build rate. Printers whose printable states its time (Prusa SL1/SL1S: each
layer's exposure, fading from the first, and a fast or slow tilt by the lit share of the
display) are priced with that estimate for the whole plate instead
(:func:`makeready.printables.sl1.sl1_seconds` via ``PrintTime.job_seconds``).
Resin ``(V + V_s * d_s) * rho / (1 - waste)``.
"""

from __future__ import annotations

from makeready.costing.model import JobContext, JobEstimate


def job(ctx: JobContext, parts: int) -> JobEstimate:
    """One resin print of ``parts`` copies."""
    f, mat, mac = ctx.features, ctx.material, ctx.machine
    am = mat.properties_am
    rate = am.get("bld_spd_fill")
    timed = ctx.print_time
    if timed is not None and timed.job_seconds is not None:
        # The printable's own estimate for the whole plate (exposures and tilts per layer).
        build = timed.job_seconds(parts) / 3600.0
        notes: tuple[str, ...] = (f"print time from the {timed.source}",)
    else:
        build = ctx.layers * mac.mac_prc_t_plyr / 3600.0 + (parts * f.volume / float(rate) if rate else 0.0)
        notes = ()
    machine = mac.setup_time + build + mac.unloading_time
    labour = mac.setup_time + mac.unloading_time + mac.staff_time_factor * build
    resin = parts * (f.volume + f.support_volume * float(am.get("sup_density") or 0.05))
    kg = resin * mat.mat_rho * 1e-6 / (1.0 - float(am.get("waste") or 0.07))
    cost = kg * mat.raw_mat_cost
    return JobEstimate(parts, build, machine, labour, cost, kg, mac.fix_mac_cost_pj, notes=notes)
