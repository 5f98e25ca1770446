"""Length units and their factor to millimetres (the unit of every Part)."""

from __future__ import annotations

from makeready.errors import MakereadyError

__all__ = ["MM_PER_UNIT", "mm_per_unit", "normalize_unit"]

#: Millimetres per unit, for the names 3MF defines plus common aliases.
MM_PER_UNIT: dict[str, float] = {
    "micron": 0.001,
    "millimeter": 1.0,
    "centimeter": 10.0,
    "inch": 25.4,
    "foot": 304.8,
    "meter": 1000.0,
}

_ALIASES: dict[str, str] = {
    "um": "micron",
    "µm": "micron",
    "micrometer": "micron",
    "micrometre": "micron",
    "mm": "millimeter",
    "millimetre": "millimeter",
    "cm": "centimeter",
    "centimetre": "centimeter",
    "in": "inch",
    "inches": "inch",
    '"': "inch",
    "ft": "foot",
    "feet": "foot",
    "m": "meter",
    "metre": "meter",
}


def normalize_unit(name: str) -> str:
    """Return the canonical unit name (one of :data:`MM_PER_UNIT`'s keys).

    Raises
    ------
    MakereadyError
        ``file.unknown_units`` when the name is not known.

    """
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in MM_PER_UNIT:
        known = ", ".join(sorted(MM_PER_UNIT))
        raise MakereadyError("file.unknown_units", f"unknown unit {name!r}; use one of: {known}")
    return key


def mm_per_unit(name: str) -> float:
    """Millimetres in one ``name`` (e.g. 25.4 for ``"inch"``)."""
    return MM_PER_UNIT[normalize_unit(name)]
