"""Design rules: limits at, just below and just above each value; fitting the build volume."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest

from makeready import BuildVolume, check_design, measure
from makeready.catalog import machine, machines, material, materials
from makeready.errors import MakereadyError
from makeready.geometry.design_rules import fits_build_volume
from makeready.geometry.metrics import convex_hull_points
from makeready.geometry.tolerance import limit_tolerance
from makeready.rendering.spark import feasibility_json
from tests.conftest import ROOT
from tests.meshes import box, merged, part


@dataclasses.dataclass(frozen=True)
class Limits:
    t_lim_min: float | None = None
    t_lim_max: float | None = None
    gap_lim_min: float | None = None
    size_lim_min: float | None = None
    size_lim_max: float | None = None


@pytest.fixture(scope="module")
def plate_with_gap():
    """Two 2 mm plates 0.8 mm apart: t_min = 2, t_max = 2, gap_min = 0.8, box 40 x 30 x 4.8."""
    shape = part(*merged(box((40.0, 30.0, 2.0)), box((40.0, 30.0, 2.0), (0.0, 0.0, 2.8))))
    return shape, measure(shape)


def test_measured_values(plate_with_gap):
    _, report = plate_with_gap
    assert report.t_min == pytest.approx(2.0)
    assert report.t_max == pytest.approx(2.0)
    assert report.gap_min == pytest.approx(0.8)


@pytest.mark.parametrize(
    ("field", "value", "check"),
    [
        ("t_lim_min", 2.0, ("thickness", "t_min_chk")),
        ("t_lim_max", 2.0, ("thickness", "t_max_chk")),
        ("gap_lim_min", 0.8, ("gap_size", "gap_min_chk")),
        ("size_lim_min", 4.8, ("size", "size_min_chk")),
        ("size_lim_max", 40.0, ("size", "size_max_chk")),
    ],
)
def test_limits_at_below_and_above(plate_with_gap, field, value, check):
    shape, report = plate_with_gap
    tol = limit_tolerance(value)
    is_min = field.endswith("_min")

    def verdict(limit):
        result = check_design(shape, report, Limits(**{field: limit}))
        return getattr(getattr(result, check[0]), check[1])

    assert verdict(value) is True  # exactly at the limit
    assert verdict(value + (tol / 2 if is_min else -tol / 2)) is True  # within the tolerance
    assert verdict(value + (3 * tol if is_min else -3 * tol)) is False  # just beyond
    assert verdict(value - (3 * tol if is_min else -3 * tol)) is True  # comfortably inside
    assert verdict(None) is None  # no limit: no check


def test_no_gap_passes_and_unknown_thickness_is_unchecked():
    shape = part(*box((10.0, 10.0, 10.0)))
    report = measure(shape)
    result = check_design(shape, report, Limits(gap_lim_min=0.5, t_lim_min=1.0))
    assert result.gap_size.gap_min is None
    assert result.gap_size.gap_min_chk is True
    blank = dataclasses.replace(report, t_min=None)
    assert check_design(shape, blank, Limits(t_lim_min=1.0)).thickness.t_min_chk is None


def test_size_uses_the_minimum_box_not_the_upload_pose():
    v, f = box((50.0, 10.0, 4.0))
    angle = np.radians(30)
    turn = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    shape = part(v @ turn.T, f)
    result = check_design(shape, measure(shape), Limits())
    assert result.size.size_min == pytest.approx(4.0)
    assert result.size.size_max == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("size", "volume", "fits"),
    [
        ((300.0, 20.0, 20.0), BuildVolume("cartesian", 250, 250, 325), True),  # only along a diagonal
        ((300.0, 20.0, 20.0), BuildVolume("cartesian", 350, 30, 30), True),  # edge to edge
        ((300.0, 20.0, 20.0), BuildVolume("cartesian", 250, 250, 250), True),  # space diagonal 433
        ((450.0, 20.0, 20.0), BuildVolume("cartesian", 250, 250, 250), False),  # longer than any diagonal
        ((100.0, 100.0, 100.0), BuildVolume("cartesian", 99.5, 200, 200), False),
        ((100.0, 100.0, 100.0), BuildVolume("cartesian", 100.0, 100.0, 100.0), True),  # exactly
        ((300.0, 20.0, 20.0), BuildVolume.cylinder(100, 300), True),
        ((300.0, 20.0, 20.0), BuildVolume.cylinder(100, 250), False),  # cylinder diagonal 269
        ((60.0, 60.0, 10.0), BuildVolume.cylinder(85.0, 20.0), True),  # square diagonal 84.85
        ((60.0, 60.0, 10.0), BuildVolume.cylinder(84.0, 12.0), False),
    ],
)
def test_fits_build_volume(size, volume, fits):
    v, _ = box(size)
    hull, _ = convex_hull_points(v)
    rotation = fits_build_volume(hull, volume)
    assert (rotation is not None) is fits
    if rotation is not None:
        assert np.allclose(rotation @ rotation.T, np.eye(3))
        assert np.linalg.det(rotation) == pytest.approx(1.0)
        local = v @ rotation.T
        extent = local.max(axis=0) - local.min(axis=0)
        tol = limit_tolerance(max(volume.x, volume.z))
        if volume.shape == "cartesian":
            assert (extent <= np.array([volume.x, volume.y, volume.z]) + tol).all()
        else:
            assert extent[2] <= volume.z + tol


def test_check_design_with_catalog_machine(plate_with_gap):
    shape, report = plate_with_gap
    pa12 = material("pa 12")
    result = check_design(shape, report, pa12, machine(pa12.default_machine_name))
    assert result.size.fits_mac is True
    assert result.passed
    assert result.fit_rotation is not None
    small = BuildVolume("cartesian", 20.0, 20.0, 20.0)
    assert check_design(shape, report, pa12, small).size.fits_mac is False
    assert "fits_mac" in check_design(shape, report, pa12, small).failures


def test_feasibility_json_has_the_api_shape(plate_with_gap):
    shape, report = plate_with_gap
    block = feasibility_json(check_design(shape, report, material("316L"), machine("EOS M 290")))
    guides = (ROOT.parent / "shared" / "seeds").glob("000*.txt")
    expected = {
        "gap_size": {"gap_lim_min", "gap_min", "gap_min_chk"},
        "size": {
            "fits_mac",
            "size_lim_max",
            "size_lim_min",
            "size_max",
            "size_max_chk",
            "size_min",
            "size_min_chk",
        },
        "thickness": {"t_lim_min", "t_max", "t_max_chk", "t_min", "t_min_chk"},
    }
    for path in guides:  # the API's own sample, when the shared folder is beside the checkout
        text = path.read_text()
        start = text.index('"feasibility": {')
        blob = text[
            start + len('"feasibility": ') : text.index('"fits_mac": true,\n                "float', start)
        ]
        sample = json.loads(re.sub(r",\s*$", "", blob.strip()))
        expected = {key: set(value) for key, value in sample.items()}
    assert {key: set(value) for key, value in block.items()} == expected
    assert block["thickness"]["t_min"] == pytest.approx(2.0)
    assert block["gap_size"]["gap_min_chk"] is True  # 0.8 >= 0.3


def test_catalog_records_and_errors():
    assert {m.prc_acronym for m in materials()} >= {"slm", "sls", "mjf", "fdm", "sla"}
    for m in materials():
        assert m.default_machine_name is None or machine(m.default_machine_name).prc_acronym == m.prc_acronym
        assert m.sources, m.mat_name
    assert all(min(m.bld_size_x, m.bld_size_y, m.bld_size_z) > 0 for m in machines())
    with pytest.raises(MakereadyError) as error:
        material("unobtainium")
    assert error.value.code == "catalog.not_found"
