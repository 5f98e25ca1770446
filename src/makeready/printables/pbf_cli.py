"""Metal powder bed printable: contour and hatch vectors in the Common Layer Interface (CLI).

Per layer: the contours of every polygon (outer counter-clockwise, holes clockwise), offset
inwards by half a hatch spacing, then parallel hatch lines ``hatch_spacing`` apart inside them;
the hatch is cut into stripes ``stripe_width`` wide (10 mm by default; 0 for none) that are
filled one after the other, and its angle turns by ``angle_step`` degrees every layer (67° by
default, the common choice that repeats only after 360 layers). Written as ASCII CLI
(``$$HEADERSTART`` … ``$$LAYER/z``, ``$$POLYLINE/id,dir,n,…``, ``$$HATCHES/id,n,…``). The
scan-time estimate is
``Σ hatch length / v_hatch + Σ contour length / v_contour + layers × recoat`` (the PySLM
layer-slice approach, cost-models.md 3.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
from shapely.geometry import MultiPolygon

from makeready.geometry.slicing import Slices, signed_area
from makeready.printables.paths import fill_lines, rings

__all__ = ["CliSettings", "LayerVectors", "hatch_layer", "write_cli"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class CliSettings:
    """Scan strategy (mm, mm/s, s). Defaults: PySLM's example (cost-models.md 3.1)."""

    hatch_spacing: float = 0.16
    hatch_speed: float = 1000.0
    contour_speed: float = 250.0
    recoat_s: float = 30.0
    angle_step: float = 67.0
    stripe_width: float = 10.0  # mm; 0 hatches each region in one piece
    label: str = "part"


@dataclass(frozen=True, slots=True)
class LayerVectors:
    """One layer's scan vectors: closed contours and hatch segments (mm)."""

    contours: tuple[FloatArray, ...]  # each (k, 2), closed (last point repeats the first)
    hatches: FloatArray  # (m, 2, 2): start and end of each hatch line

    @property
    def hatch_length(self) -> float:
        """Total hatch length, mm."""
        return float(np.linalg.norm(self.hatches[:, 1] - self.hatches[:, 0], axis=1).sum())

    @property
    def contour_length(self) -> float:
        """Total contour length, mm."""
        return float(sum(np.linalg.norm(np.diff(c, axis=0), axis=1).sum() for c in self.contours))


def hatch_layer(shape: MultiPolygon, spacing: float, angle_deg: float, stripe: float = 0.0) -> LayerVectors:
    """Contours and hatch lines of one layer.

    Parameters
    ----------
    shape : MultiPolygon
        The layer's solid region, mm.
    spacing : float
        Hatch distance, mm.
    angle_deg : float
        Hatch direction, degrees from +x.
    stripe : float
        Stripe width along the hatch direction, mm (0: no stripes).

    """
    inner = shape.buffer(-spacing / 2.0)
    return LayerVectors(tuple(rings(shape)), fill_lines(inner, spacing, angle_deg, stripe))


def write_cli(slices: Slices, settings: CliSettings | None = None) -> tuple[str, float]:
    """The CLI file text and the estimated scan time in seconds.

    Parameters
    ----------
    slices : Slices
        Layers in machine coordinates, mm.
    settings : CliSettings, optional
        Hatch spacing, speeds, recoat time and angle step; default PySLM's example values.

    """
    cfg = settings or CliSettings()
    body: list[str] = []
    seconds = 0.0
    lo = np.array([np.inf, np.inf])
    hi = -lo
    for layer in slices.layers:
        angle = (layer.index * cfg.angle_step) % 360.0
        vectors = hatch_layer(layer.shape, cfg.hatch_spacing, angle, cfg.stripe_width)
        body.append(f"$$LAYER/{layer.top:.5f}")
        for contour in vectors.contours:
            direction = 1 if signed_area(contour) > 0 else 0  # 1 counter-clockwise, 0 clockwise
            body.append(
                f"$$POLYLINE/1,{direction},{len(contour)},"
                + ",".join(f"{v:.5f}" for v in contour.reshape(-1))
            )
            lo, hi = np.minimum(lo, contour.min(axis=0)), np.maximum(hi, contour.max(axis=0))
        if len(vectors.hatches):
            flat = vectors.hatches.reshape(-1)
            body.append(f"$$HATCHES/1,{len(vectors.hatches)}," + ",".join(f"{v:.5f}" for v in flat))
        seconds += vectors.hatch_length / cfg.hatch_speed + vectors.contour_length / cfg.contour_speed
    seconds += len(slices.layers) * cfg.recoat_s
    top = slices.bottom + slices.height
    if not np.isfinite(lo).all():
        lo, hi = np.zeros(2), np.zeros(2)
    header = [
        "$$HEADERSTART",
        "$$ASCII",
        "$$UNITS/1.000000",
        "$$VERSION/200",
        f"$$LABEL/1,{cfg.label}",
        f"$$DATE/{date.today().strftime('%d%m%y')}",
        f"$$DIMENSION/{lo[0]:.5f},{lo[1]:.5f},{slices.bottom:.5f},{hi[0]:.5f},{hi[1]:.5f},{top:.5f}",
        f"$$LAYERS/{len(slices.layers)}",
        "$$HEADEREND",
        "$$GEOMETRYSTART",
    ]
    return "\n".join([*header, *body, "$$GEOMETRYEND"]) + "\n", seconds
