"""Print preparation: trays, meshes placed on a printer's plate, ready to print (3D Print API's trays).

A tray's printer type, profile and material come from :mod:`makeready.print_definitions`. A
:class:`Tray` is immutable; :func:`prepare` returns a new
tray after the four steps of 3D Print API — repaired → oriented → positioned → supported — honouring
each mesh's ``mesh_attrs`` (``reposition``, ``reorient``, ``support``, all true by default).
:func:`generate_printable` then slices the tray into the printer's file.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from makeready.costing.objective import NO_FIT_PENALTY, cost_objective
from makeready.errors import MakereadyError
from makeready.geometry.design_rules import BuildVolume
from makeready.geometry.mesh import Part
from makeready.geometry.metrics import Metrics, convex_hull_points
from makeready.geometry.orientation import PlanScore, orient
from makeready.geometry.packing import footprint, nest_in_bed, nest_on_plate, plate_shape
from makeready.geometry.repair import repair
from makeready.geometry.slicing import slice_part
from makeready.geometry.supports import PROCESSES, SupportPlan, SupportSettings, support_geometry
from makeready.geometry.types import FloatArray
from makeready.print_definitions import PrintDefinitions, PrinterType, PrintRecord
from makeready.printables.dlp_png import exposure_fields, png_stack, stack_for_plate
from makeready.printables.fdm_gcode import FdmSettings, fdm_gcode
from makeready.printables.fit import check_fit, describe, turn_to_fit
from makeready.printables.pbf_cli import write_cli
from makeready.printables.pbf_time import cli_settings
from makeready.printables.printer_files import gcode_blocks, png_naming, require_writable, sl1_display
from makeready.printables.sl1 import sl1_archive
from makeready.printables.slice_job import align_supports, plate_3mf
from makeready.progress import NO_PROGRESS, Progress, Stage

__all__ = [
    "STATES",
    "MeshAttrs",
    "Tray",
    "TrayMesh",
    "create_tray",
    "export_supports",
    "generate_printable",
    "position",
    "prepare",
]

State = Literal["created", "repaired", "oriented", "positioned", "supported"]
STATES: tuple[State, ...] = ("created", "repaired", "oriented", "positioned", "supported")
_SPACING_MM = {"FDM": 5.0, "DLP": 3.0, "SLA": 3.0, "SLM": 5.0, "MJF": 3.0}


@dataclass(frozen=True, slots=True)
class MeshAttrs:
    """What :func:`prepare` may do to a mesh (3D Print API ``mesh_attrs``)."""

    reposition: bool = True
    reorient: bool = True
    support: bool = True


@dataclass(frozen=True, slots=True)
class TrayMesh:
    """A mesh on a tray: the part as given and its placement (4 × 4, part mm → tray mm)."""

    id: str
    name: str
    part: Part
    transform: FloatArray = field(default_factory=lambda: np.eye(4))

    def placed(self) -> Part:
        """The part in tray coordinates (origin at the plate centre, z up, mm)."""
        return self.part.transformed(self.transform)


@dataclass(frozen=True, slots=True)
class Tray:
    """An immutable tray (3D Print API); ``history`` lists the states it went through."""

    id: str
    printer_type: PrinterType
    profile: PrintRecord
    material: PrintRecord
    meshes: tuple[TrayMesh, ...]
    mesh_attrs: Mapping[str, MeshAttrs]
    state: State = "created"
    ready: bool = False
    supports: Mapping[str, Part] = field(default_factory=dict)
    history: tuple[State, ...] = ("created",)
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The 3D Print API tray object (lengths in cm; ``transform`` rows in cm)."""
        meshes = []
        for mesh in self.meshes:
            lo, hi = mesh.placed().bounds
            transform = mesh.transform[:3, :].copy()
            transform[:, 3] /= 10.0
            meshes.append(
                {
                    "id": mesh.id,
                    "name": mesh.name,
                    "geom": {
                        "num_vertices": mesh.part.vertex_count,
                        "num_triangles": mesh.part.triangle_count,
                        "has_uvs": mesh.part.has_uvs,
                        "bounding_box": {"min": (lo / 10.0).tolist(), "max": (hi / 10.0).tolist()},
                    },
                    "transform": transform.tolist(),
                }
            )
        attrs = {
            k: {"reposition": a.reposition, "reorient": a.reorient, "support": a.support}
            for k, a in self.mesh_attrs.items()
        }
        return {
            "id": self.id,
            "printer_type_id": self.printer_type.id,
            "profile_id": self.profile.id,
            "default_material_id": self.material.id,
            "settings": self.profile.settings,
            "meshes": meshes,
            "mesh_attrs": attrs,
            "state": self.state,
            "ready": self.ready,
        }


