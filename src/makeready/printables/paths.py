"""Tool paths shared by the packagers: parallel fill lines and closed rings of a region."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiLineString

from makeready.geometry.types import FloatArray

__all__ = ["fill_lines", "order_paths", "rings"]


def fill_lines(
    region: Any, spacing: float, angle_deg: float, stripe: float = 0.0, start: FloatArray | None = None
) -> FloatArray:
    """Parallel lines ``spacing`` apart across ``region``, at ``angle_deg`` from +x.

    Each island (polygon) of the region is filled on its own, its lines ordered across it with
    every second one reversed (zig-zag), so the tool moves little between them; the islands
    follow one another nearest first from ``start``. With ``stripe`` > 0 the lines are cut
    where they cross stripe borders every ``stripe`` mm along their direction, and filled
    stripe by stripe (the stripe scan strategy of powder-bed fusion).

    Returns
    -------
    (m, 2, 2) float64
        Start and end point of each line, mm.

    """
    if region.is_empty or spacing <= 0:
        return np.zeros((0, 2, 2))
    islands = [g for g in getattr(region, "geoms", [region]) if not g.is_empty]
    blocks = [b for b in (_fill_island(g, spacing, angle_deg, stripe) for g in islands) if len(b)]
    if not blocks:
        return np.zeros((0, 2, 2))
    if len(blocks) == 1:
        return blocks[0]
    # Islands nearest first; each entered at whichever end of its zig-zag is nearer.
    position = np.asarray(start, np.float64) if start is not None else blocks[0][0, 0]
    ordered = []
    left = list(range(len(blocks)))
    while left:
        heads = np.array([blocks[i][0, 0] for i in left])
        tails = np.array([blocks[i][-1, 1] for i in left])
        to_head = np.einsum("ij,ij->i", heads - position, heads - position)
        to_tail = np.einsum("ij,ij->i", tails - position, tails - position)
        k = int(np.argmin(np.minimum(to_head, to_tail)))
        block = blocks[left.pop(k)]
        if to_tail[k] < to_head[k]:
            block = block[::-1, ::-1]
        ordered.append(block)
        position = block[-1, 1]
    return np.concatenate(ordered)


def _fill_island(region: Any, spacing: float, angle_deg: float, stripe: float) -> FloatArray:
    """Zig-zag lines over one polygon (see :func:`fill_lines`)."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    if not region.is_valid:
        region = shapely.make_valid(region)
    # The rows are laid out in a frame turned by the angle and turned back onto the region; the
    # region itself is never rotated: rounding in a rotated copy can make a thin spike
    # self-intersect, and GEOS then reports rows outside the part as inside it (seen on a torus
    # knot: infill lines 30 mm across empty space).
    xy = shapely.get_coordinates(region)
    ty = -s * xy[:, 0] + c * xy[:, 1]
    y0, y1 = ty.min(), ty.max()
    # Rows on one grid for every island and layer (origin 0): sparse infill stacks layer on layer.
    ys = np.arange((math.floor(y0 / spacing - 0.5) + 0.5) * spacing, y1, spacing)
    ys = ys[ys > y0]
    if not len(ys):
        return np.zeros((0, 2, 2))
    ends = _row_spans(region, ys, c, s)
    if not len(ends):
        return np.zeros((0, 2, 2))
    band = np.zeros(len(ends), np.int64)
    if stripe > 0:
        ends, band = _cut(ends, stripe)
    order = np.lexsort((ends[:, 0, 0], np.round(ends[:, 0, 1], 6), band))
    ends, band = ends[order], band[order]
    row = np.unique(np.round(ends[:, 0, 1], 6) + 1e6 * band, return_inverse=True)[1]
    flip = row % 2 == 1
    ends[flip] = ends[flip][:, ::-1]
    back = np.empty_like(ends)
    back[..., 0] = c * ends[..., 0] - s * ends[..., 1]
    back[..., 1] = s * ends[..., 0] + c * ends[..., 1]
    return back


def _row_spans(region: Any, ys: FloatArray, c: float, s: float) -> FloatArray:
    """Where the rows ``y = ys`` of the frame turned by (``c``, ``s``) run inside ``region``.

    A vectorised scanline: every edge of every ring crosses the rows within its half-open
    y range ``[min, max)`` (so a row through a vertex counts it once and horizontal edges never),
    and the crossings of a row, sorted, pair up inside/outside by the even-odd rule, exact for
    the valid polygons the fill gets. Equal to intersecting the rows with the polygon
    (GEOS), without building line geometries; that stays the answer if a row ever collects an
    odd number of crossings.

    Returns
    -------
    (m, 2, 2) float64
        Left and right end of each span in the turned frame (x along the row, y = the row).

    """
    coords, ring = shapely.get_coordinates(shapely.get_rings(region), return_index=True)
    same = ring[1:] == ring[:-1]
    p, q = coords[:-1][same], coords[1:][same]
    px, py = c * p[:, 0] + s * p[:, 1], -s * p[:, 0] + c * p[:, 1]
    qx, qy = c * q[:, 0] + s * q[:, 1], -s * q[:, 0] + c * q[:, 1]
    low, high = np.minimum(py, qy), np.maximum(py, qy)
    first = np.searchsorted(ys, low, side="left")
    count = np.searchsorted(ys, high, side="left") - first
    edge = np.repeat(np.arange(len(p)), count)
    row = np.repeat(first, count) + (np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count))
    t = (ys[row] - py[edge]) / (qy[edge] - py[edge])
    x = px[edge] + t * (qx[edge] - px[edge])
    if np.any(np.bincount(row, minlength=len(ys)) % 2):
        return _row_spans_exact(region, ys, c, s)
    order = np.lexsort((x, row))
    x, row = x[order], row[order]
    left, right, y = x[0::2], x[1::2], ys[row[0::2]]
    keep = right - left > 1e-9
    spans: FloatArray = np.stack([np.stack([left, y], 1), np.stack([right, y], 1)], axis=1)[keep]
    return spans


