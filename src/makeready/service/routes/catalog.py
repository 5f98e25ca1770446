"""3D Spark API's machines, materials and costing configuration (read-only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from makeready import wire
from makeready.catalog import Catalog, record_id
from makeready.rendering.spark import costing_config_json, machine_json, material_json
from makeready.service.auth import Reader
from makeready.service.problems import ApiError

router = APIRouter(prefix="/api/v1", tags=["3D Spark API: catalog"])


def _find(
    records: list[dict[str, Any]], key: str, id_field: str, name_field: str, kind: str
) -> dict[str, Any]:
    wanted = key.replace("-", "").casefold()
    for record in records:
        if record[id_field] == wanted or str(record[name_field]).casefold() == key.casefold():
            return record
    raise ApiError("request.not_found", f"no {kind} with id or name {key!r}")


@router.get(
    "/machine/", response_model=list[wire.Catalog], response_model_exclude_unset=True, summary="Machines"
)
def machines(principal: Reader, prc_acronym: str | None = None) -> list[dict[str, Any]]:
    """Every machine, optionally of one process."""
    records = Catalog.default().machines.values()
    return [machine_json(m) for m in records if prc_acronym in (None, m.prc_acronym)]


@router.get(
    "/machine/{mac_id}/",
    response_model=wire.Catalog,
    response_model_exclude_unset=True,
    summary="One machine",
)
def machine(mac_id: str, principal: Reader) -> dict[str, Any]:
    """A machine by ``mac_id`` (or by name)."""
    records = [machine_json(m) for m in Catalog.default().machines.values()]
    return _find(records, mac_id, "mac_id", "mac_name", "machine")


@router.get(
    "/material/", response_model=list[wire.Catalog], response_model_exclude_unset=True, summary="Materials"
)
def materials(principal: Reader, prc_acronym: str | None = None) -> list[dict[str, Any]]:
    """Every material, optionally those offered for one process."""
    records = Catalog.default().materials.values()
    return [material_json(m) for m in records if prc_acronym is None or m.serves(prc_acronym)]


@router.get(
    "/material/{mat_id}/",
    response_model=wire.Catalog,
    response_model_exclude_unset=True,
    summary="One material",
)
def material(mat_id: str, principal: Reader) -> dict[str, Any]:
    """A material by ``mat_id`` (or by name)."""
    records = [material_json(m) for m in Catalog.default().materials.values()]
    return _find(records, mat_id, "mat_id", "mat_name", "material")


@router.get("/default-costing-config/", summary="The default costing configuration")
def default_costing_config(principal: Reader) -> dict[str, Any]:
    """Hourly rates, overhead, margin, energy price and grid CO2 factors."""
    return costing_config_json(Catalog.default().config)


@router.get("/costing-config/{uid}/", summary="A costing configuration")
def costing_config(uid: str, principal: Reader) -> dict[str, Any]:
    """A costing configuration by id (the default one is the only one so far)."""
    if uid.replace("-", "").casefold() != record_id("costing_config"):
        raise ApiError("request.not_found", f"no costing configuration {uid!r}")
    return costing_config_json(Catalog.default().config)
