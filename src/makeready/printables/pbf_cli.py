"""Metal powder bed printable: contour and hatch vectors in the Common Layer Interface (CLI).

Per layer: the contours of every polygon (outer counter-clockwise, holes clockwise), offset
inwards by half a hatch spacing, then parallel hatch lines ``hatch_spacing`` apart inside them;
the hatch is cut into stripes ``stripe_width`` wide (10 mm by default; 0 for none) that are
filled one after the other, and its angle turns by ``angle_step`` degrees every layer (67° by
default, the common choice that repeats only after 360 layers).

Written as binary CLI by default (CLI 2.0: an ASCII header ``$$HEADERSTART`` … ``$$BINARY`` …
``$$HEADEREND``, then little-endian commands: 127 start layer (float z), 130 polyline (int id,
int direction, int n, n float pairs), 132 hatches (int id, int n, n float quadruples); units
1 mm), or as ASCII CLI (``$$LAYER/z``, ``$$POLYLINE/id,dir,n,…``, ``$$HATCHES/id,n,…``) with
``binary=False``: the binary file is less than half the ASCII one and written with
array copies. The scan-time estimate is
``Σ hatch length / v_hatch + Σ contour length / v_contour + layers × recoat`` (the PySLM
layer-slice approach, docs/cost-models.md 3.1).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from datetime import date

import numpy as np
from shapely.geometry import MultiPolygon

from makeready.geometry.design_rules import BuildVolume
from makeready.geometry.slicing import Slices, signed_area
from makeready.geometry.types import FloatArray
from makeready.printables.fit import check_inside
from makeready.printables.paths import fill_lines, rings

__all__ = ["CliSettings", "LayerVectors", "hatch_layer", "write_cli"]


@dataclass(frozen=True, slots=True)
class CliSettings:
    """Scan strategy (mm, mm/s, s). Defaults: PySLM's example (docs/cost-models.md 3.1)."""

    hatch_spacing: float = 0.16
    hatch_speed: float = 1000.0
    contour_speed: float = 250.0
    recoat_s: float = 30.0
    angle_step: float = 67.0
    stripe_width: float = 10.0  # mm; 0 hatches each region in one piece
    label: str = "part"
    binary: bool = True  # binary CLI (16 bytes a hatch) rather than ASCII (~70 bytes a hatch)


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


#: Binary CLI command numbers (CLI 2.0, "long" forms: 4-byte integers and IEEE floats).
_START_LAYER_LONG, _POLYLINE_LONG, _HATCHES_LONG = 127, 130, 132


def write_cli(
    slices: Slices,
    settings: CliSettings | None = None,
    *,
    build_volume: BuildVolume | None = None,
    printer: str = "the printer",
) -> tuple[bytes, float]:
    """The CLI file and the estimated scan time in seconds.

    Parameters
    ----------
    slices : Slices
        Layers in the plate-centred machine frame, mm.
    settings : CliSettings, optional
        Hatch spacing, speeds, recoat time, angle step and encoding; default PySLM's values.
    build_volume : BuildVolume, optional
        When given, every coordinate is checked to lie on the plate.
    printer : str
        The printer's name, for the error message.

    Returns
    -------
    bytes, float
        The file (binary CLI unless ``settings.binary`` is False) and the scan time, s.

    Raises
    ------
    MakereadyError
        ``printable.does_not_fit`` when a vector leaves the build volume.

    """
    cfg = settings or CliSettings()
    binary = io.BytesIO()
    text: list[str] = []
    seconds = 0.0
    lo = np.array([np.inf, np.inf])
    hi = -lo
    for layer in slices.layers:
        angle = (layer.index * cfg.angle_step) % 360.0
        vectors = hatch_layer(layer.shape, cfg.hatch_spacing, angle, cfg.stripe_width)
        if cfg.binary:
            binary.write(struct.pack("<Hf", _START_LAYER_LONG, layer.top))
        else:
            text.append(f"$$LAYER/{layer.top:.5f}")
        for contour in vectors.contours:
            direction = 1 if signed_area(contour) > 0 else 0  # 1 counter-clockwise, 0 clockwise
            if cfg.binary:
                binary.write(struct.pack("<Hiii", _POLYLINE_LONG, 1, direction, len(contour)))
                binary.write(np.ascontiguousarray(contour, "<f4").tobytes())
            else:
                coords = ",".join(f"{v:.5f}" for v in contour.reshape(-1))
                text.append(f"$$POLYLINE/1,{direction},{len(contour)},{coords}")
            lo, hi = np.minimum(lo, contour.min(axis=0)), np.maximum(hi, contour.max(axis=0))
        if len(vectors.hatches):
            if cfg.binary:
                binary.write(struct.pack("<Hii", _HATCHES_LONG, 1, len(vectors.hatches)))
                binary.write(np.ascontiguousarray(vectors.hatches, "<f4").tobytes())
            else:
                flat = ",".join(f"{v:.5f}" for v in vectors.hatches.reshape(-1))
                text.append(f"$$HATCHES/1,{len(vectors.hatches)},{flat}")
            ends = vectors.hatches.reshape(-1, 2)
            lo, hi = np.minimum(lo, ends.min(axis=0)), np.maximum(hi, ends.max(axis=0))
        seconds += vectors.hatch_length / cfg.hatch_speed + vectors.contour_length / cfg.contour_speed
    seconds += len(slices.layers) * cfg.recoat_s
    top = slices.bottom + slices.height
    if not np.isfinite(lo).all():
        lo, hi = np.zeros(2), np.zeros(2)
    if build_volume is not None:
        check_inside(np.stack([lo, hi]), top, build_volume, printer, origin_corner=False)
    header = [
        "$$HEADERSTART",
        "$$BINARY" if cfg.binary else "$$ASCII",
        "$$UNITS/00000001.000000",
        "$$VERSION/200",
        f"$$LABEL/1,{cfg.label}",
        f"$$DATE/{date.today().strftime('%d%m%y')}",
        f"$$DIMENSION/{lo[0]:.5f},{lo[1]:.5f},{slices.bottom:.5f},{hi[0]:.5f},{hi[1]:.5f},{top:.5f}",
        f"$$LAYERS/{len(slices.layers)}",
        "$$HEADEREND",
    ]
    if cfg.binary:
        return ("\n".join(header)).encode("ascii") + binary.getvalue(), seconds
    return ("\n".join([*header, "$$GEOMETRYSTART", *text, "$$GEOMETRYEND"]) + "\n").encode("ascii"), seconds
