"""Printables: one packager per printer technology, from layer contours to the printer's file.

* :mod:`makeready.printables.fdm_gcode` — FDM: Marlin G-code with walls, skins, infill,
  supports, retraction and an acceleration-aware time estimate;
* :mod:`makeready.printables.dlp_png` — DLP/SLA: a tar.gz of anti-aliased PNG layer images with
  a JSON manifest of exposure settings (3D Print API's Ember "PNG-GZIP" printable);
* :mod:`makeready.printables.pbf_cli` — metal powder bed: contour and hatch vectors per layer in
  the Common Layer Interface (CLI, ASCII) with a scan-time estimate.
"""

from makeready.printables.dlp_png import PngStack, png_stack
from makeready.printables.fdm_gcode import FdmSettings, GcodeResult, fdm_gcode
from makeready.printables.pbf_cli import CliSettings, LayerVectors, hatch_layer, write_cli

__all__ = [
    "CliSettings",
    "FdmSettings",
    "GcodeResult",
    "LayerVectors",
    "PngStack",
    "fdm_gcode",
    "hatch_layer",
    "png_stack",
    "write_cli",
]
