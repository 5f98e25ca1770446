"""Nesting parts on a build plate by their true footprints, and stacking them in a powder bed.

Footprint: the outline of the part projected on the plate (manifold3d ``project``), not its
box. Placement is bottom-left fill on a raster: the plate (minus its margin) and each
footprint (grown by half the part spacing, then by one cell so rasterisation can only err
towards more room) become occupancy grids; an FFT correlation gives every position where a
footprint fits, and the lowest, then leftmost one is taken, trying each allowed turn about z.
Parts go largest first. The exact polygons are then checked: grown footprints never overlap
and stay on the plate, so parts keep at least the spacing between them.

Powder beds (SLS, MJF, binder jetting) are filled level by level: a plate layout per level,
each level as tall as its tallest part plus the spacing, until the build height is used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import manifold3d
import numpy as np
import numpy.typing as npt
import shapely
from PIL import Image, ImageDraw
from shapely.affinity import rotate, translate
from shapely.geometry import MultiPolygon, Point, Polygon, box

from makeready.geometry.mesh import Part
from makeready.geometry.slicing import solid_of
from makeready.geometry.tolerance import FLOAT_RELATIVE, LENGTH_EPS_MM, invariant
from makeready.geometry.types import FloatArray

__all__ = [
    "BedLayout",
    "Placement",
    "PlateLayout",
    "footprint",
    "nest_in_bed",
    "nest_on_plate",
    "plate_shape",
]


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one part goes: turned by ``angle`` degrees about z, then moved by ``offset`` (mm)."""

    index: int
    angle: float
    offset: tuple[float, float]
    outline: Polygon  # the placed footprint, mm
    level: int = 0
    z: float = 0.0


@dataclass(frozen=True, slots=True)
class PlateLayout:
    """Parts placed on one plate; ``unplaced`` lists the indices that did not fit."""

    placements: tuple[Placement, ...]
    unplaced: tuple[int, ...]
    plate: Polygon

    @property
    def density(self) -> float:
        """Share of the plate covered by footprints."""
        area = self.plate.area
        return float(sum(p.outline.area for p in self.placements) / area) if area > 0 else 0.0


@dataclass(frozen=True, slots=True)
class BedLayout:
    """Parts placed in a powder bed, level by level."""

    placements: tuple[Placement, ...]
    unplaced: tuple[int, ...]
    levels: int
    height: float


def plate_shape(x: float, y: float, *, cylindrical: bool = False) -> Polygon:
    """A build plate centred on the origin: an x × y rectangle or a disc of diameter x, mm."""
    if cylindrical:
        return Point(0.0, 0.0).buffer(x / 2.0, quad_segs=64)
    return box(-x / 2.0, -y / 2.0, x / 2.0, y / 2.0)


def footprint(part: Part, rotation: npt.ArrayLike | None = None) -> Polygon | MultiPolygon:
    """The part's outline projected on the plate (machine x, y), mm; holes kept.

    Uses manifold3d's projection of the closed solid, so overhangs count and through-holes stay
    holes.
    """
    solid: manifold3d.Manifold = solid_of(part, rotation)
    outline: Polygon | MultiPolygon = Polygon()
    pieces = []
    for piece in solid.project().decompose():
        rings = [np.asarray(c, np.float64) for c in piece.to_polygons() if len(c) >= 3]
        if not rings:
            continue
        areas = [
            0.5 * (np.dot(r[:, 0], np.roll(r[:, 1], -1)) - np.dot(r[:, 1], np.roll(r[:, 0], -1)))
            for r in rings
        ]
        outer = int(np.argmax(areas))
        pieces.append(Polygon(rings[outer], [r for i, r in enumerate(rings) if i != outer]))
    if pieces:
        outline = shapely.union_all(pieces)  # several bodies side by side stay apart
    return shapely.make_valid(outline) if not outline.is_valid else outline


