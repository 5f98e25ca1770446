"""Materials and machines shipped with makeready (``data/catalog/*.json``), as typed records.

Field names follow seed 000 (``mat_name``, ``prc_acronym``, ``properties_am.t_lim_min``,
``bld_size_x`` …). Every value carries its source in the data file; estimates are marked
``[E]``. This is the design-limit part of the catalog; the costing catalog extends the same
files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from makeready.errors import MakereadyError
from makeready.geometry.design_rules import BuildVolume

__all__ = ["Machine", "Material", "machine", "machines", "material", "materials"]

_Record = TypeVar("_Record")


@dataclass(frozen=True, slots=True)
class Material:
    """A material with its design limits (mm; None = no limit).

    Attributes
    ----------
    mat_name : str
    prc_acronym : str
        Process family: slm, sls, mjf, fdm, sla …
    mat_rho : float, g/cm³
    default_machine_name : str or None
    lyr_h : float or None, mm
        Default layer height.
    t_lim_min, t_lim_max, gap_lim_min, size_lim_min, size_lim_max : float or None, mm
        Design limits (seed 000 ``properties_am``).
    sources : dict
        Where each value comes from.

    """

    mat_name: str
    prc_acronym: str
    mat_rho: float
    default_machine_name: str | None
    lyr_h: float | None
    t_lim_min: float | None
    t_lim_max: float | None
    gap_lim_min: float | None
    size_lim_min: float | None
    size_lim_max: float | None
    sources: dict[str, str]


@dataclass(frozen=True, slots=True)
class Machine:
    """A machine's identity and build space (seed 000 field names, mm)."""

    mac_name: str
    oem_name: str
    prc_acronym: str
    bld_size_x: float
    bld_size_y: float
    bld_size_z: float

    @property
    def build_volume(self) -> BuildVolume:
        """The build space as a :class:`BuildVolume`."""
        return BuildVolume("cartesian", self.bld_size_x, self.bld_size_y, self.bld_size_z)


def _read(name: str) -> Any:
    return json.loads(resources.files("makeready").joinpath("data", "catalog", name).read_text("utf-8"))


def _limit(value: Any) -> float | None:
    return None if value is None else float(value)


@cache
def materials() -> tuple[Material, ...]:
    """All shipped materials."""
    out = []
    for row in _read("materials.json")["materials"]:
        am = row["properties_am"]
        out.append(
            Material(
                mat_name=row["mat_name"],
                prc_acronym=row["prc_acronym"],
                mat_rho=float(row["mat_rho"]),
                default_machine_name=row.get("default_machine_name"),
                lyr_h=_limit(am.get("lyr_h")),
                t_lim_min=_limit(am.get("t_lim_min")),
                t_lim_max=_limit(am.get("t_lim_max")),
                gap_lim_min=_limit(am.get("gap_lim_min")),
                size_lim_min=_limit(am.get("size_lim_min")),
                size_lim_max=_limit(am.get("size_lim_max")),
                sources=dict(row.get("sources", {})),
            )
        )
    return tuple(out)


@cache
def machines() -> tuple[Machine, ...]:
    """All shipped machines."""
    return tuple(
        Machine(
            row["mac_name"],
            row["oem_name"],
            row["prc_acronym"],
            float(row["bld_size_x"]),
            float(row["bld_size_y"]),
            float(row["bld_size_z"]),
        )
        for row in _read("machines.json")["machines"]
    )


def material(name: str) -> Material:
    """The material called ``name`` (case and spaces ignored).

    Raises
    ------
    MakereadyError
        ``catalog.not_found`` when no material has that name.

    """
    return _find(name, {m.mat_name: m for m in materials()}, "material")


def machine(name: str) -> Machine:
    """The machine called ``name`` (case and spaces ignored).

    Raises
    ------
    MakereadyError
        ``catalog.not_found`` when no machine has that name.

    """
    return _find(name, {m.mac_name: m for m in machines()}, "machine")


def _key(name: str) -> str:
    return "".join(name.split()).casefold()


def _find(name: str, records: dict[str, _Record], kind: str) -> _Record:
    wanted = _key(name)
    for key, record in records.items():
        if _key(key) == wanted:
            return record
    raise MakereadyError(
        "catalog.not_found", f"no {kind} named {name!r}; known: {', '.join(records)}", kind=kind
    )
