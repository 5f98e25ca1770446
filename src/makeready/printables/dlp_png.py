"""DLP / SLA printable: PNG layer images in a tar.gz with a JSON manifest.

Each layer is drawn ``supersample`` times finer than the projector's pixels (polygon interiors
white, holes black) and box-filtered down, so edge pixels carry the covered fraction as grey
(anti-aliasing). The plate origin is the projector's image centre unless given; coordinates are
machine millimetres. The manifest records the printer, pixel size, layer heights and the
exposure settings passed in (from material and profile).
"""

from __future__ import annotations

import io
import json
import math
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from PIL import Image, ImageDraw

from makeready.geometry.slicing import Slices

__all__ = [
    "MAX_PIXELS",
    "PngStack",
    "draw_layer",
    "ember_settings",
    "exposure_fields",
    "png_stack",
    "stack_for_plate",
]

MAX_PIXELS = 4_000_000  # per drawn image; larger plates get coarser pixels


@dataclass(frozen=True, slots=True)
class PngStack:
    """Projector geometry and what goes into the manifest.

    Attributes
    ----------
    width_px, height_px : int
        Projector resolution (Autodesk Ember: 1280 x 800).
    pixel_mm : float
        Pixel pitch on the build plate (Ember: 0.05 mm).
    centre : (float, float), mm
        Machine x, y of the image centre.
    supersample : int
        Drawing resolution factor for anti-aliasing (1 = hard edges).
    exposure : dict
        Exposure settings for the manifest (first-layer and layer cure times, powers …).
    printer : str

    """

    width_px: int = 1280
    height_px: int = 800
    pixel_mm: float = 0.05
    centre: tuple[float, float] = (0.0, 0.0)
    supersample: int = 3
    exposure: dict[str, Any] = field(default_factory=dict)
    printer: str = "Autodesk Ember"
    # "ember": the Ember's print file (slice_1.png … and its printsettings JSON, which the
    # firmware reads its exposure times from); "generic": layer_0001.png … with the manifest.
    naming: Literal["generic", "ember"] = "generic"
    job: str = "part"


def stack_for_plate(x_mm: float, y_mm: float, *, pixel_mm: float = 0.05, **fields: Any) -> PngStack:
    """Projector settings covering an ``x × y`` mm plate at ``pixel_mm`` or coarser.

    Large plates (powder beds) get coarser pixels and no supersampling so one image stays below
    :data:`MAX_PIXELS` drawn pixels.
    """
    pixel = max(pixel_mm, math.sqrt(x_mm * y_mm / MAX_PIXELS))
    width, height = math.ceil(x_mm / pixel), math.ceil(y_mm / pixel)
    supersample = max(1, min(3, int(math.sqrt(MAX_PIXELS / (width * height)))))
    return PngStack(width_px=width, height_px=height, pixel_mm=pixel, supersample=supersample, **fields)


def draw_layer(shape: Any, settings: PngStack) -> Image.Image:
    """One layer as an 8-bit image over the plate: x along the width, y up, anti-aliased.

    Only the window of whole output pixels around the layer's shapes is drawn supersampled and
    averaged down (a part covers a small share of a resin printer's 4-megapixel screen: drawing
    and averaging the whole screen 3 x 3 supersampled cost ~80 ms a layer); the window is pasted
    into the blank screen. Its origin is a whole output pixel, so each output pixel averages the
    same ``s x s`` block as a full-screen drawing would.
    """
    s = settings.supersample
    width, height = settings.width_px, settings.height_px
    cx, cy = settings.centre
    image = Image.new("L", (width, height), 0)
    if shape.is_empty:
        return image
    minx, miny, maxx, maxy = shape.bounds
    x0 = max(0, math.floor((minx - cx) / settings.pixel_mm + width / 2.0) - 1)
    x1 = min(width, math.ceil((maxx - cx) / settings.pixel_mm + width / 2.0) + 1)
    y0 = max(0, math.floor(height / 2.0 - (maxy - cy) / settings.pixel_mm) - 1)
    y1 = min(height, math.ceil(height / 2.0 - (miny - cy) / settings.pixel_mm) + 1)
    if x1 <= x0 or y1 <= y0:  # wholly off the screen
        return image
    canvas = Image.new("L", ((x1 - x0) * s, (y1 - y0) * s), 0)
    draw = ImageDraw.Draw(canvas)
    scale = s / settings.pixel_mm

    def pixels(ring: Any) -> list[tuple[float, float]]:
        xy = np.asarray(ring.coords, np.float64)
        # Image rows grow downwards: machine +y is up in the picture.
        px = (xy[:, 0] - cx) * scale + width * s / 2.0 - x0 * s
        py = height * s / 2.0 - (xy[:, 1] - cy) * scale - y0 * s
        return list(zip(px.tolist(), py.tolist(), strict=True))

    for polygon in sorted(shape.geoms, key=lambda g: -g.area):  # islands after the holes they sit in
        draw.polygon(pixels(polygon.exterior), fill=255)
        for hole in polygon.interiors:
            draw.polygon(pixels(hole), fill=0)
    window = canvas if s == 1 else canvas.resize((x1 - x0, y1 - y0), Image.Resampling.BOX)
    image.paste(window, (x0, y0))
    return image


