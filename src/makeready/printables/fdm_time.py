"""One FDM time model for the quote and the G-code: the settings and the part's toolpath estimate.

:func:`fdm_settings` turns a catalog machine and material into the slicer settings the G-code
is written with (walls from the material's ``wall_thickness``, its ``infill`` and support
density, its filament density; the printer's plate and start/end blocks). :func:`part_print_time`
slices the part in a build orientation, adds its block supports and runs the G-code's own
planner and time model on them (:func:`~makeready.printables.fdm_gcode.fdm_estimate`), so the
quote's machine time is the time the printable will state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy.typing as npt

from makeready.catalog import Machine, Material
from makeready.costing.model import PrintTime
from makeready.printables.fdm_gcode import ESTIMATE_LAYERS, FdmEstimate, FdmSettings, fdm_estimate
from makeready.printables.printer_files import gcode_blocks

if TYPE_CHECKING:
    from makeready.geometry.mesh import Part

__all__ = ["fdm_settings", "layer_height_for", "part_print_time", "print_time"]

#: Line width of the settings (mm): a 0.4 mm nozzle's usual extrusion width.
LINE_WIDTH_MM = 0.45


def fdm_settings(machine: Machine, material: Material) -> FdmSettings:
    """The slicer settings for ``material`` on ``machine`` (plate centre, walls, infill, blocks)."""
    am = material.properties_am
    wall = float(am.get("wall_thickness") or 0.8)
    return FdmSettings(
        line_width=LINE_WIDTH_MM,
        perimeters=max(1, round(wall / LINE_WIDTH_MM)),  # 0.8 mm -> 2 walls of 0.45 mm
        infill_density=float(am.get("infill") or 0.2),
        support_density=float(am.get("sup_density") or 0.15),
        filament_density=material.mat_rho,
        bed_centre=(machine.bld_size_x / 2.0, machine.bld_size_y / 2.0),
        printer=machine.mac_name,
        build_volume=machine.build_volume,
        blocks=gcode_blocks(machine.mac_name),
    )


def layer_height_for(material: Material, asked: float | None = None) -> float:
    """The layer height to slice with, mm: the one asked for, the material's, else FDM's default."""
    from makeready.geometry.supports import PROCESSES

    return float(asked or material.lyr_h or PROCESSES["fdm"].layer_height)


def part_print_time(
    part: Part,
    rotation: npt.ArrayLike | None,
    machine: Machine,
    material: Material,
    *,
    layer_height: float | None = None,
    supports: bool = True,
    max_layers: int = ESTIMATE_LAYERS,
) -> FdmEstimate:
    """Print time and filament of one part built in ``rotation`` (the G-code's estimator).

    Raises
    ------
    MakereadyError
        ``request.invalid`` when the part is not a closed manifold (it cannot be sliced).

    """
    from makeready.geometry.slicing import estimate_copy, slice_part
    from makeready.geometry.supports import support_geometry
    from makeready.printables.slice_job import align_supports

    part = estimate_copy(part, rotation)  # within 0.01 mm: below what the G-code resolves
    height = layer_height_for(material, layer_height)
    slices = slice_part(part, height)
    support_slices = None
    if supports:
        structure = support_geometry(part, None, "fdm")
        if structure.triangle_count:
            support_slices = align_supports(slice_part(structure, height), slices)
    return fdm_estimate(slices, fdm_settings(machine, material), support_slices, max_layers=max_layers)


def print_time(estimate: FdmEstimate) -> PrintTime:
    """The estimate as the cost engine's :class:`PrintTime` (per part)."""
    sampled = (
        f", {estimate.planned_layers} of {estimate.layers} layers planned"
        if estimate.planned_layers < estimate.layers
        else ""
    )
    return PrintTime(estimate.seconds, estimate.extruded_mm3, f"G-code toolpath estimate{sampled}")
