"""Wall thickness and gaps against analytic solids and a corpus part with a known thickness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from makeready import Body, Part, load, measure
from makeready.geometry.rays import EMBREE_AVAILABLE, EmbreeCaster, GridCaster, cast_until
from makeready.geometry.thickness import DEFAULT_THIN_BELOW, supported_extreme
from makeready.geometry.triangles import closest_points
from tests.conftest import corpus_path
from tests.meshes import box, boxes_union, cube, merged, part, subdivide, tube, uv_sphere, wedge

ENGINES = [
    "numpy",
    pytest.param("embree", marks=pytest.mark.skipif(not EMBREE_AVAILABLE, reason="no embreex")),
]


def close(value, truth):
    """The issue's accuracy bar: within 2 % and within 0.02 mm."""
    return value is not None and abs(value - truth) <= min(0.02 * truth, 0.02)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("t", [0.5, 1.0, 3.175, 10.0])
def test_plates(engine, t):
    report = measure(part(*box((40.0, 30.0, t))), engine=engine)
    assert close(report.t_min, t)
    assert close(report.t_max, t)  # the plate's rim, seen edge-on, must not make it 30 mm thick
    assert report.gap_min is None  # a convex part has no gaps
    assert report.confidence == "high"
    assert report.measured == 1.0
    assert report.engine == engine
    top = report.bodies[0].thickness[[2, 3]]  # the top face's two triangles
    assert np.allclose(top, t, rtol=1e-9)
    assert (report.thin_total > 0) == (t < DEFAULT_THIN_BELOW)


