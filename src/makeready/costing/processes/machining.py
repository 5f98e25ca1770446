"""CNC milling and turning (docs/costing.md, docs/cost-models.md 3.8).

Stock: the minimum box plus ``stock_allowance`` per side (turning: a bar around the longest
axis), bought with 15 % waste. Cycle per part ``load + V_removed / MRR_rough + A / AR_finish +
tool changes`` at the material's rates. The machine's set-up (fixturing, zeroing, first
article) is paid once per production run; CAM programming (``data_prep_h`` at the designer's
rate) and fixtures (``fixture_cost``) once per lot. Turning only suits near-rotational parts:
the two smaller box edges within 15 % of each other (Phasio rule [V]).
"""

from __future__ import annotations

import math

from makeready.costing.model import JobContext, JobEstimate

STOCK_WASTE = 0.15
TOOLS = 6


def turnable(min_box: tuple[float, ...]) -> bool:
    """Whether a part with these box edges (ascending, mm) is near-rotational."""
    return min_box[1] > 0 and min_box[0] / min_box[1] >= 0.85


def cycle_hours(ctx: JobContext) -> tuple[float, float]:
    """Machine hours per part and stock volume per part (mm³)."""
    f, mat, prc = ctx.features, ctx.material, ctx.process
    props = mat.properties_milling
    allowance = float(props.get("stock_allowance") or 3.0)
    a, b, c = sorted(float(x) for x in f.min_box)
    if prc.prc_acronym == "turning":
        stock = math.pi * (b / 2.0 + allowance) ** 2 * (c + 2 * allowance)
    else:
        stock = (a + 2 * allowance) * (b + 2 * allowance) * (c + 2 * allowance)
    removed = max(stock - f.volume, 0.0)
    rough = float(props.get("milling_rate_roughing") or 900.0) * 1000.0  # mm³/h
    finish = float(props.get("milling_rate_finishing") or 2700.0) * 100.0  # mm²/h
    return prc.load_h + removed / rough + f.area / finish + TOOLS * prc.tool_change_h, stock


def job(ctx: JobContext, parts: int) -> JobEstimate:
    """A production run of ``parts`` machined one after the other after one set-up."""
    mat, mac, prc, cfg = ctx.material, ctx.machine, ctx.process, ctx.config
    cycle, stock = cycle_hours(ctx)
    build = parts * cycle
    machine = mac.setup_time + build
    labour = mac.setup_time + mac.staff_time_factor * build
    kg = parts * stock * mat.mat_rho * 1e-6 * (1.0 + STOCK_WASTE)
    tooling = prc.data_prep_h * cfg.designer_hr + prc.fixture_cost
    notes = (f"cycle {cycle * 60:.1f} min per part; set-up {mac.setup_time:g} h per run",)
    return JobEstimate(parts, build, machine, labour, kg * mat.raw_mat_cost, kg, 0.0, tooling, notes)
