"""Layer contours: layer counts, cross-section areas against independent truth, holes and islands."""

from __future__ import annotations

import io

import numpy as np
import pytest

from makeready import Body, Part, load, save
from makeready.errors import MakereadyError
from makeready.geometry.slicing import LAYER_OVERSHOOT_MM, layer_heights, slice_part
from tests.meshes import box, boxes_union, part, tube, uv_sphere


@pytest.mark.parametrize(
    ("height", "layer", "first", "count"),
    [
        (10.0, 0.2, 0.2, 50), (10.0, 0.2, 0.3, 50), (10.05, 0.2, 0.2, 51), (0.1, 0.2, 0.3, 1),
        # float32 files: 0.6 reads as 0.60000002, 12.7 as 12.6999998: no layer for the rounding
        (float(np.float32(0.6)), 0.2, 0.2, 3), (float(np.float32(12.7)), 0.1, 0.1, 127),
        (float(np.float32(20.3)), 0.05, 0.2, 403), (0.6002, 0.2, 0.2, 4),
    ],
)  # fmt: skip
def test_layer_count(height, layer, first, count):
    tops = layer_heights(height, layer, first)
    assert len(tops) == count
    assert tops[0] == pytest.approx(first)
    assert tops[-1] >= height - LAYER_OVERSHOOT_MM
    assert tops[-1] - height < layer  # never a layer above the part


def test_a_float32_plate_gets_no_extra_layer():
    """A 10 x 10 x 0.6 mm plate read back from binary STL (float32): 3 layers of 0.2 mm, as
    PrusaSlicer 2.5 slices it (measured: its G-code's last layer is at Z 0.6), not 4."""
    v, f = box((10.0, 10.0, 0.6))
    buffer = io.BytesIO()
    save(part(v, f), buffer, "stl")
    plate = load(buffer.getvalue(), filename="plate.stl")
    assert plate.bounds[1][2] > 0.6  # float32 rounding: 0.60000002
    assert len(slice_part(plate, 0.2, 0.2).layers) == 3


def test_prism_areas_are_volume_over_height():
    """For a prism every cross-section has the area volume / height (independent of the slicer)."""
    v, f = tube(12.0, 7.5, 20.0, 96)
    shape = part(v, f)
    slices = slice_part(shape, 0.25, 0.35)
    assert len(slices.layers) == 1 + int(np.ceil((20.0 - 0.35) / 0.25))
    expected = shape.volume / 20.0
    for layer in slices.layers:
        assert layer.area == pytest.approx(expected, rel=5e-3)
        assert len(layer.shape.geoms) == 1
        assert len(layer.shape.geoms[0].interiors) == 1  # the bore is a hole
    assert slices.volume == pytest.approx(shape.volume, rel=2e-2)  # the top layer overshoots by < 1 layer


def test_sphere_areas():
    radius = 10.0
    slices = slice_part(part(*uv_sphere(radius, 256, 128)), 0.5)
    for layer in slices.layers[2:-2]:
        z = layer.z  # the sphere is centred on 0
        assert layer.area == pytest.approx(np.pi * (radius**2 - z**2), rel=5e-3)


def test_islands_in_holes_and_several_bodies():
    frame = boxes_union(((40, 40, 10), (0, 0, 0)))
    import manifold3d

    solid = (
        manifold3d.Manifold.cube((40, 40, 10))
        - manifold3d.Manifold.cube((20, 20, 10)).translate((10, 10, 0))
        + manifold3d.Manifold.cube((6, 6, 10)).translate((17, 17, 0))
    )
    mesh = solid.to_mesh()
    ringed = part(np.asarray(mesh.vert_properties)[:, :3], np.asarray(mesh.tri_verts))
    layer = slice_part(ringed, 1.0).layers[4]
    assert layer.area == pytest.approx(1600 - 400 + 36)
    assert len(layer.shape.geoms) == 2  # the frame (with its hole) and the island
    two = Part((Body("a", *frame), Body("b", *box((10.0, 10.0, 5.0), (50.0, 0.0, 0.0)))), "test")
    slices = slice_part(two, 1.0)
    assert slices.layers[0].area == pytest.approx(1600 + 100)
    assert slices.layers[7].area == pytest.approx(1600)  # above the small block


def test_rotation_and_open_mesh():
    v, f = box((10.0, 20.0, 30.0))
    lying = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # y becomes up
    slices = slice_part(part(v, f), 1.0, rotation=lying)
    assert slices.height == pytest.approx(20.0)
    assert slices.layers[0].area == pytest.approx(300.0)
    with pytest.raises(MakereadyError) as error:
        slice_part(part(v, f[2:]), 1.0)
    assert error.value.code == "request.invalid"


def test_section_measures_sum_areas_and_perimeters():
    # A 20 mm cube in 25 µm layers: 800 layers of 400 mm² and 80 mm, sampled or not.
    from makeready.geometry.slicing import section_measures
    from tests.meshes import box, boxes_union, part
    from tests.test_supports import T_SHAPE

    cube = part(*box((20.0, 20.0, 20.0)))
    layers, area, perimeter = section_measures(cube, 0.025, 200)
    assert layers == 800
    assert area == pytest.approx(800 * 400.0, rel=1e-9)
    assert perimeter == pytest.approx(800 * 80.0, rel=1e-9)
    # A T (a step in its section): 200 sampled sections stay within 1 % of all of them.
    t_shape = part(*boxes_union(*T_SHAPE))
    every = section_measures(t_shape, 0.01, 100_000)
    sampled = section_measures(t_shape, 0.01, 200)
    assert sampled[0] == every[0] > 200
    assert sampled[1] == pytest.approx(every[1], rel=0.01)
    assert sampled[2] == pytest.approx(every[2], rel=0.01)


def test_estimate_copy_simplifies_large_parts_within_tolerance():
    import manifold3d

    from makeready.geometry.mesh import Body, Part
    from makeready.geometry.slicing import ESTIMATE_TRIANGLES, estimate_copy

    sphere = manifold3d.Manifold.sphere(20.0, 720).to_mesh()  # 259 k triangles
    vertices = np.asarray(sphere.vert_properties, np.float64)[:, :3]
    faces = np.asarray(sphere.tri_verts, np.int64)
    big = Part((Body("sphere", vertices, faces),), "generated")
    assert big.triangle_count > ESTIMATE_TRIANGLES
    copy = estimate_copy(big)
    assert copy.triangle_count < big.triangle_count
    assert copy.volume == pytest.approx(big.volume, rel=1e-3)
    small = Part((Body("small", vertices[:3], np.array([[0, 1, 2]])),), "generated")
    assert estimate_copy(small) is small