@pytest.mark.parametrize("engine", ENGINES)
def test_tube_wall(engine):
    outer, inner, n = 5.0, 4.2, 128
    report = measure(part(*tube(outer, inner, 10.0, n)), engine=engine)
    # The facets of a 128-gon sit cos(pi/128) inside the circle: the wall is 0.8 * 0.9997.
    wall = (outer - inner) * np.cos(np.pi / n)
    assert close(report.t_min, 0.8)
    assert report.t_min == pytest.approx(wall, rel=1e-6)
    assert report.t_max == pytest.approx(0.8, rel=0.02)
    assert report.gap_min == pytest.approx(2 * inner * np.cos(np.pi / n), rel=1e-6)  # across the bore
    assert report.thin_total == 1  # the whole tube is one thin-wall region (both sides joined)
    assert report.thin_walls[0].value == pytest.approx(wall, rel=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_two_blocks_gap(engine):
    blocks = merged(box((10.0, 10.0, 10.0)), box((10.0, 10.0, 10.0), (10.3, 0.0, 0.0)))
    report = measure(part(*blocks), engine=engine)
    assert close(report.gap_min, 0.3)
    assert report.narrow_total == 1
    region = report.narrow_gaps[0]
    assert region.kind == "narrow_gap"
    assert region.value == pytest.approx(0.3, abs=1e-9)
    assert 10.0 <= region.worst[0] <= 10.3
    assert region.centre[0] == pytest.approx(10.15)
    # Both facing sides (x = 10 of the first block, x = 10.3 of the second), nothing else.
    assert sorted(region.faces[:, 1].tolist()) == [6, 7, 22, 23]  # right of the first, left of the second
    assert region.area == pytest.approx(200.0)
    assert close(report.t_min, 10.0)


def test_gap_between_bodies():
    a = Body("a", *box((10.0, 10.0, 2.0)))
    b = Body("b", *box((10.0, 10.0, 2.0), (0.0, 0.0, 2.45)))
    report = measure(Part((a, b), "test", name="stack"))
    assert close(report.gap_min, 0.45)
    region = report.narrow_gaps[0]
    assert set(region.faces[:, 0].tolist()) == {0, 1}  # the gap is located on both bodies
    assert [len(x.thickness) for x in report.bodies] == [12, 12]


@pytest.mark.parametrize("engine", ENGINES)
def test_wedge_inscribed_ball(engine):
    """Where walls are not parallel the value is the tangent ball's diameter, not the ray length."""
    length, width, angle = 20.0, 40.0, 20.0
    v, f = subdivide(*wedge(length, width, angle), levels=6)
    report = measure(part(v, f), engine=engine)
    thickness = report.bodies[0].thickness
    centroid = v[f].mean(axis=1)
    x, y, z = centroid.T
    alpha = np.radians(angle)
    bottom = np.isclose(z, 0.0)
    top = np.isclose(z, x * np.tan(alpha)) & ~bottom
    # Distance to the sharp edge within each face's own plane, then the tangent ball's diameter.
    along = np.where(bottom, x, np.hypot(x, z))
    expected = 2.0 * along * np.tan(alpha / 2.0)
    # Away from the side walls and the end face, whose own balls are seen only along the rays.
    inner = (bottom | top) & (y > expected) & (y < width - expected) & (x < length - 1.2 * expected)
    assert inner.sum() > 9_000
    assert np.allclose(thickness[inner], expected[inner], rtol=1e-6)
    # The ray alone would read x * tan(a) on the bottom: 1 / cos(a / 2)² = 3 % more.
    assert not np.allclose(thickness[inner & bottom], (x * np.tan(alpha))[inner & bottom], rtol=0.02)
    # The sharp edge is as thin as the sampling resolves: t_min is the third thinnest face centroid.
    assert report.t_min == pytest.approx(np.sort(expected[bottom | top])[2], rel=1e-6)
    # The thickest ball is the cross-section's incircle.
    h = length * np.tan(alpha)
    incircle = length + h - np.hypot(length, h)  # diameter = a + b - c for a right triangle
    assert report.t_max == pytest.approx(incircle, rel=0.02)
    worst = report.thin_walls[0]
    assert worst.value == pytest.approx(report.t_min, abs=0.02)
    assert worst.worst[0] < 0.2


def test_sphere_thickness_is_its_diameter():
    v, f = uv_sphere(10.0, 96, 48)
    report = measure(part(v, f))
    assert report.t_min == pytest.approx(20.0, rel=0.02)
    assert report.t_max == pytest.approx(20.0, rel=0.02)
    assert report.gap_min is None


@pytest.mark.corpus
def test_tray_bottom_known_thickness():
    """trimesh's 1002_tray_bottom.STL is an axis-aligned plate 3.175 mm thick (MANIFEST truth)."""
    report = measure(load(corpus_path("trimesh/1002_tray_bottom.STL")))
    assert close(report.t_min, 3.175)
    assert close(report.t_max, 3.175)
    assert report.confidence == "high"
    assert report.thin_total == 0


def test_open_mesh_is_low_confidence_not_a_crash():
    v, f = cube(10.0)
    report = measure(part(v, f[2:]))  # the bottom is missing
    assert report.confidence == "low"
    assert report.measured < 0.99
    assert any("no thickness value" in note for note in report.notes)
    sheet = measure(part(v, f[:2]))  # a lone square sheet
    assert sheet.t_min is None
    assert sheet.t_max is None
    assert sheet.confidence == "low"


def test_empty_and_bad_arguments():
    empty = measure(Part((), "test", name="empty"))
    assert empty.t_min is None
    assert empty.samples == 0
    assert empty.confidence == "low"
    with pytest.raises(ValueError, match="samples"):
        measure(part(*cube()), samples=0)
    with pytest.raises(ValueError, match="positive"):
        measure(part(*cube()), thin_below=-1.0)


def test_samples_spread_by_area():
    report = measure(part(*box((40.0, 30.0, 1.0))), samples=5_000)
    assert 2_000 <= report.samples <= 5_000
    assert close(report.t_min, 1.0)
    assert np.isfinite(report.bodies[0].thickness).all()  # faces without a sample take the nearest value


def test_robust_extremes_ignore_single_rays():
    values = np.array([0.05, 2.0, 2.0, 2.0, 2.0, 2.0, 50.0])
    weight = np.ones(len(values))
    assert supported_extreme(values, weight, "min") == 2.0  # one outlier cannot define t_min
    assert supported_extreme(values, weight, "max") == 2.0  # a disc of 50 mm needs ~1963 mm² of support
    big = np.array([50.0] * 3)
    assert supported_extreme(big, np.full(3, 700.0), "max") == 50.0
    assert supported_extreme(np.array([np.nan]), np.ones(1), "min") is None


def test_engines_agree_on_random_rays():
    v, f = subdivide(*uv_sphere(10.0, 32, 16), levels=1)
    rng = np.random.default_rng(3)
    origins = rng.uniform(-15, 15, (4000, 3))
    directions = rng.normal(size=(4000, 3))
    directions /= np.linalg.norm(directions, axis=1)[:, None]
    grid = GridCaster(v, f).cast(origins, directions)
    assert (grid.face >= 0).sum() > 1000
    if EMBREE_AVAILABLE:
        embree = EmbreeCaster(v, f).cast(origins, directions)
        both = (grid.face >= 0) & (embree.face >= 0)
        assert ((grid.face >= 0) != (embree.face >= 0)).sum() <= 4  # rays through edges may differ
        assert np.allclose(grid.distance[both], embree.distance[both], atol=1e-6)
    # Against a brute-force check of every triangle for a few rays.
    tri = v[f]
    for i in range(50):
        t = _brute(origins[i], directions[i], tri)
        assert grid.distance[i] == pytest.approx(t, abs=1e-9) if np.isfinite(t) else grid.face[i] == -1


def _brute(o, d, tri):
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    p = np.cross(d, e2)
    det = np.einsum("ij,ij->i", e1, p)
    s = o - tri[:, 0]
    u = np.einsum("ij,ij->i", s, p) / det
    q = np.cross(s, e1)
    w = (q @ d) / det
    t = np.einsum("ij,ij->i", e2, q) / det
    ok = (u >= 0) & (w >= 0) & (u + w <= 1) & (t > 0)
    return t[ok].min() if ok.any() else np.inf


def test_cast_until_skips_rejected_hits():
    v, f = merged(box((1.0, 1.0, 1.0)), box((1.0, 1.0, 1.0), (0.0, 0.0, 3.0)))
    caster = GridCaster(v, f)
    origin = np.array([[0.5, 0.5, -1.0]])
    up = np.array([[0.0, 0.0, 1.0]])
    first = cast_until(caster, origin, up, lambda r, h, t: np.ones(len(r), bool), start=1e-9)
    assert first.distance[0] == pytest.approx(1.0)
    past_first_box = cast_until(caster, origin, up, lambda r, h, t: t > 2.5, start=1e-9)
    assert past_first_box.distance[0] == pytest.approx(4.0)


def test_closest_points_match_trimesh():
    trimesh = pytest.importorskip("trimesh")
    rng = np.random.default_rng(0)
    tri = rng.normal(size=(5000, 3, 3))
    points = rng.normal(size=(5000, 3)) * 2
    assert np.allclose(closest_points(tri, points), trimesh.triangles.closest_point(tri, points), atol=1e-12)


def _engraved_block(depth: float = 0.5, groove: float = 0.8, ridge: float = 0.6, count: int = 6):
    """A 20 mm block with ``count`` grooves ``depth`` deep cut into its top, ``ridge`` apart (manifold3d)."""
    import manifold3d

    block = manifold3d.Manifold.cube((20.0, 20.0, 20.0), False)
    for i in range(count):
        x = 3.0 + i * (groove + ridge)
        block = block - manifold3d.Manifold.cube((groove, 12.0, depth + 1.0), False).translate(
            (x, 4.0, 20.0 - depth)
        )
    mesh = block.to_mesh()
    return np.asarray(mesh.vert_properties, float)[:, :3], np.asarray(mesh.tri_verts, np.int64)


def test_ridges_between_engraved_grooves_are_fine_details_not_walls():
    """Engraving 0.5 mm deep leaves 0.6 mm ridges: thinner than an FDM wall, but only as tall as
    the engraving is deep — details the nozzle resolves as best it can, not walls to build."""
    report = measure(part(*_engraved_block()), thin_below=0.8, narrow_below=0.4)
    assert report.thin_total >= 1
    assert {r.category for r in report.thin_walls} == {"fine_detail"}
    for region in report.thin_walls:
        assert region.value == pytest.approx(0.6, abs=0.02)
        assert region.extents[1] == pytest.approx(0.5, abs=0.05)  # the ridge height = engraving depth
    assert report.t_min is not None
    assert report.t_min > 0.8


def test_a_fin_is_a_wall_and_t_min_equals_its_region():
    """A 0.6 mm fin 10 mm tall on a block: a wall; t_min and the first region agree exactly."""
    v, f = boxes_union(((20.0, 20.0, 5.0), (0.0, 0.0, 0.0)), ((15.0, 0.6, 10.0), (2.5, 9.7, 5.0)))
    report = measure(part(v, f), thin_below=0.8)
    first = report.thin_walls[0]
    assert first.category == "wall"
    assert first.value == pytest.approx(0.6, abs=0.01)
    assert report.t_min == first.value
    assert first.extents[0] == pytest.approx(15.0, abs=0.1)
    assert first.extents[1] >= 9.9


def test_coincident_surfaces_are_defects_not_gaps():
    """Two blocks 2 µm apart: the 'gap' is a modelling defect, listed as such, not gap_min."""
    a = box((10.0, 10.0, 5.0))
    b = box((10.0, 10.0, 5.0), offset=(0.0, 0.0, 5.002))
    report = measure(part(*merged(a, b)), narrow_below=0.5)
    assert report.narrow_gaps
    assert {r.category for r in report.narrow_gaps} == {"defect"}
    assert report.gap_min is None or report.gap_min > 0.5


def test_the_calibration_cube_walls_pass_fdm_sls_and_mjf():
    """The 20 mm xyz cube shipped with makeready: its lettering is detail, its walls pass."""
    from makeready import run_analysis

    sample = load(
        Path(__file__).resolve().parents[1] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"
    )
    for material, process in (("PLA", "fdm"), ("PA12", "sls"), ("PA12 MJF", "mjf")):
        result = run_analysis(sample, material, process)
        primary = result.chains[0]
        assert primary.feasibility.thickness.t_min_chk is True, (material, primary.verdict)
        assert primary.feasible, primary.verdict
        assert result.thickness.thin_walls
        assert all(r.category == "fine_detail" for r in result.thickness.thin_walls)
