"""Build orientation: candidate directions, a process objective, a local search, a ranked list.

A candidate is a *down* direction ``d`` in part coordinates: the part is turned so that ``d``
points at the plate, by the smallest rotation that takes ``d`` to ``-z``. Turning about the
vertical changes neither supports nor height; the results are finally turned so that the
smallest rectangle around the footprint lies along x (long side) and y.

Candidates: the normals of the convex hull's facets grouped by direction (the poses the part
can rest in), the largest 24 by area, plus 24 directions spread evenly over the sphere
(Fibonacci lattice) and the pose as uploaded. The best two are refined by a pattern search
(steps of 8, 4, 2 and 1 degrees in six directions around each, at most two moves per step).
A planar face down wins ties: a direction within :data:`FLAT_SNAP_DEG` of a face normal gives
way to the face when the face scores within :data:`FLAT_TIE` of it, so a flat-bottomed part is
never left a degree off its face. Everything is deterministic.

Objective (lower is better), evaluated on a copy decimated to at most 20,000 triangles with
rays against that copy (:func:`makeready.geometry.supports.plan_supports` on it):

* ``"support"``: full support volume, mm³;
* ``"height"``: build height, mm;
* ``"contact"``: supported area, mm²;
* ``"footprint"``: area of the bounding rectangle on the plate, mm² (parts per job);
* ``"balanced"`` (default): support volume + ``w × build height × V^(2/3)`` with ``V`` the part volume
  and ``w`` = 0.1 for block-supported processes, 0.3 for resin (layers dominate their time) and
  plain build height for processes without supports;
* a callable ``score(plan)``: any objective computed from the support plan. The quote and tray
  preparation pass the chain's cost per part from the cost engine
  (:func:`makeready.costing.objective.cost_objective`), so the ranking weighs support material
  and removal, layers, machine time and parts per build as the bureau pays for them.

Euler angles: ``rot_cost_euler{x, y, z}`` in degrees are extrinsic rotations about the fixed
machine axes x, then y, then z (``scipy.spatial.transform.Rotation.as_euler("xyz")``), so
``R = Rz @ Ry @ Rx`` and placed vertices are ``v @ R.T``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy.spatial import ConvexHull, QhullError
from scipy.spatial.transform import Rotation

from makeready.geometry.mesh import Part
from makeready.geometry.metrics import min_rectangle_frame
from makeready.geometry.prepared import PreparedPart, prepared
from makeready.geometry.rays import Engine, TurnedCaster, ray_caster
from makeready.geometry.supports import SupportPlan, SupportSettings, _plan, plan_supports, support_settings
from makeready.geometry.tolerance import SCORE_TIE
from makeready.geometry.triangles import stack_bodies
from makeready.geometry.types import FloatArray, IntArray

__all__ = ["OBJECTIVES", "Orientation", "PlanScore", "down_rotation", "orient", "search_copy"]


Objective = Literal["balanced", "support", "height", "contact", "footprint"]
#: A callable objective: the score (lower is better) of the orientation a support plan holds.
PlanScore = Callable[[SupportPlan], float]
OBJECTIVES: tuple[str, ...] = ("balanced", "support", "height", "contact", "footprint")
SEARCH_FACES = 20_000
_SEARCH_SAMPLES = 4_000
_HULL_CANDIDATES = 24
_SPHERE_CANDIDATES = 24
_REFINE = 2
#: A planar face down wins over a direction within this angle (degrees)...
FLAT_SNAP_DEG = 5.0
#: ...when its score is no more than this fraction worse (a tie within the sampling noise).
FLAT_TIE = 0.02
_STEPS_DEG = (8.0, 4.0, 2.0, 1.0)
_ROUNDS = 2  # moves per step size before the step halves


@dataclass(frozen=True, slots=True)
class Orientation:
    """One build orientation and how it scores.

    Attributes
    ----------
    rotation : (3, 3) float64
        Part to machine coordinates (``v @ rotation.T``).
    euler_xyz : (3,) float64, degrees
        Extrinsic x, y, z angles (3D Spark API ``rot_cost_euler``).
    down : (3,) float64
        The part direction that faces the plate.
    score : float
        Objective value (lower is better).
    plan : SupportPlan
        Supports, build height and layers in this orientation.
    full_mesh : bool
        Whether ``plan`` was computed on the full mesh (the winner) or the search copy.

    """

    rotation: FloatArray
    euler_xyz: FloatArray
    down: FloatArray
    score: float
    plan: SupportPlan
    full_mesh: bool


def down_rotation(down: npt.ArrayLike) -> FloatArray:
    """The smallest rotation that turns the unit vector ``down`` to ``-z``; shape (3, 3)."""
    d = np.asarray(down, np.float64)
    d = d / np.linalg.norm(d)
    target = np.array([0.0, 0.0, -1.0])
    axis = np.cross(d, target)
    sin = float(np.linalg.norm(axis))
    cos = float(d @ target)
    if sin < SCORE_TIE:
        if cos > 0:
            return np.eye(3)
        flipped: FloatArray = Rotation.from_rotvec([np.pi, 0.0, 0.0]).as_matrix()  # upside down
        return flipped
    result: FloatArray = Rotation.from_rotvec(axis / sin * np.arctan2(sin, cos)).as_matrix()
    return result


def orient(
    part: Part | PreparedPart,
    process: str | SupportSettings = "fdm",
    *,
    objective: Objective | PlanScore = "balanced",
    keep: int = 5,
    density: float | None = None,
    engine: Engine = "auto",
    also: PlanScore | None = None,
    also_keep: int = 3,
) -> list[Orientation]:
    """Rank build orientations of ``part`` for ``process``; the best first.

    Parameters
    ----------
    part : Part or PreparedPart
        The part, as uploaded. Prepared (when several orientations of one part are searched):
        its search copy and its ray engine, for the winner's plan, are reused.
    process : str or SupportSettings
        Process acronym (slm, ebm, fdm, sla, dlp, sls, mjf, bj) or settings.
    objective : {"balanced", "support", "height", "contact", "footprint"} or callable
        See the module notes; a callable gets each candidate's :class:`SupportPlan` (on the
        search copy; the winner's on the full mesh) and returns its score.
    keep : int
        How many distinct orientations to return (at least 1).
    density : float, g/cm³, optional
        Material density for the support mass.
    engine : {"auto", "embree", "numpy"}
        Ray engine.
    also : callable, optional
        A second objective: the poses it ranks best among the candidates the search evaluated
        are appended after the ``keep`` best (the quote keeps the poses that are cheapest for
        large lots beside those for the quoted lot).
    also_keep : int
        How many such poses at most.

    Returns
    -------
    list of Orientation
        The first is evaluated on the full mesh; the others on the search copy; the poses
        ``also`` added come last, each with its score by ``objective``.

    Raises
    ------
    ValueError
        Unknown process or objective, or ``keep`` below 1.

    """
    settings = support_settings(process)
    if not callable(objective) and objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose from {', '.join(OBJECTIVES)}")
    if keep < 1:
        raise ValueError("keep must be at least 1")
    prep = prepared(part, engine)
    vertices, faces = prep.vertices, prep.faces
    if not len(faces):
        raise ValueError("the part has no triangles to orient")
    search_v, search_f = prep.search
    scale = abs(_volume(vertices, faces)) ** (2.0 / 3.0)
    # Candidates are evaluated on the search copy; the winner is planned on the full mesh with
    # the prepared part's own ray engine (never the copy's: its faces are other faces).
    search_caster = ray_caster(search_v, search_f, engine) if settings.needs_supports else None
    cache: dict[tuple[float, float, float], tuple[float, SupportPlan]] = {}

    def evaluate(direction: FloatArray) -> tuple[float, SupportPlan]:
        x, y, z = (float(c) for c in np.round(direction, 9))
        key = (x, y, z)
        if key not in cache:
            rotation = down_rotation(direction)
            turned = TurnedCaster(search_caster, rotation) if search_caster is not None else None
            plan = _plan(
                search_v @ rotation.T, search_f, rotation, settings, turned, density, _SEARCH_SAMPLES
            )
            cache[key] = (_score(plan, objective, settings, scale, search_v @ rotation.T), plan)
        return cache[key]

    flat = _hull_directions(search_v)  # a planar face down, exactly
    candidates = np.concatenate([[[0.0, 0.0, -1.0]], flat, _fibonacci(_SPHERE_CANDIDATES)])
    scores = np.array([evaluate(d)[0] for d in candidates])
    starts = candidates[np.argsort(scores, kind="stable")[:_REFINE]]
    for start in starts:
        _pattern_search(start, evaluate)
    ranked = sorted(cache.items(), key=lambda item: (item[1][0], item[0]))
    chosen: list[tuple[FloatArray, float, SupportPlan]] = []
    for key, (score, plan) in ranked:
        d = np.array(key)
        d, score, plan = _snap_to_face(d, score, plan, flat, evaluate)
        if all(float(d @ other) < np.cos(np.radians(5.0)) for other, _, _ in chosen):
            chosen.append((d, score, plan))
        if len(chosen) == keep:
            break
    if also is not None:
        # Poses another objective prefers (e.g. the cost at a large lot), from the candidates
        # already evaluated: no new support plan is computed for them.
        extra = sorted(cache.items(), key=lambda item: (float(also(item[1][1])), item[0]))
        added = 0
        for key, (score, plan) in extra:
            d = np.array(key)
            if added < also_keep and all(
                float(d @ other) < np.cos(np.radians(5.0)) for other, _, _ in chosen
            ):
                chosen.append((d, score, plan))
                added += 1
    results = []
    for i, (d, score, plan) in enumerate(chosen):
        rotation = _square_to_axes(down_rotation(d), search_v)
        full = i == 0
        if full:
            plan = plan_supports(prep, rotation, settings, density=density)
            score = _score(plan, objective, settings, scale, vertices @ rotation.T)
        else:
            plan = replace(plan, rotation=rotation, extents=_extents(search_v @ rotation.T))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # gimbal lock: the angles remain valid
            euler = Rotation.from_matrix(rotation).as_euler("xyz", degrees=True)
        results.append(Orientation(rotation, euler, d, float(score), plan, full))
    return results


def _snap_to_face(
    d: FloatArray,
    score: float,
    plan: SupportPlan,
    flat: FloatArray,
    evaluate: Callable[[FloatArray], tuple[float, SupportPlan]],
) -> tuple[FloatArray, float, SupportPlan]:
    """A planar face down instead of ``d`` when one lies near and scores as well (a tie).

    The local search can settle a degree off a flat face for a gain within the noise of the
    sampled objective; a part resting on its face is what a user expects and prints better.
    """
    if not len(flat):
        return d, score, plan
    near = flat[flat @ d >= np.cos(np.radians(FLAT_SNAP_DEG))]
    for face in near[np.argsort(-(near @ d), kind="stable")]:
        face_score, face_plan = evaluate(face)
        if face_score <= score + FLAT_TIE * max(1.0, abs(score)):
            return face, face_score, face_plan
    return d, score, plan


def _square_to_axes(rotation: FloatArray, vertices: FloatArray) -> FloatArray:
    """Turn about the vertical so the footprint's smallest rectangle lies along x (long) and y."""
    frame = min_rectangle_frame(vertices @ rotation.T, np.array([0.0, 0.0, 1.0]))
    if frame is None:
        return rotation
    u, v = frame[1], frame[2]
    placed = vertices @ rotation.T
    if np.ptp(placed @ v) > np.ptp(placed @ u):
        u, v = v, -u
    yaw = np.stack([u, np.cross(np.array([0.0, 0.0, 1.0]), u), [0.0, 0.0, 1.0]])
    result: FloatArray = yaw @ rotation
    return result


