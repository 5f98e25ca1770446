"""Trays (3D Print API): definitions, compatibility, every state, layout on the plate, printables."""

from __future__ import annotations

import numpy as np
import pytest

from makeready.errors import MakereadyError
from makeready.geometry.formats import load
from makeready.geometry.packing import footprint
from makeready.print_definitions import PrintDefinitions
from makeready.workflows.trays import (
    STATES,
    MeshAttrs,
    create_tray,
    export_supports,
    generate_printable,
    prepare,
)
from tests.conftest import DATA
from tests.meshes import box, boxes_union, part
from tests.test_supports import T_SHAPE

DEFS = PrintDefinitions.default()


def test_definitions_cover_the_required_printers_and_share_the_catalog():
    techs = [p.technology for p in DEFS.printer_types.values()]
    assert techs.count("FDM") >= 2
    assert "DLP" in techs
    assert "SLA" in techs
    assert techs.count("SLM") >= 2
    assert "MJF" in techs
    for printer in DEFS.printer_types.values():
        assert printer.machine is DEFS.catalog.machine(printer.machine.mac_name)  # one catalog, not a copy
        bed = printer.record["build_volume"]["bed_size"]
        assert bed == pytest.approx(
            [
                printer.machine.bld_size_x / 10,
                printer.machine.bld_size_y / 10,
                printer.machine.bld_size_z / 10,
            ]
        )
        assert printer.record["default_profile_id"] in DEFS.profiles
        assert printer.record["default_material_id"] in DEFS.materials
    for material in DEFS.materials.values():
        assert DEFS.catalog_material(material).mat_name == material.record["catalog_material"]


def test_compatibility_is_checked_with_codes():
    cube = part(*box((10.0, 10.0, 10.0)))
    with pytest.raises(MakereadyError) as wrong_material:
        create_tray("Prusa MK4", [cube], material="Standard Resin DLP")
    assert wrong_material.value.code == "tray.incompatible"
    with pytest.raises(MakereadyError) as wrong_profile:
        create_tray("Autodesk Ember", [cube], profile="FDM 0.2 mm standard")
    assert wrong_profile.value.code == "tray.incompatible"
    with pytest.raises(MakereadyError) as unknown:
        create_tray("Replicator 9000", [cube])
    assert unknown.value.code == "catalog.not_found"


@pytest.mark.parametrize(
    "printer", ["Prusa MK4", "Autodesk Ember", "EOS M 290", "HP Jet Fusion 5200", "Prusa SL1S SPEED"]
)
def test_tray_moves_through_every_state_and_prints(printer):
    t_shape = part(*boxes_union(*T_SHAPE))
    cube = part(*box((12.0, 12.0, 8.0)))
    tray = create_tray(printer, {"t": t_shape, "cube": cube})
    assert (tray.state, tray.ready) == ("created", False)
    with pytest.raises(MakereadyError) as early:
        generate_printable(tray)
    assert early.value.code == "tray.not_ready"
    ready = prepare(tray)
    assert ready.history == STATES
    assert (ready.state, ready.ready) == ("supported", True)
    assert tray.state == "created"  # immutable: the original is unchanged
    machine = ready.printer_type.machine
    for mesh in ready.meshes:
        lo, hi = mesh.placed().bounds
        assert abs(lo[0]) <= machine.bld_size_x / 2
        assert abs(hi[0]) <= machine.bld_size_x / 2
        assert abs(lo[1]) <= machine.bld_size_y / 2
        assert abs(hi[1]) <= machine.bld_size_y / 2
        assert lo[2] >= -1e-6
        assert hi[2] <= machine.bld_size_z
    if ready.printer_type.technology != "MJF":  # on one plate: true footprints keep the spacing
        first, second = (footprint(m.placed()) for m in ready.meshes)
        assert first.distance(second) >= 3.0 - 1e-6
    t = next(m for m in ready.meshes if m.id == "t")
    assert np.ptp(t.placed().bounds[:, 2]) == pytest.approx(10.0)  # the T is laid flat: no overhang
    content, extension, summary = generate_printable(ready)
    assert len(content) > 0
    assert summary["layers"] > 0
    assert (
        extension
        == {"FDM": "gcode", "DLP": "tar.gz", "SLM": "cli", "MJF": "3mf", "SLA": "sl1"}[
            ready.printer_type.technology
        ]
    )
    wire = ready.to_json()
    assert wire["state"] == "supported"
    assert wire["ready"] is True
    assert set(wire["mesh_attrs"]["t"]) == {"reposition", "reorient", "support"}


def test_mesh_attrs_are_honoured_and_supports_exported():
    t_shape = part(*boxes_union(*T_SHAPE))
    keep = {"t": MeshAttrs(reposition=False, reorient=False, support=True)}
    ready = prepare(create_tray("Prusa MK4", {"t": t_shape}, mesh_attrs=keep))
    mesh = ready.meshes[0]
    assert np.allclose(mesh.transform[:3, :3], np.eye(3))  # not turned
    assert np.allclose(mesh.transform[:2, 3], 0.0)  # not moved sideways
    supports = export_supports(ready)
    assert set(supports) == {"t"}
    assert supports["t"].triangle_count > 0
    # After preparation the attributes say what was done: not moved, not turned, supported.
    assert ready.mesh_attrs["t"] == MeshAttrs(reposition=False, reorient=False, support=True)


def test_part_too_big_for_the_plate():
    beam = part(*box((80.0, 10.0, 5.0)))  # longer than the Ember's 64 x 40 mm plate
    fixed = {"beam": MeshAttrs(reposition=True, reorient=False, support=True)}
    with pytest.raises(MakereadyError) as error:
        prepare(create_tray("Autodesk Ember", {"beam": beam}, mesh_attrs=fixed))
    assert error.value.code == "tray.does_not_fit"
    assert "beam (80.0 x 10.0 x 5.0 mm" in error.value.message
    assert "64 x 40 x 134 mm" in error.value.message
    # Allowed to turn it, preparation raises it off the plate: standing, or leaning where fewer
    # layers cost less than the supports under the slope (resin time goes by layers).
    ready = prepare(create_tray("Autodesk Ember", {"beam": beam}))
    lo, hi = ready.meshes[0].placed().bounds
    assert 40.0 < hi[2] - lo[2] <= 80.0 + 1e-6
    assert ready.mesh_attrs["beam"].reorient is True
    assert (np.abs(np.stack([lo, hi])[:, :2]) <= [32.0, 20.0]).all()


def test_a_flat_bottomed_part_lies_exactly_on_its_face():
    # featuretype (trimesh's test model, 5 x 2.5 x 1.375 in, 45° chamfers): the tray's profile
    # gives the support angle as 0.7854 rad (45.0001°); the part used to be tilted 1° with a
    # 0.9 mm raft under its whole base.
    part = load(DATA / "featuretype.STL", units="inch")
    ready = prepare(create_tray("Prusa MK4", {"f": part}))
    rotation = ready.meshes[0].transform[:3, :3]
    assert np.allclose(np.abs(rotation), np.round(np.abs(rotation)), atol=1e-9)  # a face exactly down
    assert rotation[2] @ [0, 0, 1] == pytest.approx(1.0)
    assert "f" not in ready.supports  # the 45° chamfers are self-supporting
    assert ready.mesh_attrs["f"].support is False
