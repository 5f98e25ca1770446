"""How far a measured value may miss a design limit and still pass.

Meshes are tessellated and many files round to float32, so a wall drawn at exactly the 0.8 mm
limit measures 0.7996 and must pass, while 0.79 must fail. A value passes a limit when it misses
it by no more than ``max(0.001 mm, 0.1 % of the limit)``. The thin-wall and narrow-gap regions
of the thickness report use the same rule, so a region is listed exactly when the check fails.
"""

from __future__ import annotations

__all__ = ["LIMIT_TOLERANCE_MM", "LIMIT_TOLERANCE_RELATIVE", "below_limit", "limit_tolerance"]

LIMIT_TOLERANCE_MM = 0.001
LIMIT_TOLERANCE_RELATIVE = 0.001


def limit_tolerance(limit: float) -> float:
    """Allowed miss at ``limit`` (mm)."""
    return max(LIMIT_TOLERANCE_MM, LIMIT_TOLERANCE_RELATIVE * abs(limit))


def below_limit(limit: float) -> float:
    """Values strictly below this fail a minimum ``limit`` (mm)."""
    return limit - limit_tolerance(limit)
