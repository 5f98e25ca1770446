"""Named tolerances: how far a measured value may miss a design limit, and the algorithms' epsilons.

Meshes are tessellated and many files round to float32, so a wall drawn at exactly the 0.8 mm
limit measures 0.7996 and must pass, while 0.79 must fail. A value passes a limit when it misses
it by no more than ``max(0.001 mm, 0.1 % of the limit)``. The thin-wall and narrow-gap regions
of the thickness report use the same rule, so a region is listed exactly when the check fails.
"""

from __future__ import annotations

import os

__all__ = [
    "FLOAT_RELATIVE",
    "LENGTH_EPS_MM",
    "LIMIT_TOLERANCE_MM",
    "LIMIT_TOLERANCE_RELATIVE",
    "PARALLEL_COS",
    "ROTATION_ATOL",
    "SCORE_TIE",
    "TINY",
    "below_limit",
    "invariant",
    "limit_tolerance",
    "strict",
]

LIMIT_TOLERANCE_MM = 0.001
LIMIT_TOLERANCE_RELATIVE = 0.001


def limit_tolerance(limit: float) -> float:
    """Allowed miss at ``limit`` (mm)."""
    return max(LIMIT_TOLERANCE_MM, LIMIT_TOLERANCE_RELATIVE * abs(limit))


def below_limit(limit: float) -> float:
    """Values strictly below this fail a minimum ``limit`` (mm)."""
    return limit - limit_tolerance(limit)


# --- Numerical tolerances of the algorithms (named, so each comparison says what it guards) ---

#: Relative slack of float64 comparisons of quantities computed from a few coordinates (a sum of
#: heights, a box against a bed): values that agree to this many parts are equal.
FLOAT_RELATIVE = 1e-9
#: Absolute slack of such comparisons in mm, for values near zero (1 nm: far below any printer).
LENGTH_EPS_MM = 1e-9
#: A divisor (a norm, a determinant, a volume) at or below this is treated as zero.
TINY = 1e-300
#: Two scores of a search that differ by less than this relative amount are a tie (the first
#: found is kept, so the result does not depend on rounding).
SCORE_TIE = 1e-12
#: How far ``R @ R.T`` may stray from the identity for ``R`` to count as a rotation.
ROTATION_ATOL = 1e-6
#: A ray's direction and a face's plane are parallel below this |cos| (the ray neither enters nor exits).
PARALLEL_COS = 1e-9

#: Strict mode: algorithms check their own invariants (a repaired mesh closed, a plan's supports
#: non-negative, a rotation orthonormal, placements inside the plate) and raise ``AssertionError``
#: when one fails, as trimesh's ``tol.strict`` and manifold's intermediate checks do. Off in
#: production (the checks cost time); the test suite turns it on (``MAKEREADY_STRICT=1``).
strict = os.environ.get("MAKEREADY_STRICT", "") == "1"


def invariant(condition: object, message: str) -> None:
    """In strict mode, raise ``AssertionError(message)`` unless ``condition`` holds; else nothing.

    ``condition`` may be a callable, evaluated only in strict mode (for checks that cost time).
    """
    if not strict:
        return
    held = condition() if callable(condition) else condition
    if not held:
        raise AssertionError(f"invariant broken: {message}")
