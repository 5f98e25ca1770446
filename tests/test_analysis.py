"""Analysis: one tiny hand-built mesh per problem type, with exact counts and locations."""

from __future__ import annotations

import numpy as np
import pytest

from makeready import analyze
from makeready.rendering.documents import analysis_json
from makeready.rendering.print_api import problems_json
from makeready.rendering.spark import mesh_checks_json

from .meshes import CUBE_F, cube, moebius, part, uv_sphere


def counts(vertices, faces):
    return {k: v for k, v in analyze(part(vertices, faces)).counts.items() if v}


def test_clean_cube_has_no_problem_and_exact_metrics():
    report = analyze(part(*cube(20.0)))
    assert report.is_clean
    assert report.valid_volume
    assert report.shells == 1
    m = report.metrics
    assert m.volume == pytest.approx(8000.0)
    assert m.area == pytest.approx(2400.0)
    assert m.extents == pytest.approx([20, 20, 20])
    assert m.oriented_box.extents == pytest.approx([20, 20, 20])
    assert m.hull_volume == pytest.approx(8000.0)
    assert m.hull_exact
    assert m.centroid == pytest.approx([10, 10, 10])
    assert m.euler_characteristic == 2
    assert m.genus == 0


def test_degenerate_triangles_collinear_and_repeated_index():
    v, f = cube()
    v = np.vstack([v, [[0.5, 0, 0]]])  # a point on the bottom-front edge
    f = np.vstack([f, [[0, 8, 1]], [[2, 2, 3]]])  # collinear cap, repeated index
    report = analyze(part(v, f))
    p = report.bodies[0].problems["degenerate_triangles"]
    assert p.count == 2
    assert set(p.faces) == {12, 13}


def test_near_zero_area_threshold_is_relative():
    v = np.array([[0, 0, 0], [10, 0, 0], [5, 1e-6, 0], [5, 1e-4, 0]], float)
    f = np.array([[0, 1, 2], [0, 1, 3]])
    p = analyze(part(v, f)).bodies[0].problems["degenerate_triangles"]
    # altitude 1e-6 <= 1e-6 * 10 (degenerate); 1e-4 > 1e-5 (a valid needle)
    assert list(p.faces) == [0]


def test_duplicate_triangles_any_order_or_orientation():
    v, f = cube()
    f = np.vstack([f, f[0][::-1], np.roll(f[3], 1)])
    p = analyze(part(v, f)).bodies[0].problems["duplicate_triangles"]
    assert p.count == 2
    assert list(p.faces) == [12, 13]


def test_duplicate_vertices_same_position_distinct_index():
    v, f = cube()
    v = np.vstack([v, v[6]])  # vertex 8 duplicates vertex 6
    f = f.copy()
    f[f == 6] = np.where(np.arange((f == 6).sum()) % 2 == 0, 6, 8)
    r = analyze(part(v, f))
    assert r.bodies[0].problems["duplicate_vertices"].count == 1
    assert list(r.bodies[0].problems["duplicate_vertices"].vertices) == [8]
    assert r.watertight  # topology is taken after the exact weld


def test_nonmanifold_edge_two_cubes_sharing_an_edge():
    a_v, a_f = cube()
    b_v, b_f = cube(offset=(1, 1, 0))
    v = np.vstack([a_v, b_v])
    f = np.vstack([a_f, b_f + 8])
    r = analyze(part(v, f))
    p = r.bodies[0].problems["nonmanifold_vertices"]
    assert p.count == 2
    assert sorted(map(tuple, v[p.vertices])) == [(1, 1, 0), (1, 1, 1)]
    assert r.bodies[0].nonmanifold_edges == 1
    assert not r.watertight


def test_nonmanifold_vertex_two_cubes_touching_at_a_corner():
    a_v, a_f = cube()
    b_v, b_f = cube(offset=(1, 1, 1))
    r = analyze(part(np.vstack([a_v, b_v]), np.vstack([a_f, b_f + 8])))
    p = r.bodies[0].problems["nonmanifold_vertices"]
    assert p.count == 1
    assert tuple(r.part.bodies[0].vertices[p.vertices[0]]) == (1, 1, 1)
    assert r.bodies[0].nonmanifold_edges == 0
    assert r.shells == 2


def test_inconsistently_oriented_one_flipped_face_gives_three_edges():
    v, f = cube()
    f = f.copy()
    f[4] = f[4][::-1]
    p = analyze(part(v, f)).bodies[0].problems["inconsistently_oriented_triangles"]
    assert p.count == 3
    expected = {tuple(sorted(e)) for e in [(0, 1), (1, 5), (5, 0)]}
    assert {tuple(sorted(e)) for e in p.edges} == expected


