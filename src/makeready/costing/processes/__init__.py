"""One cost model per process family; :data:`FAMILIES` maps a family name to its job model."""

from __future__ import annotations

from collections.abc import Callable

from makeready.costing.model import JobContext, JobEstimate
from makeready.costing.processes import (
    binder_jet,
    casting,
    extrusion,
    machining,
    moulding,
    pbf_metal,
    pbf_polymer,
    vat,
)

__all__ = ["FAMILIES"]

FAMILIES: dict[str, Callable[[JobContext, int], JobEstimate]] = {
    "pbf_metal": pbf_metal.job,
    "pbf_polymer": pbf_polymer.job,
    "extrusion": extrusion.job,
    "vat": vat.job,
    "binder_jet": binder_jet.job,
    "machining": machining.job,
    "moulding": moulding.job,
    "casting": casting.job,
}
