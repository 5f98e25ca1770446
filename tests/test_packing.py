"""Nesting by true footprints: never overlapping, never off the plate; powder-bed levels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from makeready.geometry.packing import footprint, nest_in_bed, nest_on_plate, plate_shape
from tests.meshes import boxes_union, mixed_outlines, part

L_SHAPE = Polygon([(0, 0), (30, 0), (30, 8), (8, 8), (8, 25), (0, 25)])


def _check(layout, plate, spacing, margin):
    outlines = [p.outline for p in layout.placements]
    usable = plate.buffer(-margin + 1e-6)
    for i, a in enumerate(outlines):
        assert usable.contains(a)
        for b in outlines[i + 1 :]:
            assert a.distance(b) >= spacing - 1e-6


shapes = st.lists(
    st.one_of(
        st.builds(lambda w, h: box(0, 0, w, h), st.floats(2, 60), st.floats(2, 60)),
        st.builds(lambda r: Point(0, 0).buffer(r), st.floats(1, 25)),
        st.just(L_SHAPE),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None)
@given(shapes, st.booleans())
def test_nesting_never_overlaps_or_leaves_the_plate(outlines, round_plate):
    plate = plate_shape(150.0, 120.0, cylindrical=round_plate)
    layout = nest_on_plate(outlines, plate, spacing=2.0, margin=3.0)
    _check(layout, plate, 2.0, 3.0)
    assert sorted([p.index for p in layout.placements] + list(layout.unplaced)) == list(range(len(outlines)))
    for p in layout.placements:  # the placed outline is the footprint turned and moved
        assert p.outline.area == pytest.approx(outlines[p.index].area, rel=1e-9)


def test_fifty_mixed_parts_fill_a_plate():
    outlines = mixed_outlines(50)
    plate = plate_shape(250.0, 250.0)
    layout = nest_on_plate(outlines, plate, spacing=3.0, margin=5.0)
    assert not layout.unplaced
    _check(layout, plate, 3.0, 5.0)
    assert 0.25 < layout.density < 1.0


def test_true_footprint_beats_the_box():
    """L-shaped parts interlock: more fit than their bounding boxes would allow."""
    plate = plate_shape(70.0, 70.0)
    many = nest_on_plate([L_SHAPE] * 12, plate, spacing=1.0, margin=1.0)
    boxes = nest_on_plate([box(0, 0, 30, 25)] * 12, plate, spacing=1.0, margin=1.0)
    assert len(many.placements) > len(boxes.placements)


def test_part_too_big_is_reported_unplaced():
    layout = nest_on_plate(
        [box(0, 0, 300, 10), box(0, 0, 20, 20)], plate_shape(250, 250), spacing=2, margin=5
    )
    assert layout.unplaced == (0,)
    assert [p.index for p in layout.placements] == [1]


def test_footprint_of_a_mesh():
    shape = part(*boxes_union(((30, 8, 10), (0, 0, 0)), ((8, 25, 10), (0, 0, 0))))
    outline = footprint(shape)
    assert outline.area == pytest.approx(30 * 8 + 8 * 17)
    frame = part(
        *boxes_union(
            ((40, 10, 5), (0, 0, 0)),
            ((40, 10, 5), (0, 30, 0)),
            ((10, 40, 5), (0, 0, 0)),
            ((10, 40, 5), (30, 0, 0)),
        )
    )
    ring = footprint(frame)
    assert ring.area == pytest.approx(40 * 40 - 20 * 20)  # the window is a hole of the footprint
    assert len(ring.interiors) == 1


def test_powder_bed_levels():
    outlines = [box(0, 0, 50, 50)] * 10
    heights = [20.0] * 10
    bed = nest_in_bed(outlines, heights, plate_shape(120.0, 120.0), 100.0, spacing=3.0, margin=2.0)
    assert not bed.unplaced
    assert bed.levels == 3  # four per level on a 120 mm plate
    assert bed.height == pytest.approx(2 * 23.0 + 20.0)
    full = nest_in_bed(outlines * 3, heights * 3, plate_shape(120.0, 120.0), 50.0, spacing=3.0, margin=2.0)
    assert len(full.placements) == 8  # two levels fit in 50 mm
    assert len(full.unplaced) == 22


def test_copies_on_plate_lattice():
    from makeready.geometry.packing import copies_on_plate

    square = copies_on_plate(box(0, 0, 30, 25), 250.0, 250.0, spacing=3.0, margin=5.0)
    assert square == 8 * 7  # 7 columns of the 30 mm side, 8 rows of the 25 mm side (or turned)
    discs = copies_on_plate(Point(0, 0).buffer(10, quad_segs=32), 250.0, 250.0, spacing=3.0, margin=5.0)
    grid = ((240 + 3) // 23) ** 2  # boxes of the discs: 10 x 10
    assert discs > grid  # staggered rows (hexagonal) beat the square grid of boxes
    assert copies_on_plate(box(0, 0, 300, 10), 250.0, 250.0) == 0


def test_no_fit_polygon_is_the_minkowski_difference():
    # A ⊕ (−A) by merging edges equals the hull of all vertex differences (the definition),
    # for random convex outlines and a 400-gon (a smooth part's projected hull).
    import shapely
    from shapely.geometry import Polygon

    from makeready.geometry.packing import _difference_body

    rng = np.random.default_rng(3)
    outlines = [
        shapely.convex_hull(shapely.multipoints(rng.normal(size=(40, 2)) * [30, 10])) for _ in range(20)
    ]
    outlines.append(shapely.Point(3.0, -2.0).buffer(20.0, quad_segs=100))
    for outline in outlines:
        ring = shapely.get_coordinates(outline)[:-1]
        body = Polygon(_difference_body(ring))
        reference = shapely.convex_hull(shapely.multipoints((ring[:, None] - ring[None]).reshape(-1, 2)))
        assert body.is_valid
        assert body.symmetric_difference(reference).area <= 1e-9 * reference.area
