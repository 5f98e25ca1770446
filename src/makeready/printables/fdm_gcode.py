"""FDM printable: Marlin-flavour G-code with walls, skins, infill, supports and a time estimate.

Per layer (machine millimetres, the plate at z = 0 after lifting the part onto it):

* **walls**: ``perimeters`` rings, the outer one inset by half a line width, each next one a
  line *spacing* further in;
* **skins**: the part of the inner region that lies within ``top_layers`` of a surface above or
  ``bottom_layers`` of one below (the region minus the intersection of the neighbouring
  layers), without slivers thinner than a line, filled solid at the line spacing;
* **infill**: the rest, lines at ``spacing / infill_density``; both turn 90° every layer;
* **supports**: the sliced support structures of :func:`makeready.support_geometry` (block
  posts), filled at ``line_width / support_density``.

Bead shape (the Slic3r/PrusaSlicer flow model, "Flow Math" in the Slic3r manual): a line of
width ``w`` and height ``h`` is a rectangle with round sides, cross-section
``(w - h) h + π h² / 4``, and neighbouring lines touch at ``spacing = w - h (1 - π / 4)``
(0.407 mm for 0.45 x 0.2 mm), so a solid region is filled without gaps or overlap and a fill
of density ``d`` deposits ``d`` of the volume. Moves are relative-extrusion ``G1`` (``M83``):
filament length ``E = L x cross-section / (π d_f² / 4)``. A
travel longer than ``retract_min_travel`` retracts and primes. The time estimate treats every
move as a trapezoid at the printer's acceleration; along a printed path a look-ahead planner
sets the speed at every vertex (classic jerk cornering, then what acceleration allows forward
and backward over consecutive segments); paths and travels start and end at the printer's jerk
speed; heating is not counted. The header carries
``;TIME:``, ``;Filament used:`` (m) and the mass, as slicers do.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon

from makeready.geometry.design_rules import BuildVolume
from makeready.geometry.slicing import Slices
from makeready.geometry.types import FloatArray
from makeready.printables.fit import check_inside
from makeready.printables.paths import fill_lines, order_paths, rings
from makeready.printables.printer_files import GcodeBlocks

__all__ = ["ESTIMATE_LAYERS", "FdmEstimate", "FdmSettings", "GcodeResult", "fdm_estimate", "fdm_gcode"]


@dataclass(frozen=True, slots=True)
class FdmSettings:
    """Printer, material and profile settings (mm, mm/s, mm/s², °C, g/cm³)."""

    line_width: float = 0.45
    perimeters: int = 2
    top_layers: int = 4
    bottom_layers: int = 4
    infill_density: float = 0.2
    support_density: float = 0.15
    filament_diameter: float = 1.75
    filament_density: float = 1.24
    nozzle_temp: float = 215.0
    bed_temp: float = 60.0
    fan_percent: float = 100.0
    print_speed: float = 60.0
    wall_speed: float = 40.0
    first_layer_speed: float = 20.0
    travel_speed: float = 150.0
    acceleration: float = 1000.0
    jerk: float = 8.0  # mm/s: the speed a move may start or stop at without ramping (Marlin XY jerk)
    # A layer printed faster than this (s) is slowed down so it can cool, not below
    # ``min_print_speed`` (mm/s): CuraEngine's cool_min_layer_time / cool_min_speed defaults.
    min_layer_time: float = 10.0
    min_print_speed: float = 10.0
    retract_length: float = 0.8
    retract_speed: float = 35.0
    retract_min_travel: float = 2.0
    bed_centre: tuple[float, float] = (125.0, 105.0)  # Prusa MK4 bed 250 x 210
    printer: str = "Prusa MK4"
    # When given, every printed coordinate is checked to lie in it (origin at the plate's corner).
    build_volume: BuildVolume | None = None
    # The printer's own start and end G-code (levelling, purge, park); None: a generic Marlin one.
    blocks: GcodeBlocks | None = None


@dataclass(frozen=True, slots=True)
class GcodeResult:
    """The G-code and what it will take."""

    text: str
    seconds: float
    filament_mm: float
    filament_g: float
    extruded_mm3: float
    layers: int


class _Writer:
    """Accumulates moves for one print, with the running position, time and extrusion."""

    def __init__(self, cfg: FdmSettings, *, write: bool = True) -> None:
        self.cfg = cfg
        self.write = write  # False: time and extrusion only (the estimator), no text
        self.out = io.StringIO()
        self.pos = np.array([cfg.bed_centre[0], cfg.bed_centre[1]])
        self.seconds = 0.0
        self.filament = 0.0
        self.volume = 0.0
        self.filament_area = math.pi * cfg.filament_diameter**2 / 4.0

    def _time(
        self,
        lengths: FloatArray,
        speed: float,
        v_in: FloatArray | None = None,
        v_out: FloatArray | None = None,
    ) -> None:
        """Trapezoidal time of consecutive moves entering at ``v_in`` and leaving at ``v_out`` (mm/s)."""
        a, jerk = self.cfg.acceleration, min(self.cfg.jerk, speed)
        v0 = np.full_like(lengths, jerk) if v_in is None else np.clip(v_in, jerk, speed)
        v1 = np.full_like(lengths, jerk) if v_out is None else np.clip(v_out, jerk, speed)
        cruise = lengths - (speed**2 - v0**2) / (2 * a) - (speed**2 - v1**2) / (2 * a)
        full = cruise / speed + (speed - v0) / a + (speed - v1) / a
        peak = np.sqrt(np.maximum((2 * a * lengths + v0**2 + v1**2) / 2.0, 0.0))
        short = (peak - v0) / a + (peak - v1) / a
        self.seconds += float(np.where(cruise >= 0, full, short).sum())

    def extrude_paths(
        self, paths: list[FloatArray] | FloatArray, height: float, speed: float, inside: object | None = None
    ) -> None:
        """Print polylines (each (k, 2)) in order, travelling and retracting between them.

        Vectorised over every point of every path: the G-code text, extrusion and time are
        built at once (no Python loop per move). Travels that stay inside ``inside`` (the
        layer's solid, shifted onto the bed) do not retract, as slicers' combing.
        """
        # Fill lines come island by island in zig-zag (fill_lines); rings go nearest next.
        paths = list(paths) if isinstance(paths, np.ndarray) else order_paths(paths, self.pos)
        if not paths:
            return
        cfg = self.cfg
        counts = np.array([len(p) for p in paths])
        points = np.concatenate(paths)
        first = np.concatenate([[0], np.cumsum(counts)[:-1]])
        last = first + counts - 1
        before = np.vstack([self.pos[None], points[last[:-1]]])
        hop = np.linalg.norm(points[first] - before, axis=1)
        retract = hop >= cfg.retract_min_travel
        if inside is not None and retract.any():
            legs = shapely.linestrings(np.stack([before[retract], points[first][retract]], axis=1))
            retract[np.flatnonzero(retract)] = ~shapely.within(legs, inside)
        moving = hop > 1e-6
        # Segments inside paths: from every point that is not a path's last to the next one.
        inner = np.ones(len(points), bool)
        inner[last] = False
        seg_from = np.flatnonzero(inner)
        step = points[seg_from + 1] - points[seg_from]
        length = np.linalg.norm(step, axis=1)
        bead = bead_area(cfg.line_width, height)
        e = length * bead / self.filament_area
        # Cornering speeds at vertices where both neighbours belong to the same path.
        direction = step / np.maximum(length, 1e-12)[:, None]
        same_path = np.ones(len(seg_from), bool)
        same_path[np.searchsorted(seg_from, first)] = False  # a segment that starts a path
        v_in, v_out = _look_ahead(length, direction, same_path, speed, cfg.acceleration, cfg.jerk)
        self._time(hop[moving], cfg.travel_speed)
        self._time(length, speed, v_in, v_out)
        self.seconds += float(retract.sum()) * 2 * cfg.retract_length / cfg.retract_speed
        self.filament += float(e.sum())
        self.volume += float(length.sum() * bead)
        self.pos = points[last[-1]].copy()
        if not self.write:
            return
        feed = f" F{speed * 60:.0f}"
        prefix = (
            np.where(retract, f"G1 E{-cfg.retract_length:.4f} F{cfg.retract_speed * 60:.0f}\n", "")
            + np.where(
                moving,
                _fmt("G0 X", points[first, 0], " Y", points[first, 1], f" F{cfg.travel_speed * 60:.0f}\n"),
                "",
            )
            + np.where(retract, f"G1 E{cfg.retract_length:.4f} F{cfg.retract_speed * 60:.0f}\n", "")
        )
        lines = np.empty(len(points), dtype=object)
        lines[first] = prefix
        moves = _fmt(
            "G1 X", points[seg_from + 1, 0], " Y", points[seg_from + 1, 1], " E", e, digits=(3, 3, 5)
        )
        lines[seg_from + 1] = np.char.add(np.char.add(moves, np.where(same_path, "", feed)), "\n")
        self.out.write("".join(lines.tolist()))


SIMPLIFY_MM = 0.025


def bead_area(width: float, height: float) -> float:
    """Cross-section of a deposited line, mm²: a rectangle with semicircular sides (Slic3r flow)."""
    return (width - height) * height + math.pi * height**2 / 4.0


def line_spacing(width: float, height: float) -> float:
    """Centre distance of touching neighbouring lines, mm (Slic3r flow: ``w - h (1 - π/4)``)."""
    return width - height * (1.0 - math.pi / 4.0)


#: Segments per quarter circle where offsets round a corner: a 1.35 mm arc (the innermost of two
#: 0.45 mm walls) is then within 0.026 mm of the circle, the resolution the paths are simplified
#: to anyway; GEOS's default of 16 made the offsets the slowest step of planning a layer.
ARC_SEGMENTS = 4


def _look_ahead(
    length: FloatArray,
    direction: FloatArray,
    same_path: npt.NDArray[np.bool_],
    speed: float,
    acceleration: float,
    jerk: float,
) -> tuple[FloatArray, FloatArray]:
    """Entry and exit speeds of consecutive segments (mm/s), as a look-ahead planner sets them.

    A vertex inside a path may be passed at the speed at which no axis changes velocity by more
    than ``jerk`` (classic jerk, as Marlin, Prusa firmware and both peers' estimators model it:
    ``v |Δu_axis| <= jerk``); a path starts and ends at ``jerk``. Then the speeds the
    acceleration allows: forward ``v_k+1² <= v_k² + 2 a L_k`` and backward
    ``v_k² <= v_k+1² + 2 a L_k``, each a min-plus recurrence solved at once as a running
    minimum over prefix sums of ``2 a L`` (every path starts and ends at the lowest speed,
    so the running minimum never carries over from one path to the next).
    """
    count = len(length)
    floor = min(jerk, speed) ** 2
    change = np.zeros(count)
    change[1:] = np.max(np.abs(direction[1:] - direction[:-1]), axis=1)
    corner = np.where(change > 1e-12, jerk / np.maximum(change, 1e-12), speed)
    limit = np.where(same_path, np.clip(corner, min(jerk, speed), speed) ** 2, floor)  # entry, squared
    gain = 2.0 * acceleration * length
    before = np.concatenate([[0.0], np.cumsum(gain)[:-1]])  # Σ gain of the segments before k
    forward = before + np.minimum.accumulate(limit - before)
    after = np.cumsum(gain[::-1])[::-1]  # Σ gain of segments k and later
    last = np.append(~same_path[1:], True)  # a segment that ends a path: it stops at jerk speed
    reach = np.where(last, np.minimum(forward - after, floor + gain - after), forward - after)
    entry = after + np.minimum.accumulate(reach[::-1])[::-1]
    exit_ = np.where(last, floor, np.append(entry[1:], floor))
    return np.sqrt(np.maximum(entry, 0.0)), np.sqrt(np.maximum(exit_, 0.0))


def _fmt(*parts: object, digits: tuple[int, ...] = (3, 3)) -> npt.NDArray[np.str_]:
    """Concatenate literal strings and numeric columns (formatted with ``digits``) row-wise."""
    out: npt.NDArray[np.str_] | None = None
    places = iter(digits)
    for part in parts:
        piece = part if isinstance(part, str) else np.char.mod(f"%.{next(places)}f", np.asarray(part))
        out = np.char.add(out, piece) if out is not None else np.asarray(piece)
    assert out is not None
    return out


def _nearest_first(polygons: list[Any], start: FloatArray) -> list[Any]:
    """Polygons in greedy nearest-first order from ``start`` (by their outlines' vertices)."""
    ordered, left, position = [], list(polygons), np.asarray(start, np.float64)
    while left:
        gaps = [float(np.min(np.sum((np.asarray(p.exterior.coords) - position) ** 2, axis=1))) for p in left]
        polygon = left.pop(int(np.argmin(gaps)))
        ordered.append(polygon)
        position = np.asarray(polygon.exterior.coords[0])
    return ordered


def _as_region(geometry: Any) -> MultiPolygon:
    """The polygons of ``geometry`` as a valid MultiPolygon.

    Simplification can leave a spike self-intersecting; every later buffer and fill would then
    be wrong.
    """
    if not geometry.is_empty and not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    polygons = [
        g
        for g in getattr(geometry, "geoms", [geometry])
        if getattr(g, "geom_type", "") == "Polygon" and not g.is_empty
    ]
    return MultiPolygon(polygons)


def fdm_gcode(
    slices: Slices, settings: FdmSettings | None = None, supports: Slices | None = None
) -> GcodeResult:
    """G-code for a sliced part (see the module notes).

    Parameters
    ----------
    slices : Slices
        The part's layers in machine coordinates; it is moved so its lowest layer sits on the
        plate and its centre on ``bed_centre``.
    settings : FdmSettings, optional
        Printer, material and profile settings; default a Prusa MK4 with PLA at 0.45 mm lines.
    supports : Slices, optional
        The sliced support structures, same layer heights and frame as ``slices``.

    Returns
    -------
    GcodeResult

    """
    cfg = settings or FdmSettings()
    bounds = slices.xy_bounds
    shift = np.array(
        [cfg.bed_centre[0] - (bounds[0] + bounds[2]) / 2.0, cfg.bed_centre[1] - (bounds[1] + bounds[3]) / 2.0]
    )
    if cfg.build_volume is not None:
        extent = [bounds]
        if supports is not None and any(not layer.shape.is_empty for layer in supports.layers):
            extent.append(supports.xy_bounds)
        box = np.array(extent)
        corners = np.array([box[:, :2].min(axis=0), box[:, 2:].max(axis=0)]) + shift
        check_inside(corners, slices.height, cfg.build_volume, cfg.printer, origin_corner=True)
    writer = _Writer(cfg)
    for i in range(len(slices.layers)):
        _cooled_layer(writer, slices, supports, i, shift)
    grams = writer.filament * writer.filament_area * cfg.filament_density / 1000.0
    header = "\n".join(
        [
            ";FLAVOR:Marlin",
            f";TIME:{round(writer.seconds)}",
            f";Filament used: {writer.filament / 1000.0:.5f}m",
            f";Filament mass: {grams:.2f}g",
            f";LAYER_COUNT:{len(slices.layers)}",
            f";Generated by makeready for {cfg.printer}",
            "",
        ]
    )
    first = slices.layers[0].thickness if slices.layers else 0.2
    if cfg.blocks is not None:
        values = {
            "bed_temp": round(cfg.bed_temp),
            "nozzle_temp": round(cfg.nozzle_temp),
            "first_layer_mm": first,
            "park_z": min(
                slices.height + 10.0, cfg.build_volume.z if cfg.build_volume else slices.height + 10.0
            ),
        }
        header += (
            f";FIRMWARE:{cfg.blocks.flavor}\n" + cfg.blocks.render(cfg.blocks.start, **values) + "M107\n"
        )
        footer = cfg.blocks.render(cfg.blocks.end, **values)
    else:
        header += (
            f"M140 S{cfg.bed_temp:.0f}\nM104 S{cfg.nozzle_temp:.0f}\nM190 S{cfg.bed_temp:.0f}\n"
            f"M109 S{cfg.nozzle_temp:.0f}\nG28\nG90\nM83\nM107\n"
        )
        footer = "M107\nM104 S0\nM140 S0\nG91\nG0 Z5\nG90\nM84\n"
    text = header + writer.out.getvalue() + footer
    return GcodeResult(text, writer.seconds, writer.filament, grams, writer.volume, len(slices.layers))


#: Layers the estimator plans at most; the rest are represented by a stratified sample.
ESTIMATE_LAYERS = 60


@dataclass(frozen=True, slots=True)
class FdmEstimate:
    """What the G-code of a part would take, without writing it (s, mm, mm³, g).

    ``planned_layers`` of ``layers`` were planned move by move; each of the others is
    represented by a planned neighbour of its stratum (equal when ``planned_layers == layers``).
    """

    seconds: float
    filament_mm: float
    filament_g: float
    extruded_mm3: float
    layers: int
    planned_layers: int


def fdm_estimate(
    slices: Slices,
    settings: FdmSettings | None = None,
    supports: Slices | None = None,
    *,
    max_layers: int = ESTIMATE_LAYERS,
) -> FdmEstimate:
    """The print time and filament of :func:`fdm_gcode`, from the same planner and time model.

    Every layer's walls, skins, infill and supports are planned as for the G-code (no text is
    written); a part of more than ``max_layers`` layers is planned on a stratified sample: the
    first ``bottom_layers + 1`` and the last ``top_layers`` layers in full (first-layer speed,
    solid skins) and the layers whose section changes most within the skin depth (inner top
    and bottom surfaces) in full; the others cut into equal runs, the middle layer of each run
    planned and counted once per layer of its run. Skins still come from every layer's
    neighbours. Measured against the full G-code: within 1.5 % on the benchmark parts
    (docs/printables.md).

    Parameters
    ----------
    slices, settings, supports
        As for :func:`fdm_gcode`.
    max_layers : int
        Layers to plan at most (at least ``bottom_layers + top_layers + 2``).

    """
    cfg = settings or FdmSettings()
    bounds = slices.xy_bounds
    shift = np.array(
        [cfg.bed_centre[0] - (bounds[0] + bounds[2]) / 2.0, cfg.bed_centre[1] - (bounds[1] + bounds[3]) / 2.0]
    )
    count = len(slices.layers)
    writer = _Writer(cfg, write=False)
    planned = 0
    areas = np.array([layer.shape.area for layer in slices.layers])
    window = max(cfg.top_layers, cfg.bottom_layers)
    for i, weight in _layer_sample(areas, cfg.bottom_layers + 1, cfg.top_layers, window, max_layers):
        before = (writer.seconds, writer.filament, writer.volume)
        _cooled_layer(writer, slices, supports, i, shift)
        planned += 1
        if weight > 1:
            writer.seconds += (weight - 1) * (writer.seconds - before[0])
            writer.filament += (weight - 1) * (writer.filament - before[1])
            writer.volume += (weight - 1) * (writer.volume - before[2])
    grams = writer.filament * writer.filament_area * cfg.filament_density / 1000.0
    return FdmEstimate(writer.seconds, writer.filament, grams, writer.volume, count, planned)


def _layer_sample(areas: FloatArray, head: int, tail: int, window: int, budget: int) -> list[tuple[int, int]]:
    """``(layer, weight)`` pairs to plan: every layer when there are at most ``budget``.

    Otherwise the first ``head`` and last ``tail`` layers, then the layers whose section
    changes most within ``window`` layers either side (where top and bottom skins are; half of
    what is left of the budget), in full; the rest in equal runs, the middle of each run
    planned once per layer of the run, on alternating parities (infill and supports turn 90°
    every layer, so one parity would count one direction only).
    """
    count = len(areas)
    if count <= budget:
        return [(i, 1) for i in range(count)]
    fixed = list(range(head)) + list(range(count - tail, count))
    middle = np.arange(head, count - tail)
    padded = np.pad(areas, window, mode="edge")
    shifts = [padded[window + d : window + d + count] for d in range(-window, window + 1) if d]
    change = np.max(np.abs(np.stack(shifts) - areas), axis=0)[middle]
    left = max(budget - len(fixed), 2)
    steep = middle[np.argsort(-change, kind="stable")[: left // 2]]
    steep = steep[change[np.searchsorted(middle, steep)] > 0.0]
    rest = np.setdiff1d(middle, steep)
    runs = [r for r in np.array_split(rest, max(left - len(steep), 1)) if len(r)]
    picked = []
    for j, run in enumerate(runs):
        k = len(run) // 2
        if len(run) > 1 and (int(run[k]) - j) % 2:
            k -= 1
        picked.append((int(run[k]), len(run)))
    whole = [(i, 1) for i in fixed] + [(int(i), 1) for i in steep]
    return sorted(whole + picked)


#: Re-plans of a layer that printed faster than the minimum layer time, and the shortfall
#: accepted (a layer within 2 % of the minimum is left as it is).
_COOLING_PASSES = 4
_COOLING_SLACK = 0.02


def _cooled_layer(
    writer: _Writer, slices: Slices, supports: Slices | None, i: int, shift: FloatArray
) -> None:
    """Layer ``i``, printed again slower when it took less than ``min_layer_time``.

    The printing speeds are scaled by the layer's time over the minimum (travel is not), not
    below ``min_print_speed``: a small layer gets the time to cool before the next one lands
    on it, as both peers do by default.
    """
    cfg = writer.cfg
    mark = (writer.out.tell(), writer.seconds, writer.filament, writer.volume, writer.pos.copy())
    _print_layer(writer, slices, supports, i, shift)
    took, slow = writer.seconds - mark[1], 1.0
    # Time is not proportional to speed where acceleration dominates (short segments): the
    # scale is corrected from what each pass took, a few passes at most.
    for _ in range(_COOLING_PASSES):
        if not 0.0 < took < cfg.min_layer_time * (1.0 - _COOLING_SLACK):
            break
        slowest = cfg.min_print_speed / min(cfg.print_speed, cfg.wall_speed)
        if slow <= slowest:
            break  # as slow as allowed
        slow = max(slow * took / cfg.min_layer_time, slowest)
        writer.out.seek(mark[0])
        writer.out.truncate()
        writer.seconds, writer.filament, writer.volume, writer.pos = mark[1], mark[2], mark[3], mark[4].copy()
        _print_layer(writer, slices, supports, i, shift, slow=slow)
        took = writer.seconds - mark[1]


def _print_layer(
    writer: _Writer, slices: Slices, supports: Slices | None, i: int, shift: FloatArray, slow: float = 1.0
) -> None:
    """Walls, skins, infill and supports of layer ``i`` (its moves, time and extrusion).

    ``slow`` (<= 1) scales the printing speeds (minimum layer time), never below
    ``min_print_speed`` (nor raising a speed that is already below it).
    """
    cfg, w = writer.cfg, writer.cfg.line_width
    gap = line_spacing(w, slices.layers[i].thickness)
    layers = slices.layers
    layer = layers[i]
    height = layer.thickness
    speed = cfg.first_layer_speed if i == 0 else cfg.print_speed
    wall_speed = cfg.first_layer_speed if i == 0 else cfg.wall_speed
    if slow < 1.0:
        speed, wall_speed = (min(v, max(v * slow, cfg.min_print_speed)) for v in (speed, wall_speed))
    writer.out.write(f";LAYER:{i}\nG0 Z{layer.top - slices.bottom:.3f} F{cfg.travel_speed * 60:.0f}\n")
    if i == 1:
        writer.out.write(f"M106 S{round(2.55 * cfg.fan_percent)}\n")
    # Drop vertices closer than the printer can resolve (Cura's maximum deviation, 0.025 mm).
    region = _as_region(layer.shape.simplify(SIMPLIFY_MM, preserve_topology=True))
    # Island by island, nearest first: its inner walls, then its outer wall.
    for island in _nearest_first(list(region.geoms), writer.pos - shift):
        for k in reversed(range(cfg.perimeters)):
            # Feature comments as Cura writes them (previewers colour by them).
            writer.out.write(";TYPE:WALL-OUTER\n" if k == 0 else ";TYPE:WALL-INNER\n")
            walls = rings(island.buffer(-(w / 2.0 + k * gap), quad_segs=ARC_SEGMENTS))
            writer.extrude_paths([ring + shift for ring in walls], height, wall_speed)
    inner = _as_region(
        region.buffer(-(w + (cfg.perimeters - 1) * gap) + 0.15 * w, quad_segs=ARC_SEGMENTS)
    )  # infill overlaps the walls a little
    if not inner.is_empty:
        above = [other.shape for other in layers[i + 1 : i + 1 + cfg.top_layers]]
        below = [other.shape for other in layers[max(0, i - cfg.bottom_layers) : i]]
        covered = inner
        for other in [*above, *below]:
            covered = covered.intersection(other)
        if len(above) < cfg.top_layers or len(below) < cfg.bottom_layers:
            covered = MultiPolygon()  # the first and last layers are solid
        # Skin thinner than a line cannot be printed as lines (they would run along it and
        # overfill it): open the region by half a line width, as slicers' skin pre-shrink does.
        skin = _as_region(
            inner.difference(covered)
            .buffer(-w / 2.0, quad_segs=ARC_SEGMENTS)
            .buffer(w / 2.0, quad_segs=ARC_SEGMENTS)
        )
        if not skin.is_empty:
            # Skins reach into the infill by the wall thickness, so they are anchored where a
            # slope thins them (Cura's "skin expand distance" default; PrusaSlicer 2.5 uses 3 mm).
            skin = _as_region(skin.buffer(cfg.perimeters * w, quad_segs=ARC_SEGMENTS).intersection(inner))
        sparse = _as_region(inner.difference(skin))
        angle = 45.0 if i % 2 == 0 else 135.0
        comb = shapely.affinity.translate(region, *shift)
        shapely.prepare(comb)
        writer.out.write(";TYPE:SKIN\n")
        writer.extrude_paths(
            fill_lines(skin, gap, angle, start=writer.pos - shift) + shift, height, speed, comb
        )
        if cfg.infill_density > 0:
            writer.out.write(";TYPE:FILL\n")
            lines = fill_lines(sparse, gap / cfg.infill_density, angle, start=writer.pos - shift) + shift
            writer.extrude_paths(lines, height, speed, comb)
    if supports is not None and i < len(supports.layers):
        support_region = _as_region(
            supports.layers[i].shape.difference(region.buffer(w, quad_segs=ARC_SEGMENTS))
        )
        writer.out.write(";TYPE:SUPPORT\n")
        writer.extrude_paths(
            [ring + shift for ring in rings(support_region.buffer(-w / 2.0, quad_segs=ARC_SEGMENTS))],
            height,
            speed,
        )
        support_lines = fill_lines(
            support_region, gap / cfg.support_density, 0.0 if i % 2 == 0 else 90.0, start=writer.pos - shift
        )
        writer.extrude_paths(support_lines + shift, height, speed)
