"""STEP: closed B-rep solids give closed meshes, with OpenCascade's exact mass properties.

Truth: closed-form volumes and areas of the primitives in ``data/step/analytic_solids.step``
(written by ``make_analytic_step.py`` with OpenCascade's primitive makers), and for the corpus
the CAD system's own STL export of the same part (featuretype, trimesh's test models) and the
product names written in the files.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from makeready import MakereadyError
from makeready.geometry.analysis import analyze
from makeready.geometry.formats import load
from makeready.geometry.formats.step import read_step
from makeready.geometry.mesh import BrepProperties
from makeready.rendering.spark import analysis_report, brep_json
from makeready.store.meshes import pack_part, unpack_part
from tests.conftest import DATA, corpus_path

ANALYTIC = DATA / "step" / "analytic_solids.step"
R_SPHERE, R_CYL, H_CYL, R_CONE, H_CONE, R_TOR, R_TUBE = 10.0, 5.0, 20.0, 6.0, 12.0, 10.0, 3.0
_SLANT = math.hypot(R_CONE, H_CONE)
_PLATE_HOLE = math.pi * 2.0**2

#: name -> (volume mm³, area mm², centre of mass mm), in closed form.
TRUTH = {
    "sphere r10": (4 / 3 * math.pi * R_SPHERE**3, 4 * math.pi * R_SPHERE**2, (0, 0, 10)),
    "cone r6 h12": (
        math.pi * R_CONE**2 * H_CONE / 3,
        math.pi * R_CONE * (R_CONE + _SLANT),
        (30, 0, H_CONE / 4),
    ),
    "torus R10 r3": (2 * math.pi**2 * R_TOR * R_TUBE**2, 4 * math.pi**2 * R_TOR * R_TUBE, (60, 0, 3)),
    "plate with hole": (
        20 * 10 * 5 - _PLATE_HOLE * 5,
        2 * (200 + 100 + 50) - 2 * _PLATE_HOLE + 2 * math.pi * 2.0 * 5,
        (110, 5, 2.5),
    ),
    "cylinder r5 h20": (math.pi * R_CYL**2 * H_CYL, 2 * math.pi * R_CYL * (R_CYL + H_CYL), None),
}


@pytest.fixture(scope="module")
def analytic():  # type: ignore[no-untyped-def]
    return load(ANALYTIC)


def test_every_solid_keeps_its_product_name_and_instances_their_placement(analytic) -> None:  # type: ignore[no-untyped-def]
    names = [b.name for b in analytic.bodies]
    assert names == [
        "sphere r10",
        "cone r6 h12",
        "torus R10 r3",
        "plate with hole",
        "cylinder r5 h20",
        "cylinder r5 h20",
    ]
    cylinders = [b for b in analytic.bodies if b.name.startswith("cylinder")]
    centres = sorted((b.brep.center for b in cylinders), key=lambda c: c[1])  # two instances, moved in y
    assert centres == [pytest.approx((0, 40, 10), abs=1e-6), pytest.approx((0, 60, 10), abs=1e-6)]


def test_brep_mass_properties_are_exact(analytic) -> None:  # type: ignore[no-untyped-def]
    for body in analytic.bodies:
        volume, area, centre = TRUTH[body.name]
        assert body.brep is not None
        assert body.brep.closed
        assert body.brep.volume == pytest.approx(volume, rel=1e-7), body.name
        assert body.brep.area == pytest.approx(area, rel=1e-7), body.name
        if centre is not None:
            assert body.brep.center == pytest.approx(centre, abs=1e-6), body.name


def test_closed_solids_give_closed_meshes_within_the_tessellation_tolerance(analytic) -> None:  # type: ignore[no-untyped-def]
    # The sphere's poles and the cone's apex are degenerate B-rep edges; the sphere, cylinder,
    # cone and torus have seams. Welding by the B-rep's topology closes them all.
    report = analyze(analytic, self_intersections=True)
    for body in report.bodies:
        assert body.watertight, body.name
        assert body.winding_consistent, body.name
        assert body.shells == body.closed_shells == 1, body.name
    assert report.counts["self_intersections"] == 0
    for body in analytic.bodies:
        volume, area, _ = TRUTH[body.name]
        assert body.brep is not None
        # No mesh point is farther than the deflection from the surface.
        assert abs(body.volume - volume) <= area * body.brep.tolerance, body.name
        assert body.volume == pytest.approx(volume, rel=5e-3), body.name


def test_finer_tolerance_converges_on_the_brep_volume() -> None:
    coarse = read_step(ANALYTIC.read_bytes(), tolerance=0.1).bodies[0]
    fine = read_step(ANALYTIC.read_bytes(), tolerance=0.005).bodies[0]
    exact = TRUTH["sphere r10"][0]
    assert abs(fine.volume - exact) < abs(coarse.volume - exact)
    assert abs(fine.volume - exact) <= TRUTH["sphere r10"][1] * 0.005
    assert fine.triangle_count > coarse.triangle_count


def test_part_brep_adds_bodies_and_survives_storage_and_unit_scaling(analytic) -> None:  # type: ignore[no-untyped-def]
    total = analytic.brep
    assert total is not None
    assert total.closed
    assert total.volume == pytest.approx(
        sum(v for v, _, _ in TRUTH.values()) + TRUTH["cylinder r5 h20"][0], rel=1e-7
    )
    again = unpack_part(pack_part(analytic))
    assert [b.brep for b in again.bodies] == [b.brep for b in analytic.bodies]
    inches = BrepProperties(True, 2.0, 3.0, (1.0, 0.0, 0.0), 0.01).scaled(25.4)
    assert (inches.area, inches.volume) == pytest.approx((2.0 * 25.4**2, 3.0 * 25.4**3))
    assert inches.center == pytest.approx((25.4, 0, 0))
    assert inches.tolerance == pytest.approx(0.254)
    wire = brep_json(analytic)
    assert wire is not None
    assert wire["part_vol"] == pytest.approx(total.volume / 1000.0)
    assert abs(wire["mesh_volume_deviation_mm3"]) <= wire["volume_bound_mm3"]


def test_a_placed_body_moves_its_centre_and_a_scaled_one_drops_its_brep(analytic) -> None:  # type: ignore[no-untyped-def]
    sphere = analytic.bodies[0]
    moved = sphere.transformed(np.array([[0, -1, 0, 5], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], float))
    assert moved.brep is not None
    assert moved.brep.center == pytest.approx((5, 0, 10))
    assert sphere.transformed(np.diag([2.0, 2.0, 2.0, 1.0])).brep is None


def test_mesh_formats_have_no_brep() -> None:
    part = load(DATA / "unit_cube.STL")
    assert part.brep is None
    assert brep_json(part) is None


def test_the_kernel_runs_under_limits() -> None:
    data = ANALYTIC.read_bytes()
    with pytest.raises(MakereadyError) as caught:
        read_step(data, max_memory_bytes=64 << 20)  # OpenCascade cannot even load in 64 MiB
    assert caught.value.code == "step.invalid"
    with pytest.raises(MakereadyError) as caught:
        read_step(data, tolerance=0.0001, timeout_s=0.5)
    assert caught.value.code == "step.invalid"
    assert "within 0.5 s" in caught.value.message


@pytest.mark.corpus
def test_featuretype_is_one_closed_solid_matching_its_cad_export() -> None:
    step = load(corpus_path("trimesh/featuretype.STEP"))
    stl = load(corpus_path("trimesh/featuretype.STL"), units="inch")  # the CAD system's own export
    (body,) = step.bodies
    report = analyze(step)
    assert report.watertight
    assert report.winding_consistent
    assert report.counts["holes"] == 0
    assert body.brep is not None
    assert body.brep.closed
    assert abs(body.volume - body.brep.volume) <= body.brep.area * body.brep.tolerance
    assert body.brep.volume == pytest.approx(stl.volume, rel=1e-3)
    assert body.brep.area == pytest.approx(stl.area, rel=1e-3)


@pytest.mark.corpus
def test_box_sides_names_its_ten_solids_from_the_file() -> None:
    part = load(corpus_path("trimesh/box_sides.STEP"))
    names = sorted(b.name for b in part.bodies)
    assert names == sorted(
        ["box_base", "box_top", "side_long", "side_long", "side_short", "side_short_B"] + ["gusset"] * 4
    )
    assert all(b.brep is not None and b.brep.closed for b in part.bodies)
    assert analyze(part).watertight


@pytest.mark.corpus
def test_ap203_and_ap214_exports_have_one_brep_volume() -> None:
    a, b = (load(corpus_path(f"trimesh/BREP/base_interface_{s}.STEP")) for s in ("AP203", "AP214"))
    assert a.brep is not None
    assert b.brep is not None
    assert a.brep.volume == pytest.approx(b.brep.volume, rel=1e-9)
    assert analyze(a).watertight
    assert analyze(b).watertight


def test_the_analysis_report_carries_the_exact_volume_beside_the_mesh(analytic) -> None:  # type: ignore[no-untyped-def]
    from makeready import run_analysis

    sphere = analytic.with_bodies(analytic.bodies[:1])
    report = analysis_report(run_analysis(sphere, "PA12", "sls", 1))
    brep = report["cad_stat"]["brep"]
    assert brep["part_vol"] == pytest.approx(TRUTH["sphere r10"][0] / 1000.0, rel=1e-7)  # cm³
    assert brep["closed"] is True
    assert abs(brep["mesh_volume_deviation_mm3"]) <= brep["volume_bound_mm3"]
