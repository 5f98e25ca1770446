"""A machine's build space: a value object light enough for the catalog and the CLI to import.

(It lives apart from :mod:`makeready.geometry.design_rules`, which re-exports it, so that
reading the catalog does not load SciPy and Shapely.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["BuildVolume"]


@dataclass(frozen=True, slots=True)
class BuildVolume:
    """A machine's build space, mm.

    Attributes
    ----------
    shape : {"cartesian", "cylindrical"}
    x, y, z : float
        Cartesian edge lengths; for a cylinder ``x`` is the diameter and ``z`` the height
        (``y`` equals ``x``).

    """

    shape: Literal["cartesian", "cylindrical"]
    x: float
    y: float
    z: float

    @classmethod
    def cylinder(cls, diameter: float, height: float) -> BuildVolume:
        """A cylindrical build space."""
        return cls("cylindrical", diameter, diameter, height)

    def __post_init__(self) -> None:
        if min(self.x, self.y, self.z) <= 0:
            raise ValueError("build volume edges must be positive")
