"""From a part and a catalog machine to the machine's printable file, in one call.

The machine's process picks the packager: FDM → G-code; SLA, DLP and binder jetting → PNG layer
stack over the machine's plate at 50 µm pixels; MJF → a 3MF build (HP's build manager slices
it); LPBF, EBM and SLS → binary CLI layer file. Printers that read only a proprietary format
are refused (``printable.unsupported``).
Overhangs are supported for FDM (block posts sliced with the part). The part is sliced as
uploaded (or in its best orientation with ``reorient``), lifted onto the plate.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from makeready.catalog import Catalog, Machine, Material
from makeready.errors import MakereadyError
from makeready.geometry.mesh import Part
from makeready.geometry.metrics import convex_hull_points
from makeready.geometry.orientation import orient
from makeready.geometry.repair import repair
from makeready.geometry.slicing import slice_part, solid_of
from makeready.geometry.supports import PROCESSES, support_geometry
from makeready.geometry.types import FloatArray
from makeready.printables.dlp_png import exposure_fields, png_stack, stack_for_plate
from makeready.printables.fdm_gcode import fdm_gcode
from makeready.printables.fdm_time import fdm_settings
from makeready.printables.fit import check_fit, check_inside, turn_to_fit
from makeready.printables.pbf_cli import write_cli
from makeready.printables.pbf_time import cli_settings
from makeready.printables.printer_files import png_naming, require_writable, sl1_display
from makeready.printables.sl1 import sl1_archive
from makeready.units import suspect_units

__all__ = ["PACKAGERS", "align_supports", "slice_to_printable"]


PACKAGERS = {
    "fdm": "gcode", "sla": "png", "dlp": "png", "mjf": "3mf", "bj": "png",
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
    exposure: Mapping[str, Any] | None = None,
    repair_mesh: bool = True,
) -> dict[str, Any]:
    """Slice ``part`` for ``machine`` and write the printable to ``out``; returns a summary.

    Raises
    ------
    MakereadyError
        ``request.invalid`` for a machine without a packager (conventional machines) or a
        material not offered for its process; ``catalog.not_found`` for unknown names;
        ``printable.does_not_fit`` for a part larger than the build volume (with ``reorient``
        it is turned to fit where any orientation does); ``printable.unsupported`` for a
        printer that reads only a proprietary format.

    Notes
    -----
    A part that is not a closed manifold is repaired first (the summary's ``repaired`` lists
    what was done), as slicers do; ``repair_mesh=False`` refuses it instead.
    ``exposure`` holds the print material's exposure fields (resin printers: first-layer,
    burn-in and model exposure times); the Ember's print file carries them in its
    ``printsettings``.

    """
    process = machine.prc_acronym
    require_writable(machine.mac_name)
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
    part, repaired = _sliceable(part, repair_mesh)
    objective = _cost_objective(part, catalog, machine, chosen) if reorient else None
    rotation, turned = _fitting_rotation(part, machine, settings, reorient, objective)
    part = _centred(part, rotation)  # plate-centred frame: the packagers' and the checks' frame
    rotation = None
    slices = slice_part(part, height, rotation=rotation)
    size = _placed_size(part, None)
    if slices.volume <= 0.0:
        # A part thinner than a layer (often one drawn in metres or inches and read as mm)
        # slices to nothing: a file with no layer would print nothing and say it took 0 s.
        raise MakereadyError(
            "printable.empty",
            f"nothing to print: {part.name or 'the part'} is {size[0]:.3g} x {size[1]:.3g} x {size[2]:.3g} mm"
            " and no layer holds any of it; check its units (--units)",
        )
    warning = suspect_units(max(size))
    summary: dict[str, Any] = {
        "printer": machine.mac_name,
        "material": chosen.mat_name,
        "size_mm": [round(v, 3) for v in size],
        "turned_to_fit": turned,
        "layers": len(slices.layers),
        "layer_height_mm": height,
        "output": str(out),
    }
    if repaired:
        summary["repaired"] = repaired
    if warning is not None:
        summary["warnings"] = [{"code": warning.code, "message": warning.message}]
    if kind == "gcode":
        support_part = support_geometry(part, rotation, "fdm") if supports else None
        support_slices = None
        if support_part is not None and support_part.triangle_count:
            # Cut the supports at the part's own layer heights.
            support_slices = align_supports(slice_part(support_part, height), slices)
        # The settings the quote's FDM time is estimated with (one time model).
        result = fdm_gcode(slices, fdm_settings(machine, chosen), support_slices)
        out.write_text(result.text)
        summary.update(
            print_time_s=result.seconds, filament_m=result.filament_mm / 1000.0, filament_g=result.filament_g
        )
    elif kind == "png" and (display := sl1_display(machine.mac_name)) is not None:
        lo, hi = slices_bounds(slices)
        volume = machine.build_volume
        check_inside(np.stack([lo, hi]), slices.height, volume, machine.mac_name, origin_corner=False)
        sl1 = sl1_archive(
            slices,
            display,
            exposure=exposure_fields(exposure),
            job=part.name or "part",
            material=chosen.mat_name,
            density=chosen.mat_rho,
        )
        out.write_bytes(sl1.content)
        summary.update(
            print_time_s=sl1.seconds, resin_ml=sl1.resin_ml, pixel_mm=display.width_mm / display.pixels_x
        )
    elif kind == "png":
        stack = stack_for_plate(
            machine.bld_size_x,
            machine.bld_size_y,
            centre=_centre(slices),
            printer=machine.mac_name,
            exposure={"layer_height_mm": height, **exposure_fields(exposure)},
            naming=png_naming(machine.mac_name),
            job=part.name or "part",
        )
        lo, hi = slices_bounds(slices)
        check_inside(
            np.stack([lo, hi]), slices.height, machine.build_volume, machine.mac_name, origin_corner=False
        )
        out.write_bytes(png_stack(slices, stack))
        summary.update(pixel_mm=stack.pixel_mm, printed_volume_mm3=slices.volume)
    elif kind == "3mf":
        # HP's build manager takes the job as 3MF: the part in the build space, origin at its
        # front-left-bottom corner.
        out.write_bytes(plate_3mf(part, machine.build_volume))
        summary.update(printed_volume_mm3=slices.volume)
    else:
        content, seconds = write_cli(
            slices,
            cli_settings(machine, chosen, label=part.name or "part"),  # the quote's scan settings
            build_volume=machine.build_volume,
            printer=machine.mac_name,
        )
        out.write_bytes(content)
        summary.update(scan_time_s=seconds)
    return summary


def _sliceable(part: Part, repair_mesh: bool) -> tuple[Part, list[str]]:
    """The part as a closed manifold, repaired when it is not and ``repair_mesh`` allows.

    Returns the part and the repair actions taken (empty when none were needed). A part that
    is still not a closed manifold after repair raises ``request.invalid`` when sliced.
    """
    try:
        solid_of(part)
    except MakereadyError:
        if not repair_mesh:
            raise
        fixed, report = repair(part, self_intersections=False)
        return fixed, [f"{a.title}: {a.count}" for a in report.actions if a.count]
    return part, []


def _centred(part: Part, rotation: FloatArray | None) -> Part:
    """The part turned by ``rotation`` and moved so its box's centre is over the plate's centre."""
    lo, hi = _placed_bounds(part, rotation)
    matrix = np.eye(4)
    if rotation is not None:
        matrix[:3, :3] = rotation
    matrix[:2, 3] = -(lo[:2] + hi[:2]) / 2.0
    return part.transformed(matrix)


def slices_bounds(slices: Any) -> tuple[FloatArray, FloatArray]:
    """The x, y box of every layer's region, mm (zeros for no layers)."""
    x0, y0, x1, y1 = slices.xy_bounds
    return np.array([x0, y0]), np.array([x1, y1])