def _raster(
    shape: Polygon | MultiPolygon, origin: tuple[float, float], cell: float, size: tuple[int, int]
) -> npt.NDArray[np.uint8]:
    """Cells (rows = y, columns = x) covered by ``shape``; size is (columns, rows)."""
    image = Image.new("L", size, 0)
    draw = ImageDraw.Draw(image)
    geoms = shape.geoms if hasattr(shape, "geoms") else [shape]
    for polygon in geoms:
        if polygon.is_empty:
            continue
        draw.polygon(_cells(polygon.exterior, origin, cell), fill=1, outline=1)
        for hole in polygon.interiors:
            draw.polygon(_cells(hole, origin, cell), fill=0)
    return np.asarray(image, np.uint8)


def _cells(ring: shapely.LinearRing, origin: tuple[float, float], cell: float) -> list[tuple[float, float]]:
    xy = (np.asarray(ring.coords) - np.asarray(origin)) / cell
    return [(float(a), float(b)) for a, b in xy]


def nest_on_plate(
    outlines: Sequence[Polygon],
    plate: Polygon,
    *,
    spacing: float = 5.0,
    margin: float = 5.0,
    angles: Sequence[float] = (0.0, 90.0, 180.0, 270.0),
    cell: float | None = None,
) -> PlateLayout:
    """Place footprints on a plate without overlap (see the module notes).

    Parameters
    ----------
    outlines : sequence of Polygon
        Footprints in machine x, y (mm), any position.
    plate : Polygon
        The plate (:func:`plate_shape`).
    spacing : float, mm
        Least distance between parts.
    margin : float, mm
        Least distance from the plate's edge.
    angles : sequence of float, degrees
        Turns about z to try.
    cell : float, mm, optional
        Raster cell; default about a 400th of the plate's larger side, at most 1 mm.

    Returns
    -------
    PlateLayout

    """
    usable = plate.buffer(-margin)
    if usable.is_empty:
        return PlateLayout((), tuple(range(len(outlines))), plate)
    x0, y0, x1, y1 = usable.bounds
    # scipy.signal takes 0.4 s to import: only packing on a raster needs it, not every process
    from scipy.signal import fftconvolve

    step = cell or min(1.0, max(x1 - x0, y1 - y0) / 400.0)
    cols, rows = math.ceil((x1 - x0) / step) + 1, math.ceil((y1 - y0) / step) + 1
    # Occupied = outside the usable plate (shrunk by one cell so edge cells count as outside).
    free = _raster(usable.buffer(-step), (x0, y0), step, (cols, rows))
    occupied = (1 - free).astype(np.float64)
    order = sorted(range(len(outlines)), key=lambda i: -outlines[i].area)
    placed: list[Placement] = []
    unplaced: list[int] = []
    for index in order:
        best = None
        for angle in angles:
            turned = rotate(outlines[index], angle, origin=(0.0, 0.0))
            grown = turned.buffer(spacing / 2.0 + step)
            gx0, gy0, gx1, gy1 = grown.bounds
            mask = _raster(
                grown,
                (gx0, gy0),
                step,
                (math.ceil((gx1 - gx0) / step) + 1, math.ceil((gy1 - gy0) / step) + 1),
            )
            if mask.shape[0] > rows or mask.shape[1] > cols:
                continue
            overlap = fftconvolve(occupied, mask[::-1, ::-1].astype(np.float64), mode="valid")
            fits = np.argwhere(overlap < 0.5)
            if not len(fits):
                continue
            r, c = fits[0]  # argwhere is row-major: lowest row (y) first, then lowest column (x)
            key = (r, c)
            if best is None or key < best[0]:
                best = (key, angle, turned, mask, gx0, gy0)
        if best is None:
            unplaced.append(index)
            continue
        (r, c), angle, turned, mask, gx0, gy0 = best
        dx, dy = x0 + c * step - gx0, y0 + r * step - gy0
        occupied[r : r + mask.shape[0], c : c + mask.shape[1]] += mask
        outline = translate(turned, dx, dy)
        placed.append(Placement(index, float(angle), (float(dx), float(dy)), outline))
    invariant(
        lambda: all(
            p.outline.difference(plate).area <= LENGTH_EPS_MM + 1e-6 * p.outline.area for p in placed
        ),
        "every placed footprint lies on the plate",
    )
    return PlateLayout(tuple(sorted(placed, key=lambda p: p.index)), tuple(sorted(unplaced)), plate)