def create_tray(
    printer_type: str | PrinterType,
    meshes: Mapping[str, Part] | Sequence[Part],
    *,
    profile: str | None = None,
    material: str | None = None,
    mesh_attrs: Mapping[str, MeshAttrs] | None = None,
    definitions: PrintDefinitions | None = None,
) -> Tray:
    """A tray in state ``created`` (3D Print API ``POST /trays``).

    Raises
    ------
    MakereadyError
        ``catalog.not_found`` for unknown names; ``tray.incompatible`` when the profile or the
        material does not list the printer type (3D Print API error 100907).

    """
    defs = definitions or PrintDefinitions.default()
    printer = printer_type if isinstance(printer_type, PrinterType) else defs.printer_type(printer_type)
    chosen_profile = defs.profile(profile or printer.record["default_profile_id"])
    chosen_material = defs.material(material or printer.record["default_material_id"])
    for record, kind in ((chosen_profile, "profile"), (chosen_material, "material")):
        if printer.id not in record.printer_types:
            raise MakereadyError(
                "tray.incompatible",
                f"{kind} {record.name!r} is not for printer type {printer.name!r}",
                kind=kind,
            )
    items = meshes.items() if isinstance(meshes, Mapping) else ((str(uuid.uuid4()), p) for p in meshes)
    named = isinstance(meshes, Mapping)
    tray_meshes = tuple(TrayMesh(key, key if named else (part.name or key), part) for key, part in items)
    attrs = {m.id: (mesh_attrs or {}).get(m.id, MeshAttrs()) for m in tray_meshes}
    return Tray(str(uuid.uuid4()), printer, chosen_profile, chosen_material, tray_meshes, attrs)


def _support_settings(tray: Tray) -> SupportSettings:
    base = PROCESSES[tray.printer_type.process]
    profile = tray.profile.record
    changes: dict[str, float] = {}
    if "support_max_angle" in profile:
        changes["support_angle"] = math.degrees(float(profile["support_max_angle"]))
    for name in ("tip_radius", "tip_length", "post_radius", "base_radius", "bed_standoff"):
        key = f"support_{name}"
        if key in profile and base.style == "tree":
            changes[name] = float(profile[key]) * 10.0  # cm → mm
    if "layer_height" in profile:
        changes["layer_height"] = float(profile["layer_height"]) * 10.0
        changes["first_layer_height"] = (
            float(profile.get("layer_height_first", profile["layer_height"])) * 10.0
        )
    return replace(base, **changes)  # type: ignore[arg-type]


