"""Overhangs and support estimates against shapes with known support volumes; support meshes."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from makeready import plan_supports, support_geometry
from makeready.geometry.analysis import analyze
from makeready.geometry.supports import PROCESSES, layer_count, support_settings
from tests.meshes import box, boxes_union, intersection_volume, part

T_SHAPE = (
    ((10, 10, 20), (10, 0, 0)),
    ((30, 10, 5), (0, 0, 20)),
)  # stem, and a bar overhanging 10 mm each side
BRIDGE = (((5, 10, 15), (0, 0, 0)), ((5, 10, 15), (25, 0, 0)), ((30, 10, 5), (0, 0, 15)))
CANTILEVER = (((10, 10, 20), (0, 0, 0)), ((30, 10, 5), (0, 0, 20)))
SHELF = (
    ((10, 10, 30), (0, 0, 0)),
    ((20, 10, 3), (10, 0, 10)),
    ((20, 10, 3), (10, 0, 27)),
)  # two arms, one above the other


def shape(boxes):
    return part(*boxes_union(*boxes))


@pytest.mark.parametrize(
    ("boxes", "volume", "area"),
    [
        (T_SHAPE, 2 * 10 * 10 * 20, 200.0),
        (BRIDGE, 20 * 10 * 15, 200.0),
        (CANTILEVER, 20 * 10 * 20, 200.0),
        # The upper arm is supported down to the lower arm (self-shadowing), the lower one to the plate.
        (SHELF, 20 * 10 * 10 + 20 * 10 * (27 - 13), 400.0),
    ],
)
@pytest.mark.parametrize("engine", ["embree", "numpy"])
def test_support_volume_of_known_shapes(boxes, volume, area, engine):
    if engine == "embree":
        pytest.importorskip("embreex")
    plan = plan_supports(shape(boxes), None, "fdm", density=1.24, engine=engine)
    assert plan.support_volume == pytest.approx(volume, rel=0.02)
    assert plan.overhang_area == pytest.approx(area)
    assert plan.support_area == pytest.approx(area)
    assert plan.support_material_volume == pytest.approx(volume * 0.15, rel=0.02)
    assert plan.support_mass == pytest.approx(volume * 0.15 * 1.24e-3, rel=0.02)


def test_plate_contact_and_standoff():
    upright = shape((((40, 10, 5), (0, 0, 0)), ((5, 10, 30), (0, 0, 0))))  # an L standing on its base
    assert plan_supports(upright, None, "fdm").support_volume == 0.0
    # Resin printers lift the part by the bed standoff: the base needs supports then.
    resin = plan_supports(upright, None, "sla")
    assert resin.support_volume == pytest.approx(40 * 10 * 3.0, rel=1e-6)
    assert resin.build_height == pytest.approx(30 + 3.0)


@pytest.mark.parametrize(("angle", "needs"), [(45.0, False), (44.0, True), (46.0, False)])
def test_ramp_at_the_angle_limit(angle, needs):
    """A ramp whose underside rises at ``angle`` from the plate; 45 deg is the FDM limit."""
    run = 20.0
    rise = run * np.tan(np.radians(angle))
    v = np.array([[0, 0, 0], [run, 0, rise], [run, 0, rise + 5], [0, 0, 5]], float)
    v = np.concatenate([v, v + np.array([0.0, 10.0, 0.0])])
    f = np.array(
        [[0, 1, 2], [0, 2, 3], [4, 6, 5], [4, 7, 6],  # sides y = 0 and y = 10
         [0, 5, 1], [0, 4, 5], [3, 2, 6], [3, 6, 7],  # underside, top
         [1, 5, 6], [1, 6, 2], [0, 3, 7], [0, 7, 4]]  # ends
    )  # fmt: skip
    plan = plan_supports(part(v, f), None, "fdm")
    if needs:
        # The underside is supported down to the plate: a wedge of volume run * rise / 2 * depth.
        assert plan.support_volume == pytest.approx(run * rise / 2 * 10, rel=0.02)
    else:
        assert plan.support_volume == 0.0
        assert plan.overhang_area == 0.0


def test_self_supporting_processes_and_layers():
    t = shape(T_SHAPE)
    for process in ("sls", "mjf", "bj"):
        plan = plan_supports(t, None, process)
        assert plan.support_volume == 0.0
        assert plan.layer_count == layer_count(25.0, support_settings(process))
    settings = support_settings("dlp")  # first layer 0.1, then 0.05
    assert layer_count(0.05, settings) == 1
    assert layer_count(0.1, settings) == 1
    assert layer_count(0.15, settings) == 2
    assert layer_count(10.0, settings) == 1 + 198
    assert plan_supports(t, None, "slm").layer_count == 834  # 1 + ceil((25 - 0.03) / 0.03)


def test_rotation_is_applied_and_validated():
    plate = part(*box((40.0, 30.0, 2.0)))
    upright = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # stand the plate on its long edge
    plan = plan_supports(plate, upright, "fdm")
    assert plan.build_height == pytest.approx(30.0)
    assert np.allclose(plan.extents, [40.0, 2.0, 30.0])
    with pytest.raises(ValueError, match="rotation"):
        plan_supports(plate, np.diag([1.0, 1.0, -1.0]), "fdm")
    with pytest.raises(ValueError, match="unknown process"):
        plan_supports(plate, None, "welding")


@pytest.mark.parametrize("process", ["fdm", "slm", "sla", "dlp"])
@pytest.mark.parametrize("boxes", [T_SHAPE, BRIDGE, SHELF])
def test_support_meshes_are_closed_and_clear_the_part(process, boxes):
    mesh = boxes_union(*boxes)
    supports = support_geometry(part(*mesh), None, process)
    body = supports.bodies[0]
    assert body.triangle_count > 0
    report = analyze(supports, self_intersections=False)
    assert report.watertight
    assert report.valid_volume
    assert intersection_volume(mesh, (body.vertices, body.faces)) == pytest.approx(0.0, abs=1e-6)
    lo, hi = body.bounds
    settings = PROCESSES[process]
    assert lo[2] == pytest.approx(-settings.bed_standoff, abs=1e-9)  # they stand on the plate
    assert hi[2] <= 35.0


def test_no_supports_when_nothing_overhangs():
    assert support_geometry(part(*box((10.0, 10.0, 10.0))), None, "fdm").triangle_count == 0
    assert support_geometry(shape(T_SHAPE), None, "sls").triangle_count == 0


def test_faces_at_the_support_angle_are_self_supporting():
    # A 45° chamfer against a limit given in rounded radians (0.7854 rad = 45.0001°).
    from makeready.geometry.supports import overhang_faces, support_settings

    settings = dataclasses.replace(support_settings("fdm"), support_angle=math.degrees(0.7854))
    down = np.array([[0.0, -math.sin(math.radians(45.0)), -math.cos(math.radians(45.0))], [0.0, 0.0, -1.0]])
    need = overhang_faces(down, np.array([10.0, 10.0]), 0.0, settings)
    assert need.tolist() == [False, True]
