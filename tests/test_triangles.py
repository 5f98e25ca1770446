"""Triangle arrays (geometry/triangles.py) against analytic solids, and the strict mode's checks."""

from __future__ import annotations

import numpy as np
import pytest

from makeready.geometry import tolerance
from makeready.geometry.mesh import Body, Part
from makeready.geometry.triangles import (
    areas,
    crosses,
    sample_surface,
    signed_volume,
    stack_bodies,
    unit_normals,
    unit_normals_of,
)
from tests.meshes import box


def test_box_areas_volume_and_normals_are_exact() -> None:
    vertices, faces = box((2.0, 3.0, 5.0))
    tri = vertices[faces]
    c = crosses(tri)
    assert areas(tri).sum() == pytest.approx(2 * (6 + 10 + 15))  # 62 mm2
    assert areas(tri, c) == pytest.approx(areas(tri))  # precomputed crosses give the same
    assert signed_volume(tri - vertices.mean(axis=0)).sum() == pytest.approx(30.0)
    normals = unit_normals_of(tri, c)
    assert np.allclose(np.linalg.norm(normals, axis=1), 1.0)
    # outward: each normal points away from the centre
    centre = vertices.mean(axis=0)
    assert (np.einsum("ij,ij->i", normals, tri.mean(axis=1) - centre) > 0).all()
    assert np.array_equal(unit_normals(vertices, faces), normals)


def test_degenerate_triangle_has_zero_area_and_zero_normal() -> None:
    tri = np.array([[[0.0, 0, 0], [1.0, 0, 0], [2.0, 0, 0]]])
    assert areas(tri)[0] == 0.0
    assert np.array_equal(unit_normals_of(tri)[0], np.zeros(3))


def test_stack_bodies_offsets_faces_and_numbers_bodies() -> None:
    a, b = box(), box(offset=(5.0, 0.0, 0.0))
    two = Part((Body("a", *a), Body("b", *b)), "test", name="two")
    vertices, faces, body_of = stack_bodies(two)
    assert len(vertices) == 16
    assert len(faces) == 24
    assert faces[12:].min() == 8  # the second body's faces point at its own vertices
    assert np.array_equal(body_of, np.repeat([0, 1], 12))


def test_samples_cover_the_surface_by_area() -> None:
    vertices, faces = box((10.0, 10.0, 10.0))
    tri = vertices[faces]
    samples = sample_surface(tri, areas(tri), 6000, every_face=True)
    assert samples.weight.sum() == pytest.approx(600.0)
    # every sample lies on its face's plane
    normals = unit_normals_of(tri)[samples.face]
    offsets = np.einsum("ij,ij->i", normals, samples.points - tri[samples.face, 0])
    assert np.abs(offsets).max() < 1e-9


def test_strict_mode_raises_on_a_broken_invariant(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tolerance, "strict", True)
    tolerance.invariant(True, "holds")
    with pytest.raises(AssertionError, match="invariant broken: plates are flat"):
        tolerance.invariant(lambda: False, "plates are flat")
    monkeypatch.setattr(tolerance, "strict", False)
    called = []
    tolerance.invariant(lambda: called.append(1), "not evaluated")  # lazy checks cost nothing off
    assert called == []


def test_the_suite_runs_in_strict_mode() -> None:
    assert tolerance.strict, "tests/conftest.py sets MAKEREADY_STRICT=1 before makeready is imported"
