"""One resin time model for the quote and the printable: the SL1 family's exposure and tilt.

:func:`part_resin_time` slices the part in its build orientation at the material's layer
height and prices a plate of ``n`` copies with :func:`~makeready.printables.sl1.sl1_seconds`
on ``n`` x each layer's area, as the ``.sl1`` archive states its ``printTime`` (the parts of
one layer are exposed together; a layer lighting more of the display tilts slowly).
Printers without a printable time (PNG stacks) keep the cost model's layer time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from makeready.catalog import Machine, Material
from makeready.costing.model import PrintTime
from makeready.printables.printer_files import sl1_display
from makeready.printables.sl1 import sl1_seconds

if TYPE_CHECKING:
    from makeready.geometry.mesh import Part

__all__ = ["part_resin_time"]


def part_resin_time(
    part: Part,
    rotation: npt.ArrayLike | None,
    machine: Machine,
    material: Material,
    exposure: Mapping[str, Any] | None,
) -> PrintTime | None:
    """The SL1-family print time of plates of this part, or None for other resin printers.

    Raises
    ------
    MakereadyError
        ``request.invalid`` when the part is not a closed manifold (it cannot be sliced).

    """
    display = sl1_display(machine.mac_name)
    if display is None:
        return None
    from makeready.geometry.slicing import estimate_copy, slice_part
    from makeready.geometry.supports import PROCESSES

    part = estimate_copy(part, rotation)
    height = float(material.lyr_h or PROCESSES["sla"].layer_height)
    slices = slice_part(part, height)
    areas = np.array([layer.area for layer in slices.layers])
    fields = dict(exposure or {})

    def job_seconds(parts: int) -> float:
        return sl1_seconds(parts * areas, display, fields)[0]

    source = f"{machine.mac_name} print file's estimate ({len(areas)} layers: exposure and tilt)"
    return PrintTime(job_seconds(1), slices.volume, source, job_seconds)