def _placed(part: Part, rotation: FloatArray | None) -> FloatArray:
    vertices = np.concatenate([b.vertices for b in part.bodies]) if part.bodies else np.zeros((1, 3))
    result: FloatArray = vertices if rotation is None else vertices @ np.asarray(rotation).T
    return result


def _placed_bounds(part: Part, rotation: FloatArray | None) -> FloatArray:
    placed = _placed(part, rotation)
    return np.stack([placed.min(axis=0), placed.max(axis=0)])


def _placed_size(part: Part, rotation: FloatArray | None) -> list[float]:
    lo, hi = _placed_bounds(part, rotation)
    return [float(v) for v in hi - lo]


def _cost_objective(part: Part, catalog: Catalog, machine: Machine, material: Material) -> Any:
    """EUR for the part printed alone on ``machine`` (lot of one): the quote's ranking."""
    from makeready.costing.objective import cost_objective
    from makeready.geometry.analysis import analyze

    return cost_objective(
        analyze(part).metrics,
        [machine],
        catalog.process(machine.prc_acronym),
        material,
        catalog.config,
        1,
        nesting="alone",
    )


def _fitting_rotation(
    part: Part, machine: Machine, settings: Any, reorient: bool, objective: Any = None
) -> tuple[FloatArray | None, bool]:
    """The rotation to slice with, and whether it was turned only to fit the build volume.

    With ``reorient`` the best-ranked orientation that fits wins (ranked by ``objective``, the
    chain's cost per part as the quote ranks, or the balanced geometric score), else any rotation that fits
    (:func:`fits_build_volume`); without it the part is sliced as uploaded and refused when it
    does not fit, with a hint when a turn would make it fit.

    Raises
    ------
    MakereadyError
        ``printable.does_not_fit`` naming the part, its size and the build volume.

    """
    volume = machine.build_volume
    name = part.name or "part"
    candidates: list[FloatArray | None] = [None]
    if reorient:
        candidates = [o.rotation for o in orient(part, settings, objective=objective or "balanced", keep=5)]
    hull = convex_hull_points(np.concatenate([b.vertices for b in part.bodies]))[0]
    found = turn_to_fit(hull, candidates, volume, name)
    if found is not None and (reorient or not found[1]):
        return found
    hint = (
        "it fits turned: slice with --orient"
        if found is not None
        else "no orientation fits: scale it down, split it, or choose a larger printer"
    )
    first = candidates[0]
    placed = hull if first is None else hull @ np.asarray(first).T
    box = np.stack([placed.min(axis=0), placed.max(axis=0)])
    check_fit([(name, box, placed[:, :2])], volume, machine.mac_name, hint=hint)
    raise AssertionError("unreachable: check_fit raised")  # pragma: no cover


def plate_3mf(part: Part, volume: Any) -> bytes:
    """The plate-centred part as a 3MF build whose origin is the build space's corner (mm)."""
    import io

    from makeready.geometry.formats import save

    lo = np.min([b.bounds[0] for b in part.bodies], axis=0)
    matrix = np.eye(4)
    matrix[:3, 3] = [volume.x / 2.0, volume.y / 2.0, -lo[2]]
    buffer = io.BytesIO()
    save(part.transformed(matrix), buffer, "3mf")
    return buffer.getvalue()


def _centre(slices: Any) -> tuple[float, float]:
    x0, y0, x1, y1 = slices.xy_bounds
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
