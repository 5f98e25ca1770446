"""Processes, machines, materials and costing configuration shipped with makeready, as typed records.

The data live in ``data/catalog/*.json`` with 3D Spark API field names (``mat_name``,
``prc_acronym``, ``properties_am.t_lim_min``, ``bld_size_x``, ``mac_prc_t_plyr`` …); every
value carries its source there, estimates marked ``[E]``. :class:`Catalog` holds one set of
records; :meth:`Catalog.for_owner` applies overrides in 3D Spark's ``restriction`` order —
global, then the owner's organisation, then the owner — so a bureau can set its own machine
rates without touching anyone else's.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal, TypeVar

from makeready.errors import MakereadyError, unknown_name
from makeready.geometry.build_volume import BuildVolume

__all__ = [
    "Catalog",
    "CostingConfig",
    "Machine",
    "Material",
    "Override",
    "PostStep",
    "Process",
    "machine",
    "machines",
    "material",
    "materials",
    "record_id",
]

_Record = TypeVar("_Record")


_NAMESPACE = uuid.UUID("6f1d3c1e-5d0b-4c53-9e55-2f2b8b3a9d10")


def record_id(*parts: str) -> str:
    """A stable id (UUID hex) for a catalog record or a process chain, made from its names."""
    return uuid.uuid5(_NAMESPACE, "/".join(parts)).hex


@dataclass(frozen=True, slots=True)
class Material:
    """A material for one process family (mm, g/cm³, EUR/kg, kg CO2e/kg; None = not set).

    ``t_lim_min`` … ``size_lim_max`` and ``lyr_h`` mirror ``properties_am`` for the design
    rules; the full property blocks are kept as read (``properties_am``, ``properties_milling``,
    ``properties_moulding``, ``properties_casting``).
    """

    mat_name: str
    prc_acronym: str
    mat_rho: float
    default_machine_name: str | None = None
    lyr_h: float | None = None
    t_lim_min: float | None = None
    t_lim_max: float | None = None
    gap_lim_min: float | None = None
    size_lim_min: float | None = None
    size_lim_max: float | None = None
    mat_lvl_2_name: str = ""
    raw_mat_cost: float = 0.0
    co2_kg_per_kg: float = 0.0
    processes: tuple[str, ...] = ()
    properties_am: Mapping[str, Any] = field(default_factory=dict)
    properties_milling: Mapping[str, Any] = field(default_factory=dict)
    properties_moulding: Mapping[str, Any] = field(default_factory=dict)
    properties_casting: Mapping[str, Any] = field(default_factory=dict)
    sources: Mapping[str, str] = field(default_factory=dict)

    def serves(self, process: str) -> bool:
        """Whether the material is offered for ``process``."""
        return process == self.prc_acronym or process in self.processes


@dataclass(frozen=True, slots=True)
class Machine:
    """A machine: identity, build space and hourly-rate components (3D Spark API names).

    Units: mm, EUR, years, hours, kW; ``mac_prc_t_plyr`` is the non-productive time per layer
    in seconds; ``mac_cost_ph`` (EUR/h) replaces the computed hourly rate when set;
    ``time_factor`` scales predicted build time (set by calibration from real jobs). For
    conventional machines ``setup_time`` is paid once per production batch (a lot, or
    ``CostingConfig.production_batch`` parts), and ``clamp_force_kn`` (moulding presses) limits
    the cavities a mould may have.
    """

    mac_name: str
    oem_name: str
    prc_acronym: str
    bld_size_x: float
    bld_size_y: float
    bld_size_z: float
    bld_shape: Literal["cartesian", "cylindrical"] = "cartesian"
    mac_price: float = 0.0
    mac_life_years: float = 7.0
    interest_rate: float = 0.05
    hours_per_year: float = 5000.0
    maintenance_rate: float = 0.08
    floor_space_m2: float = 0.0
    floor_cost_m2_year: float = 0.0
    power_consumption: float = 0.0
    mac_prc_t_plyr: float = 0.0
    setup_time: float = 0.0
    unloading_time: float = 0.0
    mac_idl_t_pj: float = 0.0
    staff_time_factor: float = 0.05
    fix_mac_cost_pj: float = 0.0
    n_lasers: int = 1
    clamp_force_kn: float | None = None
    mac_cost_ph: float | None = None
    time_factor: float = 1.0
    sources: str = ""

    @property
    def build_volume(self) -> BuildVolume:
        """The build space as a :class:`BuildVolume`."""
        if self.bld_shape == "cylindrical":
            return BuildVolume.cylinder(self.bld_size_x, self.bld_size_z)
        return BuildVolume("cartesian", self.bld_size_x, self.bld_size_y, self.bld_size_z)


@dataclass(frozen=True, slots=True)
class PostStep:
    """A post-processing step (hours of labour, EUR, working days).

    Per-build work (depowdering a cake, blasting a batch, stress relief, plate removal, curing)
    is ``labour_h_per_job`` and ``cost_per_job``, shared by the parts of a build; per-part work is
    ``labour_h_per_part`` plus ``labour_h_per_cm2_support`` × supported area (support removal)
    plus ``labour_h_per_cm2_surface`` × surface area (finishing), at least ``min_h_per_part``
    when the step applies to the part at all.
    """

    name: str
    labour_h_per_part: float = 0.0
    labour_h_per_job: float = 0.0
    cost_per_job: float = 0.0
    labour_h_per_cm2_support: float = 0.0
    labour_h_per_cm2_surface: float = 0.0
    min_h_per_part: float = 0.0
    calendar_days: float = 0.0


@dataclass(frozen=True, slots=True)
class Process:
    """A process chain's model settings (see ``data/catalog/processes.json`` for sources).

    Hours and EUR: ``data_prep_h`` is the order's own preparation (file check, orientation,
    supports for additive; CAM programming for machining; mould design for moulding), once per
    lot; ``job_prep_h`` is the build file and nesting of one additive build, shared by the parts
    in it; ``fixture_cost`` is bought once per lot (machining fixtures). Moulding:
    ``handling_s`` is the reset time per shot (open, eject, close), ``fill_rate_cm3_s`` the
    injection rate, ``cavity_pressure_mpa`` the clamp force needed per projected area,
    ``toolmaking_rate`` the mould shop's EUR/h and ``max_cavities`` the most cavities offered.
    """

    prc_acronym: str
    prc: str
    tech: Literal["additive_manufacturing", "conventional"]
    family: str
    packing: Literal["plate", "volume", "single"]
    failure_rate: float = 0.0
    queue_days: float = 0.0
    data_prep_h: float = 0.0
    job_prep_h: float = 0.0
    part_spacing: float = 5.0
    packing_density: float = 0.1
    support_scan_factor: float = 0.4
    multi_laser_efficiency: float = 1.0
    load_h: float = 0.0
    tool_change_h: float = 0.0
    fixture_cost: float = 0.0
    tooling_days: float = 0.0
    handling_s: float = 0.0
    fill_rate_cm3_s: float = 50.0
    cavity_pressure_mpa: float = 40.0
    toolmaking_rate: float = 60.0
    max_cavities: int = 32
    post_steps: tuple[PostStep, ...] = ()
    sources: str = ""


@dataclass(frozen=True, slots=True)
class CostingConfig:
    """Rates (EUR/h), overhead and margin (fractions), energy price and grid CO2 factors.

    ``nesting`` is the default way additive builds are shared (``"alone"``: the lot fills its
    own builds; ``"shared"``: bureau mode, the part pays its share of a full build);
    ``production_batch`` is how many parts a conventional set-up makes (None: the whole lot in
    one set-up); ``conventional_hours_per_day`` turns conventional machine hours into working
    days (two shifts), while additive machines run around the clock.
    """

    designer_hr: float = 80.0
    am_expert_hr: float = 100.0
    technician_hr: float = 60.0
    overhead: float = 0.3
    margin_default: float = 0.2
    energy_price_kwh: float = 0.2
    grid: str = "DE"
    grid_co2_kg_per_kwh: Mapping[str, float] = field(default_factory=lambda: {"DE": 0.381})
    include_material_co2: bool = True
    ship_days: float = 2.0
    nesting: Literal["alone", "shared"] = "alone"
    production_batch: int | None = None
    conventional_hours_per_day: float = 16.0
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def grid_factor(self) -> float:
        """Kg CO2e per kWh of the selected grid."""
        return float(self.grid_co2_kg_per_kwh.get(self.grid, 0.0))


@dataclass(frozen=True, slots=True)
class Override:
    """A change to one record for everyone (``restriction=None``), an organisation or an owner.

    Attributes
    ----------
    kind : {"material", "machine", "process", "costing_config"}
    name : str
        Record name (``mat_name``, ``mac_name``, ``prc_acronym``; ignored for the config).
    fields : mapping
        Field values to replace; a record that does not exist yet is added (all required
        fields must then be given).
    restriction : {None, "organization", "owner"}
    scope : str or None
        The organisation or owner the override belongs to.

    """

    kind: Literal["material", "machine", "process", "costing_config"]
    name: str
    fields: Mapping[str, Any]
    restriction: Literal["organization", "owner"] | None = None
    scope: str | None = None


class Catalog:
    """One consistent set of materials, machines, processes and costing configuration."""

    def __init__(
        self,
        materials: Iterable[Material],
        machines: Iterable[Machine],
        processes: Iterable[Process],
        config: CostingConfig,
    ) -> None:
        self.materials: dict[str, Material] = {m.mat_name: m for m in materials}
        self.machines: dict[str, Machine] = {m.mac_name: m for m in machines}
        self.processes: dict[str, Process] = {p.prc_acronym: p for p in processes}
        self.config = config

    @classmethod
    def default(cls) -> Catalog:
        """The catalog shipped with makeready."""
        return _default()

    def material(self, name: str) -> Material:
        """The material called ``name`` (case and spaces ignored); ``catalog.not_found`` otherwise."""
        return _find(name, self.materials, "material")

    def machine(self, name: str) -> Machine:
        """The machine called ``name`` (case and spaces ignored); ``catalog.not_found`` otherwise."""
        return _find(name, self.machines, "machine")

    def process(self, acronym: str) -> Process:
        """The process with this acronym (e.g. ``slm``); ``catalog.not_found`` otherwise."""
        return _find(acronym, self.processes, "process")

    def machines_for(self, process: str) -> list[Machine]:
        """Machines of a process, in catalog order."""
        return [m for m in self.machines.values() if m.prc_acronym == process]

    def materials_for(self, process: str) -> list[Material]:
        """Materials offered for a process, in catalog order."""
        return [m for m in self.materials.values() if m.serves(process)]

    def for_owner(
        self, overrides: Iterable[Override], *, owner: str | None = None, organisation: str | None = None
    ) -> Catalog:
        """A copy with the overrides that apply to ``owner`` (global, organisation, owner).

        Raises
        ------
        MakereadyError
            ``catalog.invalid`` when an override names an unknown field or gives a bad value.

        """
        rank = {None: 0, "organization": 1, "owner": 2}
        chosen = [
            o
            for o in overrides
            if o.restriction is None
            or (o.restriction == "organization" and o.scope == organisation and organisation is not None)
            or (o.restriction == "owner" and o.scope == owner and owner is not None)
        ]
        materials, machines, processes, config = (
            dict(self.materials),
            dict(self.machines),
            dict(self.processes),
            self.config,
        )
        for o in sorted(chosen, key=lambda o: rank[o.restriction]):
            if o.kind == "costing_config":
                config = _replace(config, o.fields, "costing config")
            elif o.kind == "material":
                materials[o.name] = _changed(materials.get(o.name), Material, o, {"mat_name": o.name})
            elif o.kind == "machine":
                machines[o.name] = _changed(machines.get(o.name), Machine, o, {"mac_name": o.name})
            elif o.kind == "process":
                processes[o.name] = _changed(processes.get(o.name), Process, o, {"prc_acronym": o.name})
            else:
                raise MakereadyError("catalog.invalid", f"unknown override kind {o.kind!r}")
        return Catalog(materials.values(), machines.values(), processes.values(), config)


def _changed(record: _Record | None, kind: type[_Record], override: Override, key: dict[str, str]) -> _Record:
    if record is None:
        return _build(kind, {**override.fields, **key}, override.name)
    return _replace(record, override.fields, override.name)


def _replace(record: _Record, changes: Mapping[str, Any], name: str) -> _Record:
    known = {f.name for f in dataclasses.fields(record)}  # type: ignore[arg-type]
    unknown = sorted(set(changes) - known)
    if unknown:
        raise MakereadyError("catalog.invalid", f"{name}: unknown field(s) {unknown}", fields=unknown)
    updated = _validated({**dataclasses.asdict(record), **changes}, name)  # type: ignore[call-overload]
    return _build(type(record), updated, name)


def _validated(row: dict[str, Any], name: str) -> dict[str, Any]:
    for key, value in row.items():
        if isinstance(value, bool) or value is None or isinstance(value, str | Mapping | list | tuple):
            continue
        if not isinstance(value, int | float) or value < 0 or value != value:
            raise MakereadyError(
                "catalog.invalid", f"{name}: {key} must be a non-negative number, not {value!r}"
            )
    return row


def _build(kind: type[_Record], row: Mapping[str, Any], name: str) -> _Record:
    names = {f.name for f in dataclasses.fields(kind)}  # type: ignore[arg-type]
    values = {k: v for k, v in row.items() if k in names}
    if kind is Process and "post_steps" in values:
        values["post_steps"] = tuple(
            s if isinstance(s, PostStep) else _build(PostStep, s, name) for s in values["post_steps"]
        )
    if kind is Material and "processes" in values:
        values["processes"] = tuple(values["processes"])
    try:
        return kind(**values)
    except TypeError as error:
        raise MakereadyError("catalog.invalid", f"{name}: {error}") from error


def _read(name: str) -> Any:
    return json.loads(resources.files("makeready").joinpath("data", "catalog", name).read_text("utf-8"))


def _material_row(row: Mapping[str, Any]) -> dict[str, Any]:
    am = row.get("properties_am", {})
    limits = {
        k: am.get(k)
        for k in ("lyr_h", "t_lim_min", "t_lim_max", "gap_lim_min", "size_lim_min", "size_lim_max")
    }
    return {**row, **limits}


@cache
def _default() -> Catalog:
    materials = [
        _build(Material, _validated(_material_row(r), r["mat_name"]), r["mat_name"])
        for r in _read("materials.json")["materials"]
    ]
    machines = [
        _build(Machine, _validated(dict(r), r["mac_name"]), r["mac_name"])
        for r in _read("machines.json")["machines"]
    ]
    processes = [
        _build(Process, _validated(dict(r), r["prc_acronym"]), r["prc_acronym"])
        for r in _read("processes.json")["processes"]
    ]
    config = _build(CostingConfig, _read("costing_config.json")["costing_config"], "costing config")
    return Catalog(materials, machines, processes, config)


def materials() -> tuple[Material, ...]:
    """All shipped materials."""
    return tuple(_default().materials.values())


def machines() -> tuple[Machine, ...]:
    """All shipped machines."""
    return tuple(_default().machines.values())


def material(name: str) -> Material:
    """The shipped material called ``name`` (case and spaces ignored).

    Raises
    ------
    MakereadyError
        ``catalog.not_found`` when no material has that name.

    """
    return _default().material(name)


def machine(name: str) -> Machine:
    """The shipped machine called ``name`` (case and spaces ignored).

    Raises
    ------
    MakereadyError
        ``catalog.not_found`` when no machine has that name.

    """
    return _default().machine(name)


def _key(name: str) -> str:
    return "".join(name.split()).casefold()


def _find(name: str, records: Mapping[str, _Record], kind: str) -> _Record:
    wanted = _key(name)
    for key, record in records.items():
        if _key(key) == wanted:
            return record
    raise unknown_name(kind, name, records)
