"""Injection moulding: a mould per lot, cavities chosen by cost, a cycle from the wall (docs/costing.md).

Per shot of ``n`` cavities: fill (shot volume / injection rate) + cooling of the thickest wall
``h`` (``t_cool = h² / (π² α) ln((4/π) (T_melt − T_mould) / (T_eject − T_mould))``, Kazmer
2007 and Boothroyd-Dewhurst-Knight) + reset (open, eject, close). The mould follows
Boothroyd, Dewhurst & Knight's estimate (Product Design for Manufacture and Assembly, ch. 8):

* base: ``1000 + 0.45 A_c h_p^0.4`` with the cavity-plate area ``A_c`` (cm², the cavity
  layout plus 7.5 cm all round) and the plate stack ``h_p = D + 15`` cm;
* cavity and core: ``5 + 0.085 A_p^1.2`` toolmaker hours for the projected area ``A_p`` (cm²)
  plus ``45 X^1.27`` hours for the surface complexity ``X``; ``n`` cavities cost ``n^0.7``
  times one.

BDK count ``X`` from the part's surface patches and holes; a mesh has no patches, so here ``X``
is read off the surface the part has beyond its box: ``COMPLEXITY_SCALE × max(0, A / A_box − 1)``
(0 for a plain block or plate; ribs, bosses, pockets and lettering raise it). The cavity count is the one
of ``1, 2, 4 …`` that makes the lot cheapest (mould + press time), within the press's platen
and clamp force. Unit cost ``(material + processing + mould / quantity) / yield``
(:func:`unit_cost`, Kazmer's formula).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from makeready.costing.model import JobContext, JobEstimate
from makeready.costing.rates import hourly_rate

RUNNER_WASTE = 0.05
PLATE_MARGIN_CM = 7.5  # BDK: mould plates extend 7.5 cm beyond the cavities on every side
PLATE_STACK_CM = 15.0  # BDK: cavity and core plates are the part depth plus 15 cm thick
CAVITY_GAP_CM = 2.5  # steel between neighbouring cavities [E]
CAVITY_EXPONENT = 0.7  # BDK: n cavities cost n^0.7 times one
COMPLEXITY_SCALE = 5.0  # BDK surface complexity X per unit of surface beyond the box's [E]

__all__ = ["Mould", "clamp_force_kn", "cooling_time", "mould_cost", "mould_for_lot", "unit_cost"]


def cooling_time(
    wall_mm: float, diffusivity_mm2_s: float, t_melt: float, t_mould: float, t_eject: float
) -> float:
    """Cooling time of a wall of thickness ``wall_mm``, seconds."""
    ratio = (4.0 / math.pi) * (t_melt - t_mould) / (t_eject - t_mould)
    return wall_mm**2 / (math.pi**2 * diffusivity_mm2_s) * math.log(max(ratio, 1.0 + 1e-9))


def unit_cost(material: float, processing: float, mould_share: float, yield_: float) -> float:
    """Kazmer's part cost: ``(material + processing + amortised mould) / yield``."""
    return (material + processing + mould_share) / yield_


def surface_complexity(area_mm2: float, box_mm: tuple[float, float, float]) -> float:
    """BDK's surface complexity ``X`` estimated from the surface beyond the box's: 0 for a block."""
    a, b, c = box_mm
    box_area = 2.0 * (a * b + b * c + c * a)
    if box_area <= 0:
        return 0.0
    return COMPLEXITY_SCALE * max(0.0, area_mm2 / box_area - 1.0)


def mould_cost(
    length_cm: float,
    width_cm: float,
    depth_cm: float,
    *,
    cavities: int,
    complexity: float,
    toolmaking_rate: float,
) -> float:
    """Boothroyd-Dewhurst-Knight mould estimate for ``cavities`` copies of a part, EUR.

    Parameters
    ----------
    length_cm, width_cm : float
        The part's extent in the parting plane, cm (projected area = length × width).
    depth_cm : float
        The part's extent across the parting plane, cm.
    cavities : int
        Cavities in the mould, laid out in a near-square grid.
    complexity : float
        BDK's surface complexity ``X`` (inner plus outer); 0 for a plain block.
    toolmaking_rate : float
        The mould shop's rate, EUR/h.

    """
    rows = math.ceil(math.sqrt(cavities))
    cols = math.ceil(cavities / rows)
    plate_l = cols * length_cm + (cols - 1) * CAVITY_GAP_CM + 2 * PLATE_MARGIN_CM
    plate_w = rows * width_cm + (rows - 1) * CAVITY_GAP_CM + 2 * PLATE_MARGIN_CM
    base = 1000.0 + 0.45 * plate_l * plate_w * (depth_cm + PLATE_STACK_CM) ** 0.4
    hours = 5.0 + 0.085 * (length_cm * width_cm) ** 1.2 + 45.0 * complexity**1.27
    return float(base + hours * toolmaking_rate * cavities**CAVITY_EXPONENT)