def prepare(
    tray: Tray,
    *,
    progress: Progress = NO_PROGRESS,
    definitions: PrintDefinitions | None = None,
) -> Tray:
    """Repair, orient, position and support every mesh; a new tray in state ``supported``.

    Meshes to reorient are turned to the orientation that costs least per part on the tray's
    printer and material (:func:`makeready.costing.objective.cost_objective`, one part's share
    of a full plate: supports and their removal, layers, machine time) among those that fit;
    ``definitions`` holds the catalog it is priced from (default: the shipped one).

    Raises
    ------
    MakereadyError
        ``tray.does_not_fit`` when a mesh fits nowhere on the plate (the message names it).

    """
    notes: list[str] = []
    meshes = []
    metrics = {}
    for mesh in tray.meshes:
        fixed, result = repair(mesh.part, self_intersections=False)
        metrics[mesh.id] = result.after.metrics
        changed = any(a.count for a in result.actions)
        meshes.append(replace(mesh, part=fixed) if changed else mesh)  # unchanged meshes stay the same object
        if changed:
            notes.append(f"{mesh.name}: repaired ({', '.join(a.title for a in result.actions if a.count)})")
    tray = replace(tray, meshes=tuple(meshes), state="repaired", history=(*tray.history, "repaired"))
    progress(0.25, Stage.REPAIRED)
    settings = _support_settings(tray)
    volume = tray.printer_type.machine.build_volume
    turned = []
    for mesh in tray.meshes:
        matrix = mesh.transform.copy()
        if tray.mesh_attrs[mesh.id].reorient:
            matrix = np.eye(4)
            objective = _cost_objective(tray, metrics[mesh.id], definitions or PrintDefinitions.default())
            matrix[:3, :3] = _fitting_orientation(mesh.part, settings, volume, objective)
        turned.append(replace(mesh, transform=matrix))
    tray = replace(tray, meshes=tuple(turned), state="oriented", history=(*tray.history, "oriented"))
    progress(0.5, Stage.ORIENTED)
    tray = _position(tray, settings)
    progress(0.75, Stage.POSITIONED)
    supports: dict[str, Part] = {}
    if tray.printer_type.record["printable"].get("generates_supports", False):
        for mesh in tray.meshes:
            if tray.mesh_attrs[mesh.id].support:
                structure = support_geometry(mesh.placed(), None, settings)
                if structure.triangle_count:
                    supports[mesh.id] = structure
    check_fit(
        [(m.name, _bounds_with(m.placed(), supports.get(m.id))) for m in tray.meshes],
        volume,
        tray.printer_type.name,
        code="tray.does_not_fit",
        centred=False,
    )
    # After preparation mesh_attrs say what was done to each mesh (docs/printables.md).
    done = {
        mesh.id: MeshAttrs(
            reposition=tray.mesh_attrs[mesh.id].reposition,
            reorient=not np.allclose(mesh.transform[:3, :3], np.eye(3)),
            support=mesh.id in supports,
        )
        for mesh in tray.meshes
    }
    progress(1.0, Stage.SUPPORTED)
    return replace(
        tray,
        supports=supports,
        mesh_attrs=done,
        state="supported",
        ready=True,
        history=(*tray.history, "supported"),
        notes=(*tray.notes, *notes),
    )


def _cost_objective(tray: Tray, metrics: Metrics, definitions: PrintDefinitions) -> PlanScore:
    """EUR for the mesh printed alone on the tray's printer (a lot of one, one build).

    An orientation whose footprint box does not fit the plate with the tray's margin and
    spacing (as :func:`_position` lays it out) scores as not fitting.
    """
    catalog = definitions.catalog
    machine = tray.printer_type.machine
    side = machine.bld_size_x / math.sqrt(2.0) if machine.bld_shape == "cylindrical" else None
    room = sorted((side, side) if side else (machine.bld_size_x, machine.bld_size_y))
    # Plate margin on both sides plus the footprint grown by half the spacing on both sides.
    border = 3.0 * _spacing(tray)
    cost = cost_objective(
        metrics,
        [machine],
        catalog.process(tray.printer_type.process),
        definitions.catalog_material(tray.material),
        catalog.config,
        1,
        nesting="alone",  # the tray is one build: its height and supports, not copies per plate
    )

    def score(plan: SupportPlan) -> float:
        need = sorted(float(v) + border for v in plan.extents[:2])
        if need[0] > room[0] or need[1] > room[1]:
            return NO_FIT_PENALTY + plan.support_volume + plan.build_height
        return cost(plan)

    return score


def _spacing(tray: Tray) -> float:
    """Gap between meshes and from the plate's edge, mm (the profile's, else the technology's)."""
    return (
        float(tray.profile.record.get("part_spacing", 0.0)) * 10.0
        or _SPACING_MM[tray.printer_type.technology]
    )