def _extents(placed: FloatArray) -> FloatArray:
    result: FloatArray = placed.max(axis=0) - placed.min(axis=0)
    return result


def _score(
    plan: SupportPlan,
    objective: Objective | PlanScore,
    settings: SupportSettings,
    scale: float,
    placed: FloatArray,
) -> float:
    if callable(objective):
        return float(objective(plan))
    if objective == "support":
        return plan.support_volume
    if objective == "height":
        return plan.build_height
    if objective == "contact":
        return plan.support_area
    if objective == "footprint":  # projected hull area: the same for any turn about the vertical
        try:
            return float(ConvexHull(placed[:, :2]).volume)
        except (QhullError, ValueError):
            return 0.0
    if not settings.needs_supports:
        return plan.build_height
    weight = 0.3 if settings.style == "tree" else 0.1
    return plan.support_volume + weight * plan.build_height * scale


def _pattern_search(start: FloatArray, evaluate: Callable[[FloatArray], tuple[float, SupportPlan]]) -> None:
    """Move ``start`` downhill in steps of 8, 4, 2, 1 degrees (results land in the cache)."""
    best = start / np.linalg.norm(start)
    best_score = evaluate(best)[0]
    for step in _STEPS_DEG:
        improved = True
        rounds = 0
        while improved and rounds < _ROUNDS:
            improved = False
            rounds += 1
            u, v = _tangent_basis(best)
            angle = np.radians(step)
            for k in range(6):
                phi = k * np.pi / 3
                trial = np.cos(angle) * best + np.sin(angle) * (np.cos(phi) * u + np.sin(phi) * v)
                trial /= np.linalg.norm(trial)
                score = evaluate(trial)[0]
                if score < best_score - SCORE_TIE * max(1.0, abs(best_score)):
                    best, best_score, improved = trial, score, True