def test_holes_are_ordered_boundary_loops():
    v, f = cube()
    r = analyze(part(v, f[2:]))  # bottom square missing
    p = r.bodies[0].problems["holes"]
    assert p.count == 1
    loop = v[p.loops[0]]
    assert len(loop) == 4
    assert (loop[:, 2] == 0).all()
    steps = np.linalg.norm(np.diff(np.vstack([loop, loop[:1]]), axis=0), axis=1)
    assert steps == pytest.approx([1, 1, 1, 1])  # consecutive loop vertices are neighbours


def test_inverted_volume_and_nested_void():
    v, f = cube(10.0)
    assert counts(v, f[:, ::-1]) == {"inverted_volume": 1}
    inner_v, inner_f = cube(4.0, offset=(3, 3, 3))
    hollow_v = np.vstack([v, inner_v])
    # a void is a reversed inner shell: correct, not inverted
    assert counts(hollow_v, np.vstack([f, inner_f[:, ::-1] + 8])) == {}
    r = analyze(part(hollow_v, np.vstack([f, inner_f + 8])))  # void wound outward: wrong
    assert r.counts["inverted_volume"] == 1
    assert set(r.bodies[0].problems["inverted_volume"].faces) == set(range(12, 24))
    assert r.metrics.volume == pytest.approx(1000 + 64)


def test_unorientable_moebius_strip():
    v, f = moebius(12)
    c = counts(v, f)
    assert c["unorientable_triangles"] == 24
    assert c["holes"] == 1


def test_self_intersections_two_overlapping_cubes_in_one_body():
    a_v, a_f = cube(2.0)
    b_v, b_f = cube(2.0, offset=(1, 1, 1))
    r = analyze(part(np.vstack([a_v, b_v]), np.vstack([a_f, b_f + 8])))
    # The two boxes' surfaces cross along a closed curve through 6 faces of each box.
    assert r.counts["self_intersections"] > 0
    p = r.bodies[0].problems["self_intersections"]
    assert set(p.faces) & set(range(12))
    assert set(p.faces) & set(range(12, 24))
    assert analyze(part(*uv_sphere())).counts["self_intersections"] == 0


def test_problems_json_api_shape_and_caps():
    v, f = cube()
    f = f.copy()
    f[4] = f[4][::-1]
    r = analyze(part(v, f[:-1]))
    items = {p["type"]: p for p in problems_json(r)}
    edge = items["inconsistently_oriented_triangles"]["edges"][0]
    assert set(edge) == {"v0", "v1"}
    assert len(edge["v0"]) == 3
    assert items["holes"]["boundaries"][0][0] in v.tolist()
    # caps: 300 duplicate faces are counted, 200 located
    many = np.vstack([CUBE_F] + [CUBE_F[:1]] * 300)
    dup = {p["type"]: p for p in problems_json(analyze(part(v, many)))}["duplicate_triangles"]
    assert dup["count"] == 300
    assert len(dup["triangles"]) == 200
    assert set(dup["triangles"][0]) == {"v0", "v1", "v2"}


def test_mesh_checks_api_shape():
    r = analyze(part(*cube()))
    checks = mesh_checks_json(r)
    assert set(checks) == {"actions_performed_on_initial_mesh", "analysis_mesh", "upload_file"}
    assert set(checks["upload_file"]) == {
        "Unambiguous Mesh",
        "Valid Volume",
        "Watertight",
        "Winding Consistent",
    }
    assert set(checks["actions_performed_on_initial_mesh"]) >= {
        "Fixing Winding",
        "Inverting Flipped Triangles",
        "Mesh Size Reduction",
    }
    for block in ("analysis_mesh", "upload_file"):
        for check in checks[block].values():
            assert check["check_passed"] is True
            assert set(check) == {
                "check_passed",
                "suggested_user_action",
                "tooltip_hover_text",
            }
    bad = mesh_checks_json(analyze(part(cube()[0], cube()[1][:-1])))
    assert bad["upload_file"]["Watertight"]["check_passed"] is False
    assert bad["upload_file"]["Watertight"]["suggested_user_action"]


def test_unambiguous_fails_for_two_identical_bodies():
    from makeready import Body, Part

    v, f = cube()
    twin = Part((Body("a", v, f), Body("b", v, f)), "test")
    assert analyze(twin).unambiguous is False
    assert analyze(Part((Body("a", v, f),), "test")).unambiguous is True
    assert mesh_checks_json(analyze(twin))["upload_file"]["Unambiguous Mesh"]["check_passed"] is False


def test_analysis_json_is_serialisable():
    import json

    text = json.dumps(analysis_json(analyze(part(*moebius()))))
    assert '"unorientable_triangles"' in text


def test_empty_body_reports_zeroes():
    r = analyze(part(np.zeros((0, 3)), np.zeros((0, 3), np.int64)))
    assert r.counts["holes"] == 0
    assert not r.watertight
    assert r.metrics.volume == 0
