"""Parts per build job.

* ``plate`` processes (LPBF, EBM, FDM, SLA, DLP): parts stand side by side on the plate — the
  better of a grid of footprint boxes and a lattice of the footprint outline itself
  (:func:`makeready.geometry.packing.copies_on_plate`: staggered rows, turns about z) when the
  features carry an outline; a cylindrical plate offers its inscribed square.
* ``volume`` processes (SLS, MJF, binder jetting): boxes stacked in the powder bed, capped by
  the process's packing density (share of the build volume taken by parts, 5-15 %).
* ``single``: conventional routes make parts one run after another; the part must fit the
  machine's work envelope (any way round) and, for moulding, one cavity must fit the press's
  platen and clamp force. How many parts a run holds is the lot (or the production batch),
  decided in :func:`makeready.costing.chain.estimate_chain`.
"""

from __future__ import annotations

import math

from makeready.catalog import Machine, Process
from makeready.costing.features import PartFeatures
from makeready.geometry.packing import copies_on_plate

__all__ = ["parts_per_job", "stack_levels"]


def _usable(machine: Machine) -> tuple[float, float, float]:
    if machine.bld_shape == "cylindrical":
        side = machine.bld_size_x / math.sqrt(2.0)
        return side, side, machine.bld_size_z
    return machine.bld_size_x, machine.bld_size_y, machine.bld_size_z


def _grid(a: float, b: float, x: float, y: float, spacing: float) -> int:
    def fit(length: float, size: float) -> int:
        if size > length + 1e-9:
            return 0
        return max(1, int((length + spacing) // (size + spacing)))

    return max(fit(x, a) * fit(y, b), fit(x, b) * fit(y, a))


def _fits_single(features: PartFeatures, machine: Machine, process: Process) -> bool:
    from makeready.costing.processes.moulding import PLATE_MARGIN_CM, clamp_force_kn

    box = sorted(float(v) for v in features.min_box)
    if process.family == "moulding":
        # the mould (part + 7.5 cm of steel all round) between the tie bars, clamped shut
        margin = 2 * PLATE_MARGIN_CM * 10.0
        platen = sorted((machine.bld_size_x, machine.bld_size_y))
        plate = sorted((box[1] + margin, box[2] + margin))
        needed = clamp_force_kn(1, box[1] * box[2], process.cavity_pressure_mpa)
        force = machine.clamp_force_kn
        return plate[0] <= platen[0] and plate[1] <= platen[1] and (force is None or needed <= force)
    if process.prc_acronym == "turning" and machine.bld_shape == "cylindrical":
        from makeready.costing.processes.machining import turning_axis

        # a lathe holds a round part up to its swing (bld_size_x) long as its bed (bld_size_z):
        # the square inscribed in the swing would refuse a 305 mm disc on a 356 mm lathe
        axis = turning_axis(features)
        if axis is not None:
            diameter = max(box[i] for i in range(3) if i != axis)
            return diameter <= machine.bld_size_x + 1e-9 and box[axis] <= machine.bld_size_z + 1e-9
    room = sorted(_usable(machine))
    return all(b <= r + 1e-9 for b, r in zip(box, room, strict=True))


def parts_per_job(features: PartFeatures, machine: Machine, process: Process) -> int:
    """How many copies of the part one job holds (0 when it does not fit as oriented)."""
    x, y, z = _usable(machine)
    ex, ey, ez = (float(v) for v in features.extents)
    if process.packing == "single":
        return 1 if _fits_single(features, machine, process) else 0
    if ez > z + 1e-9:
        return 0
    per_level = _grid(ex, ey, x, y, process.part_spacing)
    if features.outline is not None and per_level > 0:
        # The outline lattice (staggered rows, turns) never packs fewer than the boxes.
        lattice = copies_on_plate(
            features.outline, x, y, spacing=process.part_spacing, margin=process.part_spacing / 2.0
        )
        per_level = max(per_level, lattice)
    if process.packing == "plate" or per_level == 0:
        return per_level
    levels = max(1, int((z + process.part_spacing) // (ez + process.part_spacing)))
    by_density = int(process.packing_density * x * y * z // max(features.volume, 1e-9))
    return max(1, min(per_level * levels, by_density))


def stack_levels(parts: int, features: PartFeatures, machine: Machine, process: Process) -> int:
    """Levels of parts a volume job needs for ``parts`` copies (1 for plate processes)."""
    if process.packing != "volume":
        return 1
    x, y, _ = _usable(machine)
    per_level = max(
        1, _grid(float(features.extents[0]), float(features.extents[1]), x, y, process.part_spacing)
    )
    return max(1, math.ceil(parts / per_level))
