"""The 3D Print API's print definitions: printer types, print profiles and print materials.

The records (``data/catalog/print_definitions.json``) keep 3D Print API's shapes (cm, rad, UUIDs);
printer types point at the costing catalog's machines and print materials at its materials, so
there is one catalog.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from makeready.catalog import Catalog, Machine, Material
from makeready.errors import unknown_name

__all__ = ["PrintDefinitions", "PrintRecord", "PrinterType"]

_PROCESS = {"FDM": "fdm", "DLP": "dlp", "SLA": "sla", "SLM": "slm", "MJF": "mjf"}


@dataclass(frozen=True, slots=True)
class PrinterType:
    """A printer type (3D Print API fields in ``record``) and the catalog machine it is."""

    id: str
    name: str
    technology: str
    machine: Machine
    record: Mapping[str, Any]

    @property
    def process(self) -> str:
        """The costing catalog's process acronym for this printer's technology."""
        return _PROCESS[self.technology]


@dataclass(frozen=True, slots=True)
class PrintRecord:
    """A print profile or print material (3D Print API fields in ``record``)."""

    id: str
    name: str
    technology: str
    printer_types: tuple[str, ...]
    record: Mapping[str, Any]

    @property
    def settings(self) -> dict[str, Any]:
        """The record without its identity and compatibility fields (a tray's ``settings``)."""
        return {k: v for k, v in self.record.items() if k not in ("id", "printer_types", "materials")}


class PrintDefinitions:
    """Printer types, profiles and print materials, looked up by id or name."""

    def __init__(self, data: Mapping[str, Any], catalog: Catalog) -> None:
        self.catalog = catalog
        self.printer_types = {
            r["id"]: PrinterType(r["id"], r["name"], r["technology"], catalog.machine(r["machine"]), r)
            for r in data["printer_types"]
        }
        self.profiles = {r["id"]: _record(r) for r in data["profiles"]}
        self.materials = {r["id"]: _record(r) for r in data["materials"]}
        #: Exchange rate for the API's material ``cost`` in USD (the catalog prices in EUR).
        self.usd_per_eur = float(data.get("usd_per_eur", 1.0))

    @classmethod
    def default(cls) -> PrintDefinitions:
        """The shipped definitions over the shipped catalog."""
        return _default_definitions()

    def printer_type(self, key: str) -> PrinterType:
        """A printer type by id or name (case and spaces ignored); ``catalog.not_found`` otherwise."""
        return _lookup(key, self.printer_types, "printer type")

    def profile(self, key: str) -> PrintRecord:
        """A print profile by id or name."""
        return _lookup(key, self.profiles, "profile")

    def material(self, key: str) -> PrintRecord:
        """A print material by id or name."""
        return _lookup(key, self.materials, "print material")

    def print_material_for(self, machine: str) -> Mapping[str, Any] | None:
        """The default print material of the printer type built on ``machine`` (exposure, temperatures)."""
        for printer in self.printer_types.values():
            if printer.machine.mac_name == machine:
                return self.material(str(printer.record["default_material_id"])).record
        return None

    def catalog_material(self, material: PrintRecord) -> Material:
        """The costing catalog's material behind a print material."""
        return self.catalog.material(str(material.record["catalog_material"]))


def _record(row: Mapping[str, Any]) -> PrintRecord:
    return PrintRecord(row["id"], row["name"], row["technology"], tuple(row.get("printer_types", ())), row)


_Rec = TypeVar("_Rec", PrinterType, PrintRecord)


def _lookup(key: str, records: Mapping[str, _Rec], kind: str) -> _Rec:
    if key in records:
        return records[key]
    wanted = "".join(key.split()).casefold()
    for record in records.values():
        if "".join(record.name.split()).casefold() == wanted or record.id.casefold() == wanted:
            return record
    raise unknown_name(kind, key, (r.name for r in records.values()))


@cache
def _default_definitions() -> PrintDefinitions:
    text = (
        resources.files("makeready").joinpath("data", "catalog", "print_definitions.json").read_text("utf-8")
    )
    return PrintDefinitions(json.loads(text), Catalog.default())
