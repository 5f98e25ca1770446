"""CNC milling and turning (docs/costing.md, docs/cost-models.md 3.8).

Stock: the minimum box plus ``stock_allowance`` per side (turning: a bar around the axis the
part is round about), bought with 15 % waste. Cycle per part ``load + V_removed / MRR_rough + A / AR_finish +
tool changes`` at the material's rates. The machine's set-up (fixturing, zeroing, first
article) is paid once per production run; CAM programming (``data_prep_h`` at the designer's
rate) and fixtures (``fixture_cost``) once per lot. Turning only suits near-rotational parts:
a cross-section of the minimum box near square (its edges within 15 %, Phasio rule [V]) and the
whole part inside the bar of that section (:data:`TURNING_ROUNDNESS`) and alike all round its
axis (:data:`TURNING_SYMMETRY`): a cube passes the first test alone, a torus knot the first
two, and each would be priced as a turned part.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from makeready.costing.model import JobContext, JobEstimate
from makeready.geometry.metrics import SQUARE_SECTION  # the Phasio rule [V], one value for both

if TYPE_CHECKING:
    from makeready.costing.features import PartFeatures

STOCK_WASTE = 0.15
TOOLS = 6
#: A part is turnable when no point of it lies farther from the turning axis than this times
#: the bar's radius: 1.10 lets a cylinder meshed with 8 facets (1/cos(22.5°) = 1.082) through
#: and keeps a square section (√2 = 1.414) out.
TURNING_ROUNDNESS = 1.10
#: ... and alike all round the axis (RoundSection.symmetry): a hexagon bar scores 0.875; a torus
#: knot, whose outline is round, 0; trimesh's counter plate (a disc on six feet: a mill-turn
#: part) 0.50.
TURNING_SYMMETRY = 0.8


def turning_axis(features: PartFeatures) -> int | None:
    """The axis a part is turned about (index into its ascending box edges), None if not turnable.

    Measured parts (``round_section`` known) need the roundness; parts described by their box
    alone are judged by it: the two smaller edges within 15 %, turned about the longest.
    """
    section = features.round_section
    if section is not None:
        round_enough = section.roundness <= TURNING_ROUNDNESS and section.symmetry >= TURNING_SYMMETRY
        return section.axis if section.axis >= 0 and round_enough else None
    a, b, _ = sorted(float(x) for x in features.min_box)
    return 2 if b > 0 and a / b >= SQUARE_SECTION else None


def cycle_hours(ctx: JobContext) -> tuple[float, float]:
    """Machine hours per part and stock volume per part (mm³)."""
    f, mat, prc = ctx.features, ctx.material, ctx.process
    props = mat.properties_milling
    allowance = float(props.get("stock_allowance") or 3.0)
    edges = sorted(float(x) for x in f.min_box)
    a, b, c = edges
    axis = turning_axis(f) if prc.prc_acronym == "turning" else None
    if axis is not None:  # a bar as wide as the section's larger edge, as long as the axis
        diameter = max(edges[i] for i in range(3) if i != axis)
        stock = math.pi * (diameter / 2.0 + allowance) ** 2 * (edges[axis] + 2 * allowance)
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