def _tangent_basis(d: FloatArray) -> tuple[FloatArray, FloatArray]:
    helper = np.array([1.0, 0.0, 0.0]) if abs(d[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u = np.cross(d, helper)
    u /= np.linalg.norm(u)
    return u, np.cross(d, u)


def _hull_directions(vertices: FloatArray) -> FloatArray:
    """Outward normals of the hull's facets, grouped within about 1 degree, largest area first."""
    try:
        hull = ConvexHull(vertices)
    except (QhullError, ValueError):
        return np.zeros((0, 3))
    normals = hull.equations[:, :3]
    tri = vertices[hull.simplices]
    area = np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1) / 2.0
    key = np.round(normals * 60.0).astype(np.int64)  # about 1 degree bins
    _, group = np.unique(key, axis=0, return_inverse=True)
    group = group.reshape(-1)
    total = np.bincount(group, weights=area)
    summed = np.stack([np.bincount(group, weights=area * normals[:, i]) for i in range(3)], axis=1).astype(
        np.float64
    )
    summed = summed / np.linalg.norm(summed, axis=1)[:, None]
    order = np.argsort(-total, kind="stable")[:_HULL_CANDIDATES]
    result: FloatArray = summed[order]
    return result


def _fibonacci(n: int) -> FloatArray:
    """``n`` directions spread evenly over the sphere (Fibonacci lattice)."""
    i = np.arange(n) + 0.5
    z = 1.0 - 2.0 * i / n
    r = np.sqrt(1.0 - z * z)
    phi = np.pi * (3.0 - np.sqrt(5.0)) * i
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


def search_copy(part: Part) -> tuple[FloatArray, IntArray]:
    """The copy of ``part`` the orientation search evaluates (at most ``SEARCH_FACES`` triangles)."""
    vertices, faces, _ = stack_bodies(part)
    return _decimated(vertices, faces)


def _decimated(vertices: FloatArray, faces: IntArray) -> tuple[FloatArray, IntArray]:
    """A copy with at most ``SEARCH_FACES`` triangles for the search (the input when smaller)."""
    if len(faces) <= SEARCH_FACES:
        return vertices, faces
    import fast_simplification

    new_v, new_f = fast_simplification.simplify(
        vertices.astype(np.float32), faces.astype(np.int32), target_reduction=1.0 - SEARCH_FACES / len(faces)
    )
    return np.asarray(new_v, np.float64), np.asarray(new_f, np.int64)


def _volume(vertices: FloatArray, faces: IntArray) -> float:
    tri = vertices[faces] - vertices.mean(axis=0)
    return float(np.einsum("ij,ij->", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])) / 6.0)