def nest_in_bed(
    outlines: Sequence[Polygon],
    heights: Sequence[float],
    plate: Polygon,
    build_height: float,
    *,
    spacing: float = 3.0,
    margin: float = 5.0,
    angles: Sequence[float] = (0.0, 90.0, 180.0, 270.0),
) -> BedLayout:
    """Fill a powder bed level by level (see the module notes); heights in mm."""
    remaining = list(range(len(outlines)))
    placements: list[Placement] = []
    z = 0.0
    level = 0
    while remaining:
        layout = nest_on_plate(
            [outlines[i] for i in remaining], plate, spacing=spacing, margin=margin, angles=angles
        )
        if not layout.placements:
            break
        chosen = [remaining[p.index] for p in layout.placements]
        tallest = max(heights[i] for i in chosen)
        if z + tallest > build_height + LENGTH_EPS_MM:
            # Keep only the parts short enough for what is left of the build height.
            room = build_height - z
            chosen_ok = [p for p in layout.placements if heights[remaining[p.index]] <= room + LENGTH_EPS_MM]
            if not chosen_ok:
                break
            layout = PlateLayout(tuple(chosen_ok), (), plate)
            chosen = [remaining[p.index] for p in chosen_ok]
            tallest = max(heights[i] for i in chosen)
        for p in layout.placements:
            original = remaining[p.index]
            placements.append(Placement(original, p.angle, p.offset, p.outline, level, z))
        remaining = [i for i in remaining if i not in set(chosen)]
        z += tallest + spacing
        level += 1
    height = max((p.z + heights[p.index] for p in placements), default=0.0)
    return BedLayout(tuple(sorted(placements, key=lambda p: p.index)), tuple(remaining), level, float(height))


