"""Investment casting (docs/costing.md, docs/cost-models.md 4.6).

Per part: poured metal ``m / casting_yield`` at the metal price, a wax pattern injected in the
die, a ceramic shell by surface area, melting and pouring time, fettling (a post step of the
process). The wax die, scaled by the part volume, and the gating design are the lot's tooling;
the line's set-up (``setup_time``) is paid once per production run.
"""

from __future__ import annotations

from makeready.costing.model import JobContext, JobEstimate

POUR_H_PER_PART = 0.05  # melting, pouring and knock-out per part on the line [E]


def job(ctx: JobContext, parts: int) -> JobEstimate:
    """A casting run of ``parts``."""
    f, mat, mac, prc, cfg = ctx.features, ctx.material, ctx.machine, ctx.process, ctx.config
    props = mat.properties_casting
    kg_part = f.volume * mat.mat_rho * 1e-6
    poured = parts * kg_part / float(props.get("casting_yield") or 0.45)
    per_part = (
        float(props.get("pattern_cost") or 4.0)
        + float(props.get("shell_cost_per_cm2") or 0.03) * f.area / 100.0
    )
    material = poured * mat.raw_mat_cost + parts * per_part
    die = (
        float(props.get("wax_die_base") or 3000.0)
        + float(props.get("wax_die_per_cm3") or 2.0) * f.volume / 1000.0
    )
    build = parts * POUR_H_PER_PART
    machine = mac.setup_time + build
    labour = mac.setup_time + mac.staff_time_factor * build
    return JobEstimate(
        parts, build, machine, labour, material, poured, 0.0, die + prc.data_prep_h * cfg.designer_hr
    )