def _fitting_orientation(
    part: Part, settings: SupportSettings, volume: BuildVolume, objective: PlanScore
) -> FloatArray:
    """The best-ranked orientation that fits the build volume alone, else one turned to fit."""
    ranked = [o.rotation for o in orient(part, settings, objective=objective, keep=5)]
    hull = convex_hull_points(np.concatenate([b.vertices for b in part.bodies]))[0]
    found = turn_to_fit(hull, ranked, volume, part.name or "mesh")
    rotation: FloatArray = ranked[0] if found is None or found[0] is None else found[0]
    return rotation  # none fits: positioning then names the mesh, its size and the volume


def _bounds_with(placed: Part, supports: Part | None) -> FloatArray:
    """Box of a placed mesh and its supports, tray mm."""
    boxes = [placed.bounds] + ([supports.bounds] if supports is not None and supports.triangle_count else [])
    stacked = np.stack(boxes)
    return np.stack([stacked[:, 0].min(axis=0), stacked[:, 1].max(axis=0)])


def _position(tray: Tray, settings: SupportSettings) -> Tray:
    """Lay the meshes out on the plate (or stack them in a powder bed)."""
    printer = tray.printer_type
    machine = printer.machine
    plate = plate_shape(
        machine.bld_size_x, machine.bld_size_y, cylindrical=machine.bld_shape == "cylindrical"
    )
    spacing = _spacing(tray)
    movable = [m for m in tray.meshes if tray.mesh_attrs[m.id].reposition]
    outlines = [footprint(m.placed()) for m in movable]
    heights = [float(np.ptp(m.placed().bounds[:, 2])) for m in movable]
    lift = settings.bed_standoff
    if printer.technology == "MJF":
        bed = nest_in_bed(outlines, heights, plate, machine.bld_size_z, spacing=spacing, margin=spacing)
        placements, unplaced = bed.placements, bed.unplaced
    else:
        layout = nest_on_plate(outlines, plate, spacing=spacing, margin=spacing)
        placements, unplaced = layout.placements, layout.unplaced
    if unplaced:
        # A mesh too large for the plate on its own gets its size and the build volume named;
        # one that fits alone but not beside the others is told so.
        check_fit(
            [(movable[i].name, movable[i].placed().bounds) for i in unplaced],
            machine.build_volume,
            printer.name,
            code="tray.does_not_fit",
        )
        names = ", ".join(movable[i].name for i in unplaced)
        raise MakereadyError(
            "tray.does_not_fit",
            f"no room on {printer.name} ({describe(machine.build_volume)}) for: {names}; each fits alone:"
            " spread the meshes over more trays",
            meshes=names,
        )
    placed = {}
    for p in placements:
        mesh = movable[p.index]
        turn = np.eye(4)
        c, s = math.cos(math.radians(p.angle)), math.sin(math.radians(p.angle))
        turn[:2, :2] = [[c, -s], [s, c]]
        matrix = turn @ mesh.transform
        bottom = mesh.part.transformed(matrix).bounds[0, 2]
        matrix[:3, 3] += [p.offset[0], p.offset[1], p.z + lift - bottom]
        placed[mesh.id] = replace(mesh, transform=matrix)
    for mesh in tray.meshes:
        if mesh.id not in placed:  # not repositioned: only lifted onto the plate
            matrix = mesh.transform.copy()
            matrix[2, 3] += lift - mesh.part.transformed(matrix).bounds[0, 2]
            placed[mesh.id] = replace(mesh, transform=matrix)
    meshes = tuple(placed[m.id] for m in tray.meshes)
    return replace(tray, meshes=meshes, state="positioned", history=(*tray.history, "positioned"))


def position(tray: Tray) -> Tray:
    """The tray's meshes laid out anew on its printer's plate (or stacked in its powder bed).

    Orientations are kept; only where each mesh stands changes (``transform``'s translation
    and its turn about z). Used when a tray prepared for one printer goes to another.
    """
    return _position(tray, _support_settings(tray))


def export_supports(tray: Tray) -> dict[str, Part]:
    """Support structures per mesh id, in tray coordinates (3D Print API ``export-support``)."""
    return dict(tray.supports)