def copies_on_plate(
    outline: Polygon | MultiPolygon,
    plate_x: float,
    plate_y: float,
    *,
    spacing: float = 5.0,
    margin: float = 5.0,
) -> int:
    """How many copies of one footprint fit a rectangular plate, on the best lattice.

    For each turn (0° and 90°) and row offset (none, or half a pitch), the tightest column pitch
    and row pitch at which the footprints (grown by half the spacing) do not overlap are found
    by bisection with exact polygon tests, so interlocking shapes (an L next to an L) pack closer
    than their boxes. Much faster than placing every copy; used for parts per job.
    """
    best = 0
    width, height = plate_x - 2 * margin, plate_y - 2 * margin
    for angle in (0.0, 90.0):
        turned = rotate(outline, angle, origin=(0.0, 0.0))
        shape = turned.buffer(spacing / 2.0)
        if shape.is_empty:
            continue
        x0, y0, x1, y1 = shape.bounds
        w, h = x1 - x0, y1 - y0
        if w - spacing > width + LENGTH_EPS_MM or h - spacing > height + LENGTH_EPS_MM:
            continue
        clear = _overlap_free(turned, spacing, max(w, h))
        dx = _pitch(clear, lambda d: [(d, 0.0), (2 * d, 0.0)], w)
        for stagger in (0.0, 0.5):
            dy = _pitch(clear, _row_offsets(dx, stagger), h)
            columns = int((width - (w - spacing)) // dx) + 1
            rows = int((height - (h - spacing)) // dy) + 1
            if stagger and rows > 1:
                # Odd rows are shifted by half a pitch: they hold one column fewer when it sticks out.
                shifted = int((width - (w - spacing) - dx / 2) // dx) + 1
                count = (rows + 1) // 2 * columns + rows // 2 * max(shifted, 0)
            else:
                count = columns * rows
            best = max(best, count)
    return best


def _row_offsets(dx: float, stagger: float) -> Any:
    """Neighbours in the next row and the one after, for a row pitch ``d``."""

    def offsets(d: float) -> list[tuple[float, float]]:
        first = [(stagger * dx + k * dx, d) for k in (-1, 0, 1)]
        second = [(2 * stagger * dx + k * dx, 2 * d) for k in (-1, 0, 1)]
        return first + second

    return offsets


def _pitch(clear_of: Any, offsets: Any, upper: float) -> float:
    """Smallest pitch at which a shape and its copies do not overlap.

    ``clear_of(offsets)`` says whether copies moved by ``offsets`` keep clear
    (:func:`_overlap_free`); ``offsets(d)`` gives the copies' translations for a pitch ``d``;
    bisection to 0.05 % of ``upper``.
    """

    def clear(d: float) -> bool:
        return bool(clear_of(offsets(d)))

    lo, hi = 0.0, upper
    if not clear(hi):
        hi = upper * 2.0
    for _ in range(24):
        mid = (lo + hi) / 2.0
        if clear(mid):
            hi = mid
        else:
            lo = mid
        if hi - lo < 5e-4 * upper:
            break
    return hi


#: A copy moved by an offset this far (relative to the shape's size) inside the no-fit
#: polygon's boundary overlaps; closer counts as touching (area ~0), as the polygon test says.
_TOUCH_REL = 1e-9


def _overlap_free(outline: Polygon | MultiPolygon, spacing: float, size: float) -> Any:
    """``clear(offsets)``: whether copies of the grown ``outline`` moved by ``offsets`` keep clear.

    The outline is grown by half ``spacing`` (as the lattice places it).

    A convex outline (the hull footprints costing uses) overlaps its copy moved by ``t`` exactly
    when ``t`` lies inside the no-fit polygon ``A ⊕ (−A)`` (:func:`_difference_body`), grown by
    the whole spacing for the grown outlines: a few half-plane tests instead of a polygon
    intersection per offset. Other outlines are intersected exactly.
    """
    from scipy.spatial import ConvexHull, QhullError

    hull = outline.convex_hull
    if hull.geom_type == "Polygon" and outline.area >= hull.area * (1.0 - FLOAT_RELATIVE):
        try:
            no_fit = Polygon(_difference_body(shapely.get_coordinates(hull)[:-1])).buffer(spacing)
            planes = ConvexHull(shapely.get_coordinates(no_fit)).equations
        except (QhullError, ValueError):
            planes = None
        if planes is not None:
            tolerance = _TOUCH_REL * max(size, 1.0)

            def clear_convex(offsets: list[tuple[float, float]]) -> bool:
                moved = np.asarray(offsets, np.float64)
                inside = np.all(moved @ planes[:, :2].T + planes[:, 2] < -tolerance, axis=1)
                return not bool(inside.any())

            return clear_convex

    shape = outline.buffer(spacing / 2.0)

    def clear_exact(offsets: list[tuple[float, float]]) -> bool:
        return all(shape.intersection(translate(shape, ox, oy)).area <= LENGTH_EPS_MM for ox, oy in offsets)

    return clear_exact


def _difference_body(ring: FloatArray) -> FloatArray:
    """Vertices of ``A ⊕ (−A)`` for the convex polygon ``A`` with vertices ``ring`` (k, 2).

    The Minkowski sum of two convex polygons by merging their edges in order of direction
    (O(k log k)), from both polygons' lowest vertex; the hull of all k² vertex differences
    gives the same polygon but costs seconds on a smooth part's outline of thousands of
    vertices.
    """
    area = float(np.sum(ring[:, 0] * np.roll(ring[:, 1], -1) - np.roll(ring[:, 0], -1) * ring[:, 1]))
    if area < 0:
        ring = ring[::-1]  # counter-clockwise

    def from_lowest(vertices: FloatArray) -> tuple[FloatArray, FloatArray]:
        start = int(np.lexsort((vertices[:, 0], vertices[:, 1]))[0])
        turned = np.roll(vertices, -start, axis=0)
        return turned[0], np.roll(turned, -1, axis=0) - turned

    p0, p_edges = from_lowest(ring)
    q0, q_edges = from_lowest(-ring)
    edges = np.concatenate([p_edges, q_edges])
    angle = np.mod(np.arctan2(edges[:, 1], edges[:, 0]), 2.0 * np.pi)
    steps = edges[np.argsort(angle, kind="stable")]
    body: FloatArray = p0 + q0 + np.concatenate([[[0.0, 0.0]], np.cumsum(steps, axis=0)[:-1]])
    return body