@dataclass(frozen=True, slots=True)
class Mould:
    """The mould chosen for a lot: cavities, its cost (EUR) and the shot cycle (s)."""

    cavities: int
    cost: float
    cycle_s: float
    cooling_s: float


def clamp_force_kn(cavities: int, projected_mm2: float, cavity_pressure_mpa: float) -> float:
    """Clamp force a mould needs, kN: cavities × projected area (mm²) × pressure (N/mm²) / 1000."""
    return cavities * projected_mm2 * cavity_pressure_mpa / 1000.0


def _platen_fits(cavities: int, length_mm: float, width_mm: float, ctx: JobContext) -> bool:
    rows = math.ceil(math.sqrt(cavities))
    cols = math.ceil(cavities / rows)
    gap, margin = CAVITY_GAP_CM * 10.0, PLATE_MARGIN_CM * 10.0
    plate = sorted(
        (cols * length_mm + (cols - 1) * gap + 2 * margin, rows * width_mm + (rows - 1) * gap + 2 * margin)
    )
    platen = sorted((ctx.machine.bld_size_x, ctx.machine.bld_size_y))
    force = ctx.machine.clamp_force_kn
    needed = clamp_force_kn(cavities, length_mm * width_mm, ctx.process.cavity_pressure_mpa)
    return plate[0] <= platen[0] and plate[1] <= platen[1] and (force is None or needed <= force)


def mould_for_lot(ctx: JobContext) -> Mould | None:
    """The cheapest mould for the lot (None when even one cavity exceeds the press)."""
    f, mat, mac, prc, cfg = ctx.features, ctx.material, ctx.machine, ctx.process, ctx.config
    props = mat.properties_moulding
    depth, width, length = sorted(float(x) for x in f.min_box)  # parting plane across the thinnest
    cool = cooling_time(
        f.wall,
        float(props.get("thermal_diffusivity") or 0.1),
        float(props.get("t_melt") or 240.0),
        float(props.get("t_mould") or 60.0),
        float(props.get("t_eject") or 100.0),
    )
    complexity = surface_complexity(f.area, (depth, width, length))
    machine_rate = hourly_rate(mac, cfg) + mac.staff_time_factor * cfg.technician_hr
    best: Mould | None = None
    best_cost = math.inf
    cavities = 1
    while cavities <= max(1, prc.max_cavities):
        if not _platen_fits(cavities, length, width, ctx):
            break
        fill = cavities * f.volume * (1.0 + RUNNER_WASTE) / 1000.0 / max(prc.fill_rate_cm3_s, 1e-9)
        cycle = fill + cool + prc.handling_s
        cost = mould_cost(
            length / 10.0,
            width / 10.0,
            depth / 10.0,
            cavities=cavities,
            complexity=complexity,
            toolmaking_rate=prc.toolmaking_rate,
        )
        lot = cost + math.ceil(ctx.lot_size / cavities) * cycle / 3600.0 * machine_rate
        if lot < best_cost - 1e-9:
            best, best_cost = Mould(cavities, cost, cycle, cool), lot
        if cavities >= ctx.lot_size:
            break
        cavities *= 2
    return best


def job(ctx: JobContext, parts: int) -> JobEstimate:
    """A production run of ``parts`` mouldings: one set-up, ``ceil(parts / cavities)`` shots.

    The mould and its design are the lot's tooling; a run that no press can clamp is
    returned with zero capacity by :func:`makeready.costing.jobs.parts_per_job` before this.
    """
    f, mat, mac, prc, cfg = ctx.features, ctx.material, ctx.machine, ctx.process, ctx.config
    mould = mould_for_lot(ctx)
    if mould is None:  # parts_per_job refuses such a part first; keep the model total
        raise ValueError("the part does not fit the press")
    shots = math.ceil(parts / mould.cavities)
    build = shots * mould.cycle_s / 3600.0
    machine = mac.setup_time + build
    labour = mac.setup_time + mac.staff_time_factor * build
    kg = parts * f.volume * mat.mat_rho * 1e-6 * (1.0 + RUNNER_WASTE)
    tooling = mould.cost + prc.data_prep_h * cfg.designer_hr
    notes = (
        f"{mould.cavities}-cavity mould EUR {mould.cost:,.0f}; cycle {mould.cycle_s:.1f} s per shot "
        f"(cooling {mould.cooling_s:.1f} s for a {f.wall:.2f} mm wall)",
    )
    return JobEstimate(parts, build, machine, labour, kg * mat.raw_mat_cost, kg, 0.0, tooling, notes)
