"""Metrics against independent truth: analytic solids, SolidWorks mass properties, trimesh's OBB."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh

from makeready import analyze, load
from makeready.geometry.intersections import triangles_intersect
from makeready.geometry.metrics import oriented_box

from .conftest import DATA, corpus_path
from .meshes import cube, part, prism, uv_sphere


def test_rotated_box_oriented_box_recovers_the_box():
    v, f = cube()
    v = v * [10.0, 20.0, 40.0]
    angle = np.radians(30)
    rot = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    tilt = np.array([[1, 0, 0], [0, np.cos(0.4), -np.sin(0.4)], [0, np.sin(0.4), np.cos(0.4)]])
    m = analyze(part(v @ (tilt @ rot).T, f)).metrics
    assert m.oriented_box.extents == pytest.approx([10, 20, 40], rel=1e-9)
    assert m.volume == pytest.approx(8000)
    assert m.hull_volume == pytest.approx(8000)
    assert m.extents.prod() > 8000 * 1.5  # the axis-aligned box is much larger


def test_sphere_metrics_converge_to_analytic():
    v, f = uv_sphere(10.0, 256, 128)
    m = analyze(part(v, f), self_intersections=False).metrics
    assert m.volume == pytest.approx(4 / 3 * np.pi * 1000, rel=2e-3)
    assert m.area == pytest.approx(4 * np.pi * 100, rel=2e-3)
    assert m.centroid == pytest.approx([0, 0, 0], abs=1e-9)
    assert m.oriented_box.extents == pytest.approx([20, 20, 20], rel=2e-3)


def test_idler_riser_against_solidworks_mass_properties():
    # SolidWorks: area 18.13860637, mass 0.14522859 at density 0.09754366, centre of mass
    # [1.25, 1.21830489, 0.20084261] (trimesh tests/data/mass_properties.json, inch units).
    m = analyze(load(DATA / "idler_riser.STL")).metrics
    assert m.area == pytest.approx(18.13860637, rel=1e-3)
    assert m.volume == pytest.approx(0.14522859 / 0.09754366, rel=1e-3)
    assert m.centroid == pytest.approx([1.25, 1.21830489, 0.20084261], abs=1e-2)


@pytest.mark.corpus
def test_corpus_solidworks_mass_properties():
    truth = json.loads(corpus_path("trimesh/expected_mass_properties.json").read_text())
    checked = 0
    for props in truth:
        name = props["filename"]
        m = analyze(load(corpus_path(f"trimesh/{name}")), self_intersections=False).metrics
        density = props["density"]
        assert m.area == pytest.approx(props["area"], rel=1e-3), name
        assert m.volume == pytest.approx(props["mass"] / density, rel=1e-3), name
        assert m.centroid == pytest.approx(props["center_mass"], abs=1e-2), name
        checked += 1
    assert checked == 2


@pytest.mark.corpus
@pytest.mark.parametrize(
    "name",
    [
        "trimesh/featuretype.STL",
        "trimesh/angle_block.STL",
        "trimesh/1002_tray_bottom.STL",
        "trimesh/torus.STL",
    ],
)
def test_corpus_oriented_box_no_larger_than_trimesh(name):
    path = corpus_path(name)
    ours = analyze(load(path), self_intersections=False).metrics.oriented_box
    theirs = trimesh.load(path).bounding_box_oriented.primitive.extents
    assert ours.volume <= np.prod(theirs) * 1.01
    # and it really contains every vertex
    v = load(path).bodies[0].vertices
    local = (v - ours.center) @ ours.rotation.T
    assert (np.abs(local) <= ours.extents / 2 + 1e-9 * np.abs(v).max()).all()


@pytest.mark.corpus
def test_corpus_featuretype_volume_and_genus():
    report = analyze(load(corpus_path("trimesh/featuretype.STL")))
    assert report.metrics.volume == pytest.approx(11.627733431196749, abs=1e-6)
    assert report.valid_volume
    assert report.metrics.euler_characteristic == -16
    assert report.metrics.genus == 9
    assert report.counts["duplicate_vertices"] == 288  # CAD noise: z = 0 and -2.7e-16


def test_oriented_box_contains_points_of_a_random_cloud():
    rng = np.random.default_rng(7)
    pts = rng.normal(size=(5000, 3)) * [1, 3, 9]
    box = oriented_box(pts)
    local = (pts - box.center) @ box.rotation.T
    assert (np.abs(local) <= box.extents / 2 + 1e-9).all()
    assert list(box.extents) == sorted(box.extents)


def test_triangle_pairs_known_configurations():
    t = np.array([[0, 0, 0], [2, 0, 0], [0, 2, 0]], float)
    cases = {
        "crossing": (np.array([[0.5, 0.5, -1], [0.5, 0.5, 1], [1.5, 0.2, 0.0 + 1]], float), True),
        "above": (t + np.array([0, 0, 1.0]), False),
        "coplanar overlap": (t + np.array([0.5, 0.5, 0]), True),
        "coplanar apart": (t + np.array([5.0, 5, 0]), False),
        "touching vertex": (np.array([[1, 1, 0], [3, 3, 1], [3, 3, -1]], float), True),
        "near miss": (np.array([[1.01, 1.01, 0], [3, 3, 1], [3, 3, -1]], float), False),
    }
    got = triangles_intersect(np.stack([t] * len(cases)), np.stack([c[0] for c in cases.values()]))
    assert dict(zip(cases, got.tolist(), strict=True)) == {k: v[1] for k, v in cases.items()}


def _prism(sides: int, radius: float, length: float, rotate=None):
    """:func:`tests.meshes.prism` as a part, turned by the 4 x 4 transform ``rotate`` if given."""
    vertices, faces = prism(sides, radius, length)
    if rotate is not None:
        vertices = vertices @ np.asarray(rotate)[:3, :3].T
    return part(vertices, faces)


ROUNDNESS_CASES = [
    # (what, part, roundness, axis: 0 shortest box edge, 2 longest)
    ("shaft 128-gon", lambda: _prism(128, 5.0, 60.0), 1.0, 2),
    ("flange 128-gon", lambda: _prism(128, 50.0, 8.0), 1.0, 0),
    ("hexagon bar", lambda: _prism(6, 5.0, 40.0), 1.0, 2),  # box across corners x across flats
    ("octagon bar", lambda: _prism(8, 5.0, 40.0), 1 / np.cos(np.pi / 8), 2),  # box across flats
    ("sphere", lambda: part(*uv_sphere(10.0)), 1.0, None),
    ("cube", lambda: part(*cube(20.0)), np.sqrt(2), None),
    ("square plate", lambda: _box(80.0, 80.0, 3.0), np.sqrt(2), 0),
]


def _box(x: float, y: float, z: float):
    from .meshes import box

    return part(*box((x, y, z)))


@pytest.mark.parametrize(
    ("what", "make", "roundness", "axis"), ROUNDNESS_CASES, ids=[c[0] for c in ROUNDNESS_CASES]
)
def test_round_section_of_analytic_solids(what, make, roundness, axis):
    """Solids of revolution are 1 about their axis however they lie; square sections √2 (exact)."""
    section = analyze(make()).metrics.round_section
    assert section.roundness == pytest.approx(roundness, rel=1e-3), what
    if axis is not None:
        assert section.axis == axis, what
    if roundness < 1.1:  # solids of revolution and regular prisms are alike all round
        assert section.symmetry > 0.85, what


def test_a_round_outline_is_not_enough_to_be_turned():
    """Twelve balls on a circle: round in outline (the hull), nothing alike all round; a torus is."""
    balls = [uv_sphere(3.0, 24, 12) for _ in range(12)]
    vertices, faces, offset = [], [], 0
    for k, (v, f) in enumerate(balls):
        angle = 2 * np.pi * k / 12
        vertices.append(v + np.array([20.0 * np.cos(angle), 20.0 * np.sin(angle), 0.0]))
        faces.append(f + offset)
        offset += len(v)
    ring_of_balls = analyze(part(np.vstack(vertices), np.vstack(faces))).metrics.round_section
    assert ring_of_balls.roundness < 1.10
    assert ring_of_balls.symmetry < 0.5
    torus = trimesh.creation.torus(20.0, 3.0)
    ring = analyze(part(torus.vertices, torus.faces)).metrics.round_section
    assert ring.roundness == pytest.approx(1.0, abs=0.01)
    assert ring.symmetry > 0.99


def test_round_section_does_not_depend_on_how_the_part_lies():
    turn = trimesh.transformations.rotation_matrix(0.7, [1.0, 2.0, 0.5])
    lying = analyze(_prism(96, 6.0, 50.0, rotate=turn)).metrics.round_section
    assert lying.roundness == pytest.approx(1.0, rel=1e-3)
    assert lying.axis == 2
    # an L-shaped section has a square box section but reaches its corner: not round
    from .meshes import boxes_union

    l_bracket = analyze(part(*boxes_union(((40.0, 5.0, 40.0), (0, 0, 0)), ((5.0, 40.0, 40.0), (0, 0, 0)))))
    assert l_bracket.metrics.round_section.roundness > 1.3