def _row_spans_exact(region: Any, ys: FloatArray, c: float, s: float) -> FloatArray:
    """:func:`_row_spans` by intersecting row lines with the polygon (GEOS)."""
    xy = shapely.get_coordinates(region)
    tx = c * xy[:, 0] + s * xy[:, 1]
    x0, x1 = tx.min(), tx.max()
    rows = np.stack(
        [
            np.column_stack([np.full(len(ys), x0 - 1.0), ys]),
            np.column_stack([np.full(len(ys), x1 + 1.0), ys]),
        ],
        1,
    )
    rows = np.stack([c * rows[..., 0] - s * rows[..., 1], s * rows[..., 0] + c * rows[..., 1]], axis=-1)
    cut = region.intersection(MultiLineString(list(rows)))
    pieces = [g for g in getattr(cut, "geoms", [cut]) if g.geom_type == "LineString" and not g.is_empty]
    if not pieces:
        return np.zeros((0, 2, 2))
    flat = np.array([[g.coords[0], g.coords[-1]] for g in pieces], np.float64)
    ends = np.stack([c * flat[..., 0] + s * flat[..., 1], -s * flat[..., 0] + c * flat[..., 1]], axis=-1)
    result: FloatArray = np.where((ends[:, 0, 0] > ends[:, 1, 0])[:, None, None], ends[:, ::-1], ends)
    return result


def _cut(ends: FloatArray, stripe: float) -> tuple[FloatArray, npt.NDArray[np.int64]]:
    """Split left-to-right lines (m, 2, 2) at x = k * stripe; returns the pieces and their band."""
    x0, x1, y = ends[:, 0, 0], ends[:, 1, 0], ends[:, 0, 1]
    first, last = np.floor(x0 / stripe).astype(np.int64), np.floor(x1 / stripe).astype(np.int64)
    count = last - first + 1
    line = np.repeat(np.arange(len(ends)), count)
    band = np.repeat(first, count) + (
        np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    )
    start = np.maximum(x0[line], band * stripe)
    stop = np.minimum(x1[line], (band + 1) * stripe)
    keep = stop - start > 1e-9
    pieces = np.stack([np.stack([start, y[line]], 1), np.stack([stop, y[line]], 1)], axis=1)
    return pieces[keep], band[keep]


def rings(region: Any) -> list[FloatArray]:
    """Every closed ring (outer contours and holes) of a polygonal region, each (k, 2), mm."""
    out: list[FloatArray] = []
    for polygon in getattr(region, "geoms", [region]):
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        out.append(np.asarray(polygon.exterior.coords, np.float64))
        out.extend(np.asarray(r.coords, np.float64) for r in polygon.interiors)
    return out


def order_paths(paths: list[FloatArray] | FloatArray, start: FloatArray) -> list[FloatArray]:
    """The paths in a short tool order: always the nearest unprinted one next.

    Open paths may be printed either way (the nearer end first); closed rings start at their
    vertex nearest the tool. Without this a zig-zag fill over several islands crosses between
    them on every row: on a torus knot the tool travelled 7x the distance PrusaSlicer's does.

    Parameters
    ----------
    paths : list of (k, 2) float, mm
        Polylines; a ring repeats its first point at the end.
    start : (2,) float, mm
        Where the tool is.

    Returns
    -------
    list of (k, 2) float
        The same paths, reordered, reversed or rotated.

    Notes
    -----
    Greedy nearest neighbour over a k-d tree of the candidate start points (both ends of open
    paths, every vertex of rings); printed paths' points are skipped by asking for more
    neighbours, so the cost stays near n log n.

    """
    from scipy.spatial import cKDTree

    items = [np.asarray(p, np.float64) for p in paths if len(p) >= 2]
    if len(items) <= 1 and not any(_closed(p) for p in items):
        return items
    owner_parts, index_parts, point_parts = [], [], []
    for i, path in enumerate(items):
        picks = np.arange(len(path) - 1) if _closed(path) else np.array([0, len(path) - 1])
        owner_parts.append(np.full(len(picks), i))
        index_parts.append(picks)
        point_parts.append(path[picks])
    owner, index, points = (
        np.concatenate(owner_parts),
        np.concatenate(index_parts),
        np.concatenate(point_parts),
    )
    tree = cKDTree(points)
    done = np.zeros(len(items), bool)
    position = np.asarray(start, np.float64)
    out: list[FloatArray] = []
    for _ in range(len(items)):
        k = 8
        while True:
            k = min(k, len(points))
            _, near = tree.query(position, k=k)
            near = np.atleast_1d(near)
            alive = near[~done[owner[near]]]
            if len(alive) or k == len(points):
                break
            k *= 4
        choice = int(alive[0])
        path, at = items[owner[choice]], int(index[choice])
        if _closed(path):
            path = np.concatenate([path[at:-1], path[: at + 1]]) if at else path
        elif at:
            path = path[::-1]
        out.append(path)
        done[owner[choice]] = True
        position = path[-1]
    return out


def _closed(path: FloatArray) -> bool:
    # Rings come from shapely, which closes them exactly.
    return len(path) > 3 and path[0, 0] == path[-1, 0] and path[0, 1] == path[-1, 1]
