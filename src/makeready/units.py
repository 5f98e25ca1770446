"""Length units and their factor to millimetres (the unit of every Part)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from makeready.errors import MakereadyError

__all__ = [
    "MM_PER_UNIT",
    "PLAUSIBLE_LENGTH_MM",
    "UnitsWarning",
    "mm_per_unit",
    "normalize_unit",
    "suspect_units",
]

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


#: A part whose longest edge lies outside this range (mm) is reported as ``units_suspect``:
#: nothing printed or machined is smaller than a millimetre or longer than 3 m.
PLAUSIBLE_LENGTH_MM = (1.0, 3000.0)
#: The range in which a corrected size counts as an ordinary part (mm), to name a likely unit.
_TYPICAL_LENGTH_MM = (5.0, 1000.0)
_TYPICAL_CENTRE_MM = 50.0
#: Units CAD files are commonly written in, and how a sentence names them.
_PLURAL = {
    "micron": "microns",
    "millimeter": "millimetres",
    "centimeter": "centimetres",
    "inch": "inches",
    "meter": "metres",
}


@dataclass(frozen=True, slots=True)
class UnitsWarning:
    """A part whose size is implausible in the units it was read in.

    Attributes
    ----------
    longest_mm : float
        The part's longest bounding-box edge as read, mm.
    read_as : str
        The unit the coordinates were read in.
    likely : str or None
        The unit that makes it an ordinary part, when one does.
    likely_mm : float or None
        The longest edge in that unit, mm.

    """

    longest_mm: float
    read_as: str
    likely: str | None
    likely_mm: float | None

    code = "units_suspect"

    @property
    def message(self) -> str:
        """A sentence for people."""
        size = f"this part is {self.longest_mm:.3g} mm long read as {_PLURAL.get(self.read_as, self.read_as)}"
        if self.likely is None:
            return f"{size}: check the file's units"
        return (
            f"{size}: were the coordinates in {_PLURAL[self.likely]}? It would then be "
            f"{self.likely_mm:,.4g} mm long (upload again with units={self.likely})"
        )


def suspect_units(longest_mm: float, read_as: str = "millimeter") -> UnitsWarning | None:
    """A :class:`UnitsWarning` when a part's longest edge (mm) is implausible, else None."""
    low, high = PLAUSIBLE_LENGTH_MM
    if not math.isfinite(longest_mm) or longest_mm <= 0 or low <= longest_mm <= high:
        return None
    unit = normalize_unit(read_as)
    raw = longest_mm / MM_PER_UNIT[unit]
    candidates = [
        (abs(math.log(raw * factor / _TYPICAL_CENTRE_MM)), name, raw * factor)
        for name, factor in MM_PER_UNIT.items()
        if name != unit and name in _PLURAL and _TYPICAL_LENGTH_MM[0] <= raw * factor <= _TYPICAL_LENGTH_MM[1]
    ]
    if not candidates:
        return UnitsWarning(longest_mm, unit, None, None)
    _, name, size = min(candidates)
    return UnitsWarning(longest_mm, unit, name, size)