def generate_printable(tray: Tray) -> tuple[bytes, str, dict[str, Any]]:
    """The printer's file for a ready tray: ``(content, extension, summary)``.

    Raises
    ------
    MakereadyError
        ``tray.not_ready`` before :func:`prepare` (3D Print API error 101207).

    """
    if not tray.ready:
        raise MakereadyError("tray.not_ready", "prepare the tray before generating its printable")
    printer, profile = tray.printer_type, tray.profile.record
    require_writable(printer.machine.mac_name)
    # Prepared trays fit their printer; a tray built from a raw file of another printer may
    # not, and nothing that leaves the build volume is ever written.
    placed = [m.placed() for m in tray.meshes]
    check_fit(
        [
            (m.name, _bounds_with(p, tray.supports.get(m.id)))
            for m, p in zip(tray.meshes, placed, strict=True)
        ],
        printer.machine.build_volume,
        printer.name,
        centred=False,
    )
    bodies = [b for p in placed for b in p.bodies]
    everything = Part(tuple(bodies), "tray", name="tray")
    layer = float(profile.get("layer_height", 0.02)) * 10.0
    first = float(profile.get("layer_height_first", profile.get("layer_height", 0.02))) * 10.0
    slices = slice_part(everything, layer, first)
    machine = printer.machine
    summary: dict[str, Any] = {
        "printer": printer.name,
        "layers": len(slices.layers),
        "meshes": len(tray.meshes),
    }
    content = printer.record["printable"]["content"]
    if content == "GCODE":
        material = tray.material.record
        support_bodies = [b for part in tray.supports.values() for b in part.bodies]
        supports = (
            slice_part(Part(tuple(support_bodies), "supports"), layer, first) if support_bodies else None
        )
        cfg = FdmSettings(
            bed_centre=(machine.bld_size_x / 2.0, machine.bld_size_y / 2.0),
            nozzle_temp=float(material.get("temp_extrude_default", 215)),
            bed_temp=float(material.get("temp_bed", 60)),
            fan_percent=float(material.get("extruder_fan_speed", 100)),
            filament_diameter=float(material.get("filament_diameter", 1.75)),
            infill_density=float(profile.get("infill_density", 0.2)),
            printer=printer.name,
            build_volume=machine.build_volume,
            blocks=gcode_blocks(machine.mac_name),
        )
        result = fdm_gcode(slices, cfg, align_supports(supports, slices) if supports else None)
        summary.update(print_time_s=result.seconds, filament_m=result.filament_mm / 1000.0)
        return result.text.encode(), "gcode", summary
    if content == "3MF":
        return plate_3mf(everything, machine.build_volume), "3mf", summary
    if content == "SL1":
        withsupports = Part((*bodies, *(b for p in tray.supports.values() for b in p.bodies)), "tray")
        written = slice_part(withsupports, layer, first)
        material_row = tray.material.record
        sl1 = sl1_archive(
            written,
            sl1_display(machine.mac_name),
            exposure=exposure_fields(material_row),
            job="tray",
            material=str(material_row.get("name", "")),
            density=float(material_row.get("density") or 1.12),
        )
        summary.update(layers=sl1.layers, print_time_s=sl1.seconds, resin_ml=sl1.resin_ml)
        return sl1.content, "sl1", summary
    if content == "PNG-GZIP":
        stack = stack_for_plate(
            machine.bld_size_x,
            machine.bld_size_y,
            printer=printer.name,
            exposure=exposure_fields(tray.material.record),
            naming=png_naming(machine.mac_name),
            job="tray",
        )
        withsupports = Part((*bodies, *(b for p in tray.supports.values() for b in p.bodies)), "tray")
        written = slice_part(withsupports, layer, first)
        summary["layers"] = len(written.layers)  # what the archive holds, supports included
        return png_stack(written, stack), "tar.gz", summary
    withsupports = Part((*bodies, *(b for p in tray.supports.values() for b in p.bodies)), "tray")
    written = slice_part(withsupports, layer, first)
    summary["layers"] = len(written.layers)  # what the file holds, supports included
    catalog_material = PrintDefinitions.default().catalog_material(tray.material)
    content, seconds = write_cli(
        written,
        cli_settings(machine, catalog_material, label="tray"),  # the quote's scan settings
        build_volume=machine.build_volume,
        printer=printer.name,
    )
    summary.update(scan_time_s=seconds)
    return content, "cli", summary
