"""Does it fit? The one check every printable path runs before and after it writes a file.

A printable outside the build volume is the worst kind of wrong answer: the file looks fine
and the printer crashes the head into its frame or cuts the part off. Every path (``makeready
slice``, trays, the API) asks :func:`check_fit` with the placed geometry's box in the
machine's frame; the packagers check their own output again (:func:`check_inside`).

Frames: the plate's centre is the origin, z up, the plate at z = 0 (trays and packagers
centre parts on the plate). A cylindrical build space has diameter ``x``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from makeready.errors import MakereadyError
from makeready.geometry.design_rules import BuildVolume, fits_build_volume
from makeready.geometry.types import FloatArray

__all__ = [
    "FIT_TOLERANCE_MM",
    "Misfit",
    "check_fit",
    "check_inside",
    "describe",
    "misfit",
    "turn_to_fit",
    "yaw_to_fit",
]


#: Slack for rounding in the placed coordinates (mm): far below any printer's resolution.
FIT_TOLERANCE_MM = 1e-6


@dataclass(frozen=True, slots=True)
class Misfit:
    """A part that does not fit: its name and placed size (mm), and where it sticks out."""

    name: str
    size: tuple[float, float, float]
    reason: str


def describe(volume: BuildVolume) -> str:
    """The build space in words, mm: ``250 x 210 x 220 mm`` or ``Ø 300 x 400 mm``."""
    if volume.shape == "cylindrical":
        return f"Ø {volume.x:g} x {volume.z:g} mm"
    return f"{volume.x:g} x {volume.y:g} x {volume.z:g} mm"


def _size(bounds: npt.ArrayLike) -> tuple[float, float, float]:
    box = np.asarray(bounds, np.float64).reshape(2, 3)
    x, y, z = box[1] - box[0]
    return float(x), float(y), float(z)


def misfit(
    name: str,
    bounds: npt.ArrayLike,
    volume: BuildVolume,
    *,
    centred: bool = True,
    xy: npt.ArrayLike | None = None,
) -> Misfit | None:
    """Why a placed part does not fit the build space, or None when it does.

    Parameters
    ----------
    name : str
        The part's name, for the message.
    bounds : (2, 3) float, mm
        The placed part's axis-aligned box (supports included).
    volume : BuildVolume
        The machine's build space.
    centred : bool
        True when the packager will centre the part on the plate (only the size counts);
        False when ``bounds`` are final positions in the plate-centred frame.
    xy : (n, 2) float, mm, optional
        The part's points (same frame as ``bounds``), for a round plate; without them the
        box's corners stand in, which is conservative.

    """
    box = np.asarray(bounds, np.float64).reshape(2, 3)
    size = _size(box)
    if centred:
        box = box - np.array([(box[0, 0] + box[1, 0]) / 2.0, (box[0, 1] + box[1, 1]) / 2.0, box[0, 2]])
    tol = FIT_TOLERANCE_MM
    if box[1, 2] > volume.z + tol:
        return Misfit(name, size, f"{size[2]:.1f} mm tall, {volume.z:g} mm of height")
    if box[0, 2] < -tol:
        return Misfit(name, size, f"reaches {-box[0, 2]:.1f} mm below the plate")
    if volume.shape == "cylindrical":
        if xy is None:
            points = np.array([[x, y] for x in box[:, 0] for y in box[:, 1]])
        else:
            points = np.asarray(xy, np.float64).reshape(-1, 2)
            if centred:
                points = points - (points.min(axis=0) + points.max(axis=0)) / 2.0
        reach = float(np.linalg.norm(points, axis=1).max()) if len(points) else 0.0
        if reach > volume.x / 2.0 + tol:
            return Misfit(name, size, f"reaches {reach:.1f} mm from the centre of a Ø {volume.x:g} mm plate")
        return None
    half = np.array([volume.x, volume.y]) / 2.0
    out = np.maximum(box[1, :2] - half, -half - box[0, :2])
    if (out > tol).any():
        if centred:
            plate = f"{volume.x:g} x {volume.y:g} mm plate"
            return Misfit(name, size, f"{size[0]:.1f} x {size[1]:.1f} mm footprint on a {plate}")
        axis = "xy"[int(np.argmax(out))]
        return Misfit(name, size, f"sticks out {float(out.max()):.1f} mm in {axis}")
    return None


def check_fit(
    items: Sequence[tuple[str, npt.ArrayLike] | tuple[str, npt.ArrayLike, npt.ArrayLike]],
    volume: BuildVolume,
    printer: str,
    *,
    code: str = "printable.does_not_fit",
    centred: bool = True,
    hint: str = "",
) -> None:
    """Raise ``code`` naming every part that does not fit, its size and the build space.

    Parameters
    ----------
    items : sequence of (name, (2, 3) bounds in mm[, (n, 2) points in mm])
        The placed parts (supports included); the points matter on round plates.
    volume : BuildVolume
        The machine's build space.
    printer : str
        The printer's name, for the message.
    code : str
        The error code (``printable.does_not_fit``; trays say ``tray.does_not_fit``).
    centred : bool
        See :func:`misfit`.
    hint : str
        What the user can do, appended to the message (e.g. "use --orient").

    Raises
    ------
    MakereadyError
        When any part does not fit; ``details`` has each part's name, size and reason.

    """
    found = [
        m
        for name, bounds, *xy in items
        if (m := misfit(name, bounds, volume, centred=centred, xy=xy[0] if xy else None)) is not None
    ]
    if not found:
        return
    parts = "; ".join(
        f"{m.name} ({m.size[0]:.1f} x {m.size[1]:.1f} x {m.size[2]:.1f} mm: {m.reason})" for m in found
    )
    message = f"does not fit the {printer} build volume of {describe(volume)}: {parts}"
    raise MakereadyError(
        code,
        message + (f" — {hint}" if hint else ""),
        meshes=", ".join(m.name for m in found),
        build_volume_mm=[volume.x, volume.y, volume.z],
        sizes_mm={m.name: list(m.size) for m in found},
    )


def check_inside(
    xy: npt.ArrayLike, z_top: float, volume: BuildVolume, printer: str, *, origin_corner: bool
) -> None:
    """Last line of defence in a packager: every written coordinate lies on the plate.

    Parameters
    ----------
    xy : (n, 2) float, mm
        Every x, y the file will contain (path points, hatch ends, contour points).
    z_top : float, mm
        The highest z written.
    volume : BuildVolume
        The machine's build space.
    printer : str
        For the message.
    origin_corner : bool
        True for a frame with the origin at the plate's front-left corner (G-code), False for
        one centred on the plate (CLI, images).

    Raises
    ------
    MakereadyError
        ``printable.does_not_fit`` when any coordinate lies outside.

    """
    points = np.asarray(xy, np.float64).reshape(-1, 2)
    if not len(points):
        return
    lo, hi = points.min(axis=0), points.max(axis=0)
    offset = np.array([volume.x, volume.y]) / 2.0 if origin_corner else np.zeros(2)
    bounds = np.array([[lo[0], lo[1], 0.0], [hi[0], hi[1], z_top]]) - np.append(offset, 0.0)
    check_fit([("the printable", bounds)], volume, printer, centred=False)


#: Turns about the vertical tried by :func:`yaw_to_fit`, degrees (1° steps over a half turn).
_YAWS_DEG = np.arange(0.0, 180.0, 1.0)


def yaw_to_fit(placed: npt.ArrayLike, volume: BuildVolume) -> FloatArray | None:
    """The smallest turn about the vertical that fits a placed part's footprint on the plate.

    A part that lies well but is too long for the plate often fits along the diagonal; turning
    it about z keeps its build orientation (supports, height). Height is not changed.

    Parameters
    ----------
    placed : (n, 3) float, mm
        The part's points (its hull is enough) in its build orientation.
    volume : BuildVolume
        The machine's build space.

    Returns
    -------
    (3, 3) float or None
        The rotation about z (smallest angle first, either sense), or None when none fits.

    """
    points = np.asarray(placed, np.float64).reshape(-1, 3)
    if not len(points) or np.ptp(points[:, 2]) > volume.z + FIT_TOLERANCE_MM:
        return None
    xy = points[:, :2] - (points[:, :2].min(axis=0) + points[:, :2].max(axis=0)) / 2.0
    order = np.argsort(np.minimum(_YAWS_DEG, 180.0 - _YAWS_DEG), kind="stable")
    angles = np.radians(_YAWS_DEG[order])
    c, s = np.cos(angles)[:, None], np.sin(angles)[:, None]
    x = xy[:, 0] * c - xy[:, 1] * s  # (angles, points)
    y = xy[:, 0] * s + xy[:, 1] * c
    if volume.shape == "cylindrical":
        return np.eye(3) if np.hypot(xy[:, 0], xy[:, 1]).max() <= volume.x / 2.0 + FIT_TOLERANCE_MM else None
    fits = (np.ptp(x, axis=1) <= volume.x + FIT_TOLERANCE_MM) & (
        np.ptp(y, axis=1) <= volume.y + FIT_TOLERANCE_MM
    )
    if not fits.any():
        return None
    angle = float(angles[int(np.argmax(fits))])
    turn = np.eye(3)
    turn[:2, :2] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    return turn


def turn_to_fit(
    hull: npt.ArrayLike, candidates: Sequence[FloatArray | None], volume: BuildVolume, name: str
) -> tuple[FloatArray | None, bool] | None:
    """The first candidate orientation that fits, else one turned to fit; None when none fits.

    Parameters
    ----------
    hull : (k, 3) float, mm
        Convex hull points of the part (its box and footprint in any orientation).
    candidates : sequence of (3, 3) float or None
        Orientations in order of preference (None: as uploaded).
    volume : BuildVolume
        The machine's build space.
    name : str
        The part's name (for :func:`misfit`).

    Returns
    -------
    (rotation, turned) or None
        ``turned`` is False when a candidate fits as it is; True when it had to be turned:
        a candidate turned about z first (it keeps its build orientation), else any rotation
        that fits (:func:`~makeready.geometry.design_rules.fits_build_volume`).

    """
    points = np.asarray(hull, np.float64).reshape(-1, 3)
    for rotation in candidates:
        placed = points if rotation is None else points @ np.asarray(rotation).T
        box = np.stack([placed.min(axis=0), placed.max(axis=0)])
        if misfit(name, box, volume, xy=placed[:, :2]) is None:
            return rotation, False
    for rotation in candidates:
        start = np.eye(3) if rotation is None else np.asarray(rotation, np.float64)
        yaw = yaw_to_fit(points @ start.T, volume)
        if yaw is not None:
            return yaw @ start, True
    turn = fits_build_volume(points, volume)
    return None if turn is None else (turn, True)
