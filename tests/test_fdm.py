"""FDM G-code: an independent reader checks layers, extrusion against volume, bed limits, supports."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from makeready.geometry.slicing import slice_part
from makeready.geometry.supports import support_geometry
from makeready.printables import FdmSettings, fdm_gcode
from tests.meshes import box, boxes_union, part
from tests.test_supports import T_SHAPE

MOVE = re.compile(
    r"^G([01])(?: X(?P<x>-?[\d.]+))?(?: Y(?P<y>-?[\d.]+))?(?: Z(?P<z>-?[\d.]+))?(?: E(?P<e>-?[\d.]+))?(?: F(?P<f>[\d.]+))?$"
)


def read_gcode(text: str) -> dict[str, object]:
    """A small Marlin reader: positions, relative extrusion (M83), layers and header fields."""
    assert "M83" in text  # relative extrusion
    x = y = z = 0.0
    extruded = 0.0
    points = []
    zs = set()
    for line in text.splitlines():
        if not line or line.startswith(";") or not line.startswith("G"):
            continue
        match = MOVE.match(line)
        if match is None:
            continue
        if match["x"] is not None:
            x = float(match["x"])
        if match["y"] is not None:
            y = float(match["y"])
        if match["z"] is not None:
            z = float(match["z"])
            zs.add(z)
        if match["e"] is not None:
            e = float(match["e"])
            if match["x"] is not None or match["y"] is not None:
                extruded += e  # retractions and primes cancel out and carry no X/Y
                points.append((x, y, z))
    header = dict(re.findall(r"^;(TIME|LAYER_COUNT):(\d+)", text, re.M))
    return {"extruded_mm": extruded, "points": np.array(points), "layers": len(zs), "header": header}


def test_solid_box_extrudes_its_volume():
    cube = slice_part(part(*box((20.0, 20.0, 10.0))), 0.2)
    settings = FdmSettings(infill_density=1.0)
    result = fdm_gcode(cube, settings)
    parsed = read_gcode(result.text)
    filament_area = math.pi * 1.75**2 / 4
    assert parsed["extruded_mm"] * filament_area == pytest.approx(4000.0, rel=0.05)
    assert parsed["extruded_mm"] == pytest.approx(result.filament_mm, rel=1e-3)
    assert parsed["layers"] == result.layers == 50
    assert int(parsed["header"]["LAYER_COUNT"]) == 50
    assert int(parsed["header"]["TIME"]) == round(result.seconds)
    points = parsed["points"]
    centre = np.array(settings.bed_centre)
    assert np.abs(points[:, :2] - centre).max() <= 10.0 + 1e-6  # within the part's footprint on the bed


def test_sparse_infill_uses_less_and_takes_less_time():
    cube = slice_part(part(*box((30.0, 30.0, 15.0))), 0.2)
    solid = fdm_gcode(cube, FdmSettings(infill_density=1.0))
    sparse = fdm_gcode(cube, FdmSettings(infill_density=0.2))
    assert sparse.filament_mm < 0.6 * solid.filament_mm
    assert sparse.seconds < solid.seconds
    # Skins: the top and bottom 4 layers stay solid, so 20 % infill is more than 20 % of the volume.
    assert sparse.extruded_mm3 > 0.2 * 30 * 30 * 15


def test_supports_are_printed_under_overhangs():
    mesh = boxes_union(*T_SHAPE)
    shape = part(*mesh)
    slices = slice_part(shape, 0.2)
    supports = slice_part(support_geometry(shape, None, "fdm"), 0.2)
    aligned = [supports.layers[i] if i < len(supports.layers) else None for i in range(len(slices.layers))]
    assert aligned[0] is not None
    without = fdm_gcode(slices)
    with_supports = fdm_gcode(slices, supports=supports)
    assert with_supports.filament_mm > without.filament_mm
    points = read_gcode(with_supports.text)["points"]
    low = points[points[:, 2] < 10.0]
    span = low[:, 0].max() - low[:, 0].min()
    assert span > 25.0  # below the bar, the supports reach out beyond the 10 mm stem


def test_acceleration_aware_time():
    short = slice_part(part(*box((5.0, 5.0, 1.0))), 0.2)
    slow = fdm_gcode(short, FdmSettings(acceleration=200.0))
    fast = fdm_gcode(short, FdmSettings(acceleration=5000.0))
    assert slow.seconds > fast.seconds


def test_scanline_fill_equals_polygon_intersection():
    # The vectorised scanline against GEOS on polygons with holes and islands; rows through
    # vertices count each vertex once (a row through a diamond's side corners is one span).
    import shapely
    from shapely.geometry import Polygon

    from makeready.printables.paths import _row_spans, _row_spans_exact

    rng = np.random.default_rng(7)
    shapes = [Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(3, 3), (7, 3), (7, 7), (3, 7)]])]
    for _ in range(30):
        angles = np.sort(rng.uniform(0, 2 * np.pi, 14))
        radius = rng.uniform(2.0, 9.0, 14)
        star = Polygon(np.column_stack([radius * np.cos(angles), radius * np.sin(angles)]))
        shapes.append(shapely.make_valid(star.difference(shapely.Point(0, 0).buffer(1.0))))
    for shape in shapes:
        for polygon in getattr(shape, "geoms", [shape]):
            if polygon.geom_type != "Polygon":
                continue
            for angle in (0.0, 45.0, 90.0, 33.0):
                c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
                ys = np.arange(-10.13, 10.5, 0.5)
                fast, exact = _row_spans(polygon, ys, c, s), _row_spans_exact(polygon, ys, c, s)
                order = np.lexsort((fast[:, 0, 0], np.round(fast[:, 0, 1], 6)))
                other = np.lexsort((exact[:, 0, 0], np.round(exact[:, 0, 1], 6)))
                assert fast[order] == pytest.approx(exact[other], abs=1e-9)
    diamond = Polygon([(0, -5), (5, 0), (0, 5), (-5, 0)])
    spans = _row_spans(diamond, np.array([-5.0, 0.0, 2.5]), 1.0, 0.0)
    assert spans.tolist() == [[[-5.0, 0.0], [5.0, 0.0]], [[-2.5, 2.5], [2.5, 2.5]]]


def test_estimator_is_the_gcode_time_model():
    # With every layer planned the estimator is the G-code's own time and extrusion, exactly;
    # on a stratified sample of a stepped part (trimesh's featuretype, pockets and bosses: top
    # skins inside it) it stays within 2 % of both.
    from makeready import load
    from makeready.geometry.repair import repair
    from makeready.printables.fdm_gcode import fdm_estimate
    from tests.conftest import DATA

    t_shape = slice_part(part(*boxes_union(*T_SHAPE)), 0.2)
    full = fdm_gcode(t_shape)
    estimate = fdm_estimate(t_shape, max_layers=10_000)
    assert estimate.planned_layers == estimate.layers == full.layers
    assert estimate.seconds == pytest.approx(full.seconds, rel=1e-12)
    assert estimate.extruded_mm3 == pytest.approx(full.extruded_mm3, rel=1e-12)
    stepped, _ = repair(load(DATA / "featuretype.STL", units="inch"), self_intersections=False)
    layers = slice_part(stepped, 0.2)
    reference = fdm_gcode(layers)
    sampled = fdm_estimate(layers, max_layers=60)
    assert sampled.planned_layers == 60 < sampled.layers == 175
    assert sampled.seconds == pytest.approx(reference.seconds, rel=0.02)
    assert sampled.extruded_mm3 == pytest.approx(reference.extruded_mm3, rel=0.02)


def test_look_ahead_planner_equals_the_sequential_one():
    # The vectorised forward/backward passes against the textbook sequential planner on random
    # paths: classic-jerk corners, v² gained or lost over each segment at most 2 a L, paths
    # starting and ending at the jerk speed.
    from makeready.printables.fdm_gcode import _look_ahead

    rng = np.random.default_rng(1)
    speed, accel, jerk = 60.0, 1000.0, 8.0
    for _ in range(100):
        n = int(rng.integers(1, 40))
        length = rng.uniform(0.01, 5.0, n)
        heading = np.cumsum(rng.normal(0.0, 0.6, n))
        direction = np.column_stack([np.cos(heading), np.sin(heading)])
        same = rng.random(n) > 0.2
        same[0] = False
        v_in, v_out = _look_ahead(length, direction, same, speed, accel, jerk)
        limit = np.empty(n)
        for k in range(n):
            change = np.max(np.abs(direction[k] - direction[k - 1])) if same[k] else 0.0
            corner = speed if change < 1e-12 else jerk / change
            limit[k] = min(max(corner, jerk), speed) ** 2 if same[k] else jerk**2
        forward = limit.copy()
        for k in range(1, n):
            if same[k]:
                forward[k] = min(limit[k], forward[k - 1] + 2 * accel * length[k - 1])
        entry = forward.copy()
        for k in range(n - 1, -1, -1):
            following = entry[k + 1] if k + 1 < n and same[k + 1] else jerk**2
            entry[k] = min(forward[k], following + 2 * accel * length[k])
        leave = [entry[k + 1] if k + 1 < n and same[k + 1] else jerk**2 for k in range(n)]
        assert v_in**2 == pytest.approx(entry, rel=1e-9, abs=1e-9)
        assert v_out**2 == pytest.approx(leave, rel=1e-9, abs=1e-9)
        # Every segment can reach its exit speed from its entry speed.
        assert np.all(np.abs(v_out**2 - v_in**2) <= 2 * accel * length + 1e-6)


def test_small_layers_are_slowed_to_the_minimum_layer_time():
    # A 5 x 5 mm column takes about 3 s a layer at full speed: with a 10 s minimum every layer
    # above the first is slowed (the G-code's feed rates drop), down to the minimum speed.
    column = slice_part(part(*box((5.0, 5.0, 4.0))), 0.2)
    fast = fdm_gcode(column, FdmSettings(min_layer_time=0.0))
    cooled = fdm_gcode(column, FdmSettings(min_layer_time=10.0))
    per_layer = fast.seconds / fast.layers
    assert per_layer < 10.0
    assert cooled.seconds > fast.seconds * 1.5
    assert cooled.seconds <= 10.0 * cooled.layers * 1.02
    speeds = {int(f) for f in re.findall(r"^G1 X[\d.]+ Y[\d.]+ E[\d.]+ F(\d+)$", cooled.text, re.M)}
    assert min(speeds) >= 10 * 60  # never below 10 mm/s
    assert cooled.filament_mm == pytest.approx(fast.filament_mm, rel=1e-9)
