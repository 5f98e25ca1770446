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
