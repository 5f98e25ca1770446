"""One powder-bed time model for the quote and the CLI file: scan settings from the catalog.

:func:`cli_settings` turns a catalog machine and material into the scan strategy the CLI file
is written with: the material's layer thickness (``lyr_h``) and hatch distance
(``hatch_spacing``, default :data:`HATCH_SPACING_MM`), a hatch speed that gives the material's
published build rate (``bld_spd_fill`` = hatch distance x layer x speed, so the catalog's
verified rate stays the one source), the contour speed and the machine's recoat time per layer
(``mac_prc_t_plyr``). :func:`part_scan_time` is the CLI writer's estimate for one part from its
sections: hatch length = layer area / hatch distance (the hatch of a region is its area over
the spacing, within 3 % on the test parts), contour length = the layers' perimeters; at most
:data:`SCAN_SAMPLES` sections, on a copy simplified within 0.01 mm above 200 k triangles.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy.typing as npt

from makeready.catalog import Machine, Material
from makeready.costing.model import PrintTime
from makeready.printables.pbf_cli import CliSettings

if TYPE_CHECKING:
    from makeready.geometry.mesh import Part

__all__ = ["HATCH_SPACING_MM", "cli_settings", "part_scan_time"]

#: Hatch distance when the material gives none, mm: EOS's and SLM's standard parameter sets for
#: 316L, Ti64 and AlSi10Mg at 20-40 µm use 0.09-0.12 mm.
HATCH_SPACING_MM = 0.1
#: Contour scan speed when the material gives none, mm/s (PySLM's example, docs/cost-models.md 3.1).
CONTOUR_SPEED_MM_S = 250.0
#: Layers measured at most for the estimate (a 42 mm part in 25 µm layers has 1,680): the rest
#: are represented by the middle layer of their run (within 1 % on the tests' parts).
SCAN_SAMPLES = 200
#: Default build rate, mm³/h (as the cost model's).
DEFAULT_BUILD_RATE = 5000.0


def cli_settings(machine: Machine, material: Material, *, label: str = "part") -> CliSettings:
    """The scan strategy for ``material`` on ``machine`` (mm, mm/s, s)."""
    am = material.properties_am
    layer = float(material.lyr_h or am.get("lyr_h") or 0.03)
    hatch = float(am.get("hatch_spacing") or HATCH_SPACING_MM)
    rate = float(am.get("bld_spd_fill") or DEFAULT_BUILD_RATE) / 3600.0  # mm³/s
    return CliSettings(
        hatch_spacing=hatch,
        hatch_speed=rate / (hatch * layer),
        contour_speed=float(am.get("contour_speed") or CONTOUR_SPEED_MM_S),
        recoat_s=float(machine.mac_prc_t_plyr),
        label=label,
    )


def layer_thickness(material: Material) -> float:
    """The layer thickness the material is built in, mm."""
    return float(material.lyr_h or material.properties_am.get("lyr_h") or 0.03)


def part_scan_time(
    part: Part, rotation: npt.ArrayLike | None, machine: Machine, material: Material
) -> PrintTime:
    """Laser time of one part built in ``rotation``: hatches plus contours, without recoating.

    Raises
    ------
    MakereadyError
        ``request.invalid`` when the part is not a closed manifold (it cannot be sliced).

    """
    from makeready.geometry.slicing import estimate_copy, section_measures

    cfg = cli_settings(machine, material)
    thickness = layer_thickness(material)
    layers, area, perimeter = section_measures(estimate_copy(part, rotation), thickness, SCAN_SAMPLES)
    seconds = area / cfg.hatch_spacing / cfg.hatch_speed + perimeter / cfg.contour_speed
    source = f"CLI scan estimate ({layers} layers, hatch {cfg.hatch_spacing:g} mm)"
    return PrintTime(seconds, area * thickness, source)
