"""3D Print API's print definitions: printer types, materials and profiles (cm, rad)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from makeready.errors import MakereadyError
from makeready.print_definitions import PrintDefinitions
from makeready.rendering.print_definitions import material_json, printer_type_json, profile_json
from makeready.service.auth import Reader
from makeready.service.problems import ApiError
from makeready.wire import PrintDefinition

router = APIRouter(prefix="/api/v1/printdb", tags=["3D Print API: print definitions"])


def _one(lookup: Callable[[str], Any], key: str, render: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    try:
        return render(lookup(key))
    except MakereadyError as exc:
        raise ApiError("request.not_found", exc.message) from exc


def _printer(printer: Any) -> dict[str, Any]:
    return printer_type_json(printer, PrintDefinitions.default())


def _material(material: Any) -> dict[str, Any]:
    return material_json(material, PrintDefinitions.default())


@router.get(
    "/printertypes",
    response_model=list[PrintDefinition],
    response_model_exclude_unset=True,
    summary="Printer types",
)
def printer_types(principal: Reader) -> list[dict[str, Any]]:
    """Every printer type."""
    return [_printer(p) for p in PrintDefinitions.default().printer_types.values()]


@router.get(
    "/printertypes/{printer_type_id}",
    response_model=PrintDefinition,
    response_model_exclude_unset=True,
    summary="One printer type",
)
def printer_type(printer_type_id: str, principal: Reader) -> dict[str, Any]:
    """A printer type by id (or name)."""
    return _one(PrintDefinitions.default().printer_type, printer_type_id, _printer)


@router.get(
    "/materials",
    response_model=list[PrintDefinition],
    response_model_exclude_unset=True,
    summary="Print materials",
)
def print_materials(principal: Reader) -> list[dict[str, Any]]:
    """Every print material."""
    return [_material(m) for m in PrintDefinitions.default().materials.values()]


@router.get(
    "/materials/{material_id}",
    response_model=PrintDefinition,
    response_model_exclude_unset=True,
    summary="One print material",
)
def print_material(material_id: str, principal: Reader) -> dict[str, Any]:
    """A print material by id (or name)."""
    return _one(PrintDefinitions.default().material, material_id, _material)


@router.get(
    "/profiles",
    response_model=list[PrintDefinition],
    response_model_exclude_unset=True,
    summary="Print profiles",
)
def profiles(principal: Reader) -> list[dict[str, Any]]:
    """Every print profile."""
    return [profile_json(p) for p in PrintDefinitions.default().profiles.values()]


@router.get(
    "/profiles/{profile_id}",
    response_model=PrintDefinition,
    response_model_exclude_unset=True,
    summary="One print profile",
)
def profile(profile_id: str, principal: Reader) -> dict[str, Any]:
    """A print profile by id (or name)."""
    return _one(PrintDefinitions.default().profile, profile_id, profile_json)