def png_stack(slices: Slices, settings: PngStack | None = None) -> bytes:
    """The printable: layer images and ``manifest.json`` in a gzip-compressed tar.

    Generic stacks name the images ``layer_0001.png`` …; Ember print files ``slice_1.png`` …
    beside ``printsettings`` (JSON ``{"Settings": {...}}`` with the exposure times).

    Parameters
    ----------
    slices : Slices
        Layers in machine coordinates (mm).
    settings : PngStack, optional
        Projector geometry and exposure; default an Autodesk Ember (1280 x 800 at 50 µm).

    Returns
    -------
    bytes

    """
    cfg = settings or PngStack()
    buffer = io.BytesIO()
    manifest: dict[str, Any] = {
        "format": "png-stack/1",
        "printer": cfg.printer,
        "width_px": cfg.width_px,
        "height_px": cfg.height_px,
        "pixel_mm": cfg.pixel_mm,
        "layer_height_mm": slices.layer_height,
        "first_layer_mm": slices.first_layer,
        "exposure": cfg.exposure,
        "layers": [],
    }
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        if cfg.naming == "ember":
            settings_json = {"Settings": ember_settings(cfg.exposure, slices.layer_height, cfg.job)}
            _add(tar, "printsettings", json.dumps(settings_json).encode())
        for layer in slices.layers:
            name = (
                f"slice_{layer.index + 1}.png"
                if cfg.naming == "ember"
                else f"layer_{layer.index + 1:04d}.png"
            )
            png = io.BytesIO()
            draw_layer(layer.shape, cfg).save(png, format="PNG", optimize=False)
            _add(tar, name, png.getvalue())
            manifest["layers"].append({"file": name, "z_mm": layer.top, "thickness_mm": layer.thickness})
        _add(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
    return buffer.getvalue()


#: The Ember firmware's own defaults (Settings.cpp) where a material gives no value.
_EMBER_DEFAULTS = {
    "BurnInLayers": 5,
    "FirstExposureSec": 5.0,
    "BurnInExposureSec": 2.0,
    "ModelExposureSec": 1.5,
}

#: Print-material fields (3D Print API and makeready's spellings) -> Ember settings.
_EMBER_FIELDS = {
    "FirstExposureSec": ("FirstExposureSec", "firstExposureSec", "cure_time_first"),
    "BurnInLayers": ("BurnInLayers", "burnInLayers", "burn_in_layers"),
    "BurnInExposureSec": ("BurnInExposureSec", "burnInExposureSec", "cure_time_burn_in"),
    "ModelExposureSec": ("ModelExposureSec", "modelExposureSec", "cure_time_model"),
}


def exposure_fields(material: Mapping[str, Any] | None) -> dict[str, Any]:
    """The exposure-related fields of a print material (exposure, cure, burn-in, fading)."""
    words = ("exposure", "cure", "burn", "fade")
    return {k: v for k, v in (material or {}).items() if any(w in k.lower() for w in words)}


def ember_settings(exposure: Mapping[str, Any], layer_mm: float, job: str) -> dict[str, Any]:
    """The Ember's ``printsettings`` from a print material's exposure fields (s, layers, µm)."""
    out: dict[str, Any] = {"JobName": job, "LayerThicknessMicrons": round(layer_mm * 1000.0)}
    for key, names in _EMBER_FIELDS.items():
        value = next((exposure[n] for n in names if exposure.get(n) is not None), _EMBER_DEFAULTS[key])
        out[key] = int(value) if key == "BurnInLayers" else float(value)
    return out


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
