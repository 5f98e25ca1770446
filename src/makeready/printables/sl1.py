"""Prusa SL1 / SL1S printable: the ``.sl1`` archive PrusaSlicer writes with ``--export-sla``.

A zip of ``config.ini`` (what the printer's firmware reads: exposure times, layer height,
faded layers, fast and slow tilt layer counts, printer model, estimated time and resin),
``prusaslicer.ini`` (the display geometry and the settings it was sliced with) and one 8-bit
PNG per layer named ``<job>00000.png`` … . The display is mounted in portrait: an image is
``pixels_y`` wide and ``pixels_x`` tall, machine x runs up the image and machine y to the
right (measured on PrusaSlicer 2.5's own export of an L-shaped plate, ``display_mirror_x = 1``),
and the plate's centre is the image's centre.

Print-time estimate, as the printer counts it: every layer its exposure (``expTimeFirst`` for
the first, then fading linearly to ``expTime`` over ``numFade`` layers) plus a tilt, slow for
layers whose lit area exceeds ``area_fill_pct`` of the display, fast otherwise.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

from makeready.geometry.slicing import Slices
from makeready.printables.dlp_png import PngStack, draw_layer

__all__ = ["Sl1Display", "Sl1Result", "sl1_archive", "sl1_seconds"]


@dataclass(frozen=True, slots=True)
class Sl1Display:
    """An SL1-family printer: display geometry (mm, px), model name and tilt times (s)."""

    width_mm: float = 128.0
    height_mm: float = 81.0
    pixels_x: int = 2560
    pixels_y: int = 1620
    printer_model: str = "SL1S"
    fast_tilt_s: float = 2.5
    slow_tilt_s: float = 5.0
    area_fill_pct: float = 45.0

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Sl1Display:
        """From a ``printer_files.json`` entry."""
        display = record["display"]
        return cls(
            float(display["width_mm"]),
            float(display["height_mm"]),
            int(display["pixels_x"]),
            int(display["pixels_y"]),
            str(record.get("printer_model", "SL1S")),
            float(record.get("fast_tilt_s", 2.5)),
            float(record.get("slow_tilt_s", 5.0)),
            float(record.get("area_fill_pct", 45.0)),
        )


@dataclass(frozen=True, slots=True)
class Sl1Result:
    """The archive and what it will take: seconds, resin (ml), layers."""

    content: bytes
    seconds: float
    resin_ml: float
    layers: int


def sl1_seconds(
    areas: npt.ArrayLike, display: Sl1Display | None = None, exposure: Mapping[str, Any] | None = None
) -> tuple[float, int]:
    """Print time of layers with these exposed areas (mm²) on an SL1-family printer, s.

    Each layer's exposure (the first ``cure_time_first``, fading linearly to
    ``cure_time_model`` over ``faded_layers`` layers) plus a fast tilt, or a slow one when
    more than ``area_fill_pct`` of the display is lit. Returns the seconds and the count of
    slow tilts. The quote prices a resin job of ``n`` parts with the same function on ``n`` x
    the part's layer areas (one exposure lights every part of a layer).
    """
    cfg = display or Sl1Display()
    fields = exposure or {}
    exp_time = float(fields.get("cure_time_model") or 2.0)
    exp_first = float(fields.get("cure_time_first") or 25.0)
    fade = int(fields.get("faded_layers") or 10)
    lit = np.asarray(areas, np.float64)
    k = np.arange(len(lit))
    fraction = np.minimum(1.0, k / fade) if fade > 0 else np.ones(len(lit))
    exposures = np.where(k > 0, exp_first + (exp_time - exp_first) * fraction, exp_first)
    slow = lit > cfg.area_fill_pct / 100.0 * cfg.width_mm * cfg.height_mm
    tilts = np.where(slow, cfg.slow_tilt_s, cfg.fast_tilt_s)
    return float(exposures.sum() + tilts.sum()), int(slow.sum())


def sl1_archive(
    slices: Slices,
    display: Sl1Display | None = None,
    *,
    exposure: Mapping[str, Any] | None = None,
    job: str = "part",
    material: str = "",
    density: float = 1.12,
) -> Sl1Result:
    """The ``.sl1`` archive of a sliced part in the plate-centred frame.

    Parameters
    ----------
    slices : Slices
        Layers, mm; the plate's centre at x = y = 0.
    display : Sl1Display, optional
        The printer (default an SL1S SPEED).
    exposure : mapping, optional
        The print material's fields: ``cure_time_model`` (s, default 2), ``cure_time_first``
        (s, default 25), ``faded_layers`` (default 10).
    job : str
        The job name (the layer files' prefix and ``jobDir``).
    material : str
        Material name for ``materialName``.
    density : float, g/cm³
        Resin density, for the mass in ``prusaslicer.ini``.

    """
    cfg = display or Sl1Display()
    fields = exposure or {}
    exp_time = float(fields.get("cure_time_model") or 2.0)
    exp_first = float(fields.get("cure_time_first") or 25.0)
    fade = int(fields.get("faded_layers") or 10)
    pixel = cfg.width_mm / cfg.pixels_x
    stack = PngStack(width_px=cfg.pixels_x, height_px=cfg.pixels_y, pixel_mm=pixel, centre=(0.0, 0.0))
    prefix = "".join(c for c in job if c.isalnum() or c in "-_") or "part"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for k, layer in enumerate(slices.layers):
            # Drawn with x along the image width, y up; the SL1 display is portrait and mirrored.
            landscape = np.asarray(draw_layer(layer.shape, stack))
            portrait = np.ascontiguousarray(landscape[::-1, ::-1].T)
            png = io.BytesIO()
            Image.fromarray(portrait, "L").save(png, format="PNG")
            archive.writestr(f"{prefix}{k:05d}.png", png.getvalue())
        areas = np.array([layer.area for layer in slices.layers])
        seconds, slow = sl1_seconds(areas, cfg, exposure)
        resin_ml = slices.volume / 1000.0
        layers = len(slices.layers)
        config = {
            "action": "print",
            "expTime": f"{exp_time:g}",
            "expTimeFirst": f"{exp_first:g}",
            "expUserProfile": "0",
            "fileCreationTimestamp": datetime.now(UTC).strftime("%Y-%m-%d at %H:%M:%S UTC"),
            "hollow": "0",
            "jobDir": prefix,
            "layerHeight": f"{slices.layer_height:g}",
            "materialName": material,
            "numFade": str(fade),
            "numFast": str(layers - slow),
            "numSlow": str(slow),
            "printProfile": f"{slices.layer_height:g} makeready",
            "printTime": f"{seconds:.6f}",
            "printerModel": cfg.printer_model,
            "printerProfile": f"Original Prusa {cfg.printer_model}",
            "printerVariant": "default",
            "prusaSlicerVersion": "makeready",
            "usedMaterial": f"{resin_ml:.6f}",
        }
        slicer = {
            "display_height": f"{cfg.height_mm:g}",
            "display_mirror_x": "1",
            "display_mirror_y": "0",
            "display_orientation": "portrait",
            "display_pixels_x": str(cfg.pixels_x),
            "display_pixels_y": str(cfg.pixels_y),
            "display_width": f"{cfg.width_mm:g}",
            "exposure_time": f"{exp_time:g}",
            "faded_layers": str(fade),
            "initial_exposure_time": f"{exp_first:g}",
            "initial_layer_height": f"{slices.first_layer:g}",
            "layer_height": f"{slices.layer_height:g}",
            "material_density": f"{density:g}",
            "printer_model": cfg.printer_model,
            "printer_technology": "SLA",
        }
        archive.writestr("config.ini", "".join(f"{k} = {v}\n" for k, v in config.items()))
        archive.writestr("prusaslicer.ini", "".join(f"{k} = {v}\n" for k, v in slicer.items()))
    return Sl1Result(buffer.getvalue(), seconds, resin_ml, layers)
