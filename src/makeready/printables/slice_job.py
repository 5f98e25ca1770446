"""From a part and a catalog machine to the machine's printable file, in one call.

The machine's process picks the packager: FDM → G-code; SLA, DLP, MJF and binder jetting →
PNG layer stack over the machine's plate at 50 µm pixels; LPBF, EBM and SLS → CLI layer file.
Overhangs are supported for FDM (block posts sliced with the part). The part is sliced as
uploaded (or in its best orientation with ``reorient``), lifted onto the plate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from makeready.catalog import Catalog, Machine
from makeready.errors import MakereadyError
from makeready.geometry.mesh import Part
from makeready.geometry.orientation import orient
from makeready.geometry.slicing import slice_part
from makeready.geometry.supports import PROCESSES, support_geometry
from makeready.printables.dlp_png import png_stack, stack_for_plate
from makeready.printables.fdm_gcode import FdmSettings, fdm_gcode
from makeready.printables.pbf_cli import CliSettings, write_cli

__all__ = ["PACKAGERS", "align_supports", "slice_to_printable"]

PACKAGERS = {
    "fdm": "gcode", "sla": "png", "dlp": "png", "mjf": "png", "bj": "png",
    "slm": "cli", "ebm": "cli", "sls": "cli",
}  # fmt: skip


def slice_to_printable(
    part: Part,
    out: Path,
    catalog: Catalog,
    machine: Machine,
    material: str | None = None,
    layer_height: float | None = None,
    *,
    reorient: bool = False,
    supports: bool = True,
) -> dict[str, Any]:
    """Slice ``part`` for ``machine`` and write the printable to ``out``; returns a summary.

    Raises
    ------
    MakereadyError
        ``request.invalid`` for a machine without a packager (conventional machines) or a
        material not offered for its process; ``catalog.not_found`` for unknown names.

    """
    process = machine.prc_acronym
    kind = PACKAGERS.get(process)
    if kind is None:
        raise MakereadyError(
            "request.invalid", f"{machine.mac_name} ({process}) has no printable; choose an additive machine"
        )
    offered = catalog.materials_for(process)
    chosen = (
        catalog.material(material)
        if material
        else next(
            (m for m in offered if m.default_machine_name == machine.mac_name),
            offered[0] if offered else None,
        )
    )
    if chosen is None or not chosen.serves(process):
        raise MakereadyError(
            "request.invalid", f"material not offered for {process}: {', '.join(m.mat_name for m in offered)}"
        )
    height = layer_height or chosen.lyr_h or PROCESSES.get(process, PROCESSES["fdm"]).layer_height
    settings = PROCESSES.get(process, PROCESSES["sls"])
    rotation = orient(part, settings, keep=1)[0].rotation if reorient else None
    slices = slice_part(part, height, rotation=rotation)
    summary: dict[str, Any] = {
        "printer": machine.mac_name,
        "material": chosen.mat_name,
        "layers": len(slices.layers),
        "layer_height_mm": height,
        "output": str(out),
    }
    if kind == "gcode":
        support_part = support_geometry(part, rotation, "fdm") if supports else None
        support_slices = None
        if support_part is not None and support_part.triangle_count:
            # Cut the supports at the part's own layer heights.
            support_slices = align_supports(slice_part(support_part, height), slices)
        centre = (machine.bld_size_x / 2.0, machine.bld_size_y / 2.0)
        result = fdm_gcode(
            slices,
            FdmSettings(bed_centre=centre, filament_density=chosen.mat_rho, printer=machine.mac_name),
            support_slices,
        )
        out.write_text(result.text)
        summary.update(
            print_time_s=result.seconds, filament_m=result.filament_mm / 1000.0, filament_g=result.filament_g
        )
    elif kind == "png":
        stack = stack_for_plate(
            machine.bld_size_x,
            machine.bld_size_y,
            centre=_centre(slices),
            printer=machine.mac_name,
            exposure={"layer_height_mm": height},
        )
        out.write_bytes(png_stack(slices, stack))
        summary.update(pixel_mm=stack.pixel_mm, printed_volume_mm3=slices.volume)
    else:
        text, seconds = write_cli(slices, CliSettings(label=part.name or "part"))
        out.write_text(text)
        summary.update(scan_time_s=seconds)
    return summary


def _centre(slices: Any) -> tuple[float, float]:
    import shapely

    shapes = [layer.shape for layer in slices.layers if not layer.shape.is_empty]
    if not shapes:
        return (0.0, 0.0)
    x0, y0, x1, y1 = shapely.union_all(shapes).bounds
    return ((x0 + x1) / 2.0, (y0 + y1) / 2.0)


def align_supports(supports: Any, slices: Any) -> Any:
    """Support regions at the part's layer heights (supports start on the plate as the part does)."""
    import dataclasses

    from makeready.geometry.slicing import Layer

    by_top = {round(layer.top, 6): layer for layer in supports.layers}
    layers = []
    for layer in slices.layers:
        match = by_top.get(round(layer.top, 6))
        shape = match.shape if match is not None else type(layer.shape)()
        layers.append(Layer(layer.index, layer.z, layer.top, layer.thickness, shape))
    return dataclasses.replace(slices, layers=tuple(layers))
