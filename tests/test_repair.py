"""Repair: every defect fixed on hand-built meshes, and on the third-party broken files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from makeready import Body, Part, analyze, load, repair
from makeready.geometry.repair import DEFAULT_ACTIONS
from makeready.rendering.documents import repair_json
from makeready.rendering.spark import mesh_checks_json

from .conftest import DATA, corpus_path
from .meshes import cube, moebius, part, uv_sphere


def assert_sound(report, volume=None, rel=1e-6):
    after = report.after
    assert after.watertight, after.counts
    assert after.winding_consistent, after.counts
    assert after.valid_volume, after.counts
    assert report.bodies_kept
    if volume is not None:
        assert report.volume_after == pytest.approx(volume, rel=rel)


def action_counts(report):
    return {a.action: a.count for a in report.actions if a.count}


def test_parts_are_immutable_and_clean_parts_unchanged():
    p = part(*cube(20.0))
    fixed, report = repair(p)
    assert fixed is not p
    assert fixed.bodies[0].faces.tolist() == p.bodies[0].faces.tolist()
    assert action_counts(report) == {}
    assert_sound(report, 8000.0)


def test_flipped_face_is_fixed_and_inverted_shell_reversed():
    v, f = cube(10.0)
    f = f.copy()
    f[4] = f[4][::-1]
    _, report = repair(part(v, f))
    assert action_counts(report) == {"winding": 1}
    assert_sound(report, 1000.0)
    _, report = repair(part(v, cube()[1][:, ::-1]))
    assert action_counts(report) == {"inversion": 1}
    assert_sound(report, 1000.0)


def test_hollow_part_void_stays_a_void():
    v, f = cube(10.0)
    iv, i_f = cube(4.0, offset=(3, 3, 3))
    p = part(np.vstack([v, iv]), np.vstack([f, i_f + 8]))  # void wrongly outward
    _, report = repair(p)
    assert action_counts(report) == {"inversion": 1}
    assert_sound(report, 1000.0 - 64.0)


@pytest.mark.parametrize("missing", [[0], [0, 1], [0, 1, 4, 5]])
def test_holes_filled_exactly_in_plane(missing):
    v, f = cube(10.0)
    keep = np.setdiff1d(np.arange(12), missing)
    _, report = repair(part(v, f[keep]))
    assert action_counts(report)["holes"] == 1
    assert_sound(report, 1000.0)


def test_large_nonplanar_hole_on_a_sphere():
    v, f = uv_sphere(10.0, 64, 32)
    centre = v[f].mean(axis=1)
    keep = centre[:, 2] < 7.0  # cut off a cap: one 64-vertex hole
    _fixed, report = repair(part(v, f[keep]))
    assert action_counts(report)["holes"] == 1
    assert_sound(report)
    assert report.volume_after < analyze(part(v, f)).metrics.volume


def test_duplicates_and_degenerates_removed():
    v, f = cube(10.0)
    v = np.vstack([v, [[5.0, 0.0, 0.0]]])  # T-junction point on edge 0-1
    # Replace the front face's triangle (0,1,5) by two triangles through vertex 8 plus a
    # zero-area cap (0, 8, 1) on the bottom side: the classic exporter sliver.
    f = np.vstack([f, f[0]])  # a duplicate of the first face
    _, report = repair(part(v, f))
    assert action_counts(report)["duplicates"] == 1
    assert_sound(report, 1000.0)


def test_cap_sliver_is_split_into_its_neighbour():
    v, f = cube(10.0)
    v = np.vstack([v, [[5.0, 0.0, 0.0]]])
    f = f.copy()
    front = next(i for i, t in enumerate(f.tolist()) if t == [0, 1, 5])
    f = np.delete(f, front, axis=0)
    f = np.vstack([f, [[0, 8, 5], [8, 1, 5]]])  # front face now passes through the T point
    # bottom face [0, 2, 1] still uses edge 0-1 directly: T-junction. Add the cap that closes it.
    f = np.vstack([f, [[0, 1, 8]]])
    assert analyze(part(v, f)).counts["degenerate_triangles"] == 1
    _, report = repair(part(v, f))
    assert action_counts(report)["degenerate"] >= 1
    assert report.after.counts["degenerate_triangles"] == 0
    assert_sound(report, 1000.0)


def test_two_cubes_sharing_an_edge_become_two_closed_shells():
    a_v, a_f = cube()
    b_v, b_f = cube(offset=(1, 1, 0))
    _, report = repair(part(np.vstack([a_v, b_v]), np.vstack([a_f, b_f + 8])))
    assert action_counts(report)["nonmanifold"] == 2
    assert report.after.shells == 2
    assert_sound(report, 2.0, rel=1e-4)


def test_moebius_strip_is_cut_and_closed():
    _, report = repair(part(*moebius()))
    assert report.after.counts["unorientable_triangles"] == 0
    assert_sound(report)


def test_every_body_is_kept_and_reported():
    v, f = cube()
    sheet = Body("sheet", np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], float), np.array([[0, 1, 2]]))
    p = Part((Body("cube", v, f), sheet), "test")
    fixed, report = repair(p)
    assert [b.name for b in fixed.bodies] == ["cube", "sheet"]
    assert fixed.bodies[1].triangle_count >= 1
    assert report.bodies_kept


def test_overlapping_shells_united_on_request():
    a_v, a_f = cube(2.0)
    b_v, b_f = cube(2.0, offset=(1, 1, 1))
    p = part(np.vstack([a_v, b_v]), np.vstack([a_f, b_f + 8]))
    _, report = repair(p, actions=("merge", "intersections"))
    assert report.after.counts["self_intersections"] == 0
    assert report.after.shells == 1
    assert report.volume_after == pytest.approx(8 + 8 - 1)


def test_decimation_keeps_volume_within_one_percent():
    v, f = uv_sphere(10.0, 96, 48)
    before = analyze(part(v, f)).metrics.volume
    fixed, report = repair(part(v, f), target_faces=2000)
    assert fixed.triangle_count <= 2200
    assert abs(report.volume_after - before) <= 0.01 * before
    assert_sound(report)


def test_repair_json_and_mesh_checks():
    v, f = cube()
    f = f.copy()
    f[0] = f[0][::-1]
    _, report = repair(part(v, f))
    data = json.loads(json.dumps(repair_json(report)))
    assert data["succeeded"]
    assert data["actions"][0]["title"] == "Merging Duplicate Vertices"
    checks = mesh_checks_json(report.before, report.after, report)
    assert checks["actions_performed_on_initial_mesh"]["Fixing Winding"]["check_passed"] is True
    assert checks["actions_performed_on_initial_mesh"]["Mesh Size Reduction"]["check_passed"] is None
    assert checks["upload_file"]["Winding Consistent"]["check_passed"] is False
    assert checks["analysis_mesh"]["Winding Consistent"]["check_passed"] is True


def test_unknown_action_is_refused():
    with pytest.raises(ValueError, match="unknown repair actions"):
        repair(part(*cube()), actions=("polish",))


BROKEN = [
    line
    for line in (DATA / "broken_corpus.txt").read_text().splitlines()
    if line and not line.startswith("#")
]
#: Files whose repair is known not to reach a valid volume yet (kept honest: if one starts to
#: pass, the test says so and it must move out of this list).
KNOWN_HARD: set[str] = set()


@pytest.mark.corpus
@pytest.mark.parametrize("name", BROKEN)
def test_corpus_broken_files_are_repaired(name):
    p = load(corpus_path(name))
    _, report = repair(p, self_intersections=False)
    assert report.bodies_kept
    if name in KNOWN_HARD:
        assert not report.succeeded, f"{name} repairs now: move it out of KNOWN_HARD"
        return
    assert_sound(report)


@pytest.mark.corpus
def test_corpus_admesh_fill_holes_restores_the_closed_conveyor():
    # admesh's own fill-holes-good.stl winds its patch backwards (3 inconsistent edges), so the
    # truth is the closed, consistent conveyor of normal-directions-good.stl.
    good_fill = analyze(load(corpus_path("admesh/conveyor/fill-holes-good.stl")))
    assert good_fill.counts["inconsistently_oriented_triangles"] == 3
    closed = analyze(load(corpus_path("admesh/conveyor/normal-directions-good.stl"))).metrics.volume
    _, report = repair(load(corpus_path("admesh/conveyor/fill-holes-bad.stl")), self_intersections=False)
    assert report.volume_after == pytest.approx(closed, rel=1e-9)


@pytest.mark.corpus
def test_corpus_inverted_hourglass_is_turned_outward():
    p = load(corpus_path("admesh/hourglass/input_hourglass.stl"))
    assert analyze(p).counts["inconsistently_oriented_triangles"] == 72  # trimesh measures 72 too
    _, report = repair(p, self_intersections=False)
    assert_sound(report)
    assert report.volume_after == pytest.approx(3.4297e-05, rel=1e-3)


def test_success_is_claimed_only_without_self_intersections():
    """Two overlapping cubes in one body: closed and wound, but they cross.

    Repair without the union says so; with it the shells become one solid and the volume change
    is reported.
    """
    from tests.meshes import box, merged, part

    overlapping = part(*merged(box((10.0, 10.0, 10.0)), box((10.0, 10.0, 10.0), offset=(5.0, 5.0, 5.0))))
    _, plain = repair(overlapping)
    assert plain.after.watertight
    assert plain.after.winding_consistent
    assert not plain.succeeded
    assert plain.remaining["self_intersections"] > 0
    fixed, united = repair(overlapping, actions=(*DEFAULT_ACTIONS, "intersections"))
    assert united.succeeded, united.remaining
    assert united.remaining == {}
    assert fixed.bodies[0].volume == pytest.approx(
        2000.0 - 125.0, rel=1e-6
    )  # 2 x 1000 mm³ less the 5 mm overlap cube
    assert any("volume 2,000.000 -> 1,875.000 mm³ (-6.25 %)" in note for note in united.notes), united.notes
    _, unchecked = repair(overlapping, self_intersections=False)
    assert unchecked.remaining == {"self_intersections": "not searched"}
