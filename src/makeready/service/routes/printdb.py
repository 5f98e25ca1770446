"""Seed 003's print definitions: printer types, materials and profiles (cm, rad)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter

from makeready.errors import MakereadyError
from makeready.service.auth import Reader
from makeready.service.problems import ApiError
from makeready.trays import PrintDefinitions
from makeready.wire import PrintDefinition

router = APIRouter(prefix="/api/v1/printdb", tags=["seed 003: print definitions"])


def _public(record: Mapping[str, Any]) -> dict[str, Any]:
    return dict(record)


def _one(lookup: Any, key: str) -> dict[str, Any]:
    try:
        return _public(lookup(key).record)
    except MakereadyError as exc:
        raise ApiError("request.not_found", exc.message) from exc


@router.get(
    "/printertypes",
    response_model=list[PrintDefinition],
    response_model_exclude_unset=True,
    summary="Printer types",
)
def printer_types(principal: Reader) -> list[dict[str, Any]]:
    """Every printer type."""
    return [_public(p.record) for p in PrintDefinitions.default().printer_types.values()]


@router.get(
    "/printertypes/{printer_type_id}",
    response_model=PrintDefinition,
    response_model_exclude_unset=True,
    summary="One printer type",
)
def printer_type(printer_type_id: str, principal: Reader) -> dict[str, Any]:
    """A printer type by id (or name)."""
    return _one(PrintDefinitions.default().printer_type, printer_type_id)


@router.get(
    "/materials",
    response_model=list[PrintDefinition],
    response_model_exclude_unset=True,
    summary="Print materials",
)
def print_materials(principal: Reader) -> list[dict[str, Any]]:
    """Every print material."""
    return [_public(m.record) for m in PrintDefinitions.default().materials.values()]


@router.get(
    "/materials/{material_id}",
    response_model=PrintDefinition,
    response_model_exclude_unset=True,
    summary="One print material",
)
def print_material(material_id: str, principal: Reader) -> dict[str, Any]:
    """A print material by id (or name)."""
    return _one(PrintDefinitions.default().material, material_id)


@router.get(
    "/profiles",
    response_model=list[PrintDefinition],
    response_model_exclude_unset=True,
    summary="Print profiles",
)
def profiles(principal: Reader) -> list[dict[str, Any]]:
    """Every print profile."""
    return [_public(p.record) for p in PrintDefinitions.default().profiles.values()]


@router.get(
    "/profiles/{profile_id}",
    response_model=PrintDefinition,
    response_model_exclude_unset=True,
    summary="One print profile",
)
def profile(profile_id: str, principal: Reader) -> dict[str, Any]:
    """A print profile by id (or name)."""
    return _one(PrintDefinitions.default().profile, profile_id)
