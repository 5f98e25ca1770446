"""Small conversions every renderer shares: points as lists, non-finite numbers as null, h as hh:mm."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["finite", "finite_list", "hhmm", "xyz"]


def xyz(point: np.ndarray) -> list[float]:
    """A point or vector as a JSON list of floats."""
    return [float(x) for x in point]


def finite(value: float) -> float | None:
    """``value`` as a float, or None (JSON null) when it is infinite or NaN."""
    return float(value) if math.isfinite(value) else None


def finite_list(values: np.ndarray) -> list[float | None]:
    """Each value as a float, None where it is not finite."""
    return [float(x) if np.isfinite(x) else None for x in values]


def hhmm(hours: float) -> str:
    """Hours as the 3D Spark API's ``"HH:MM"`` (``"00:00"`` when not finite)."""
    if not math.isfinite(hours):
        return "00:00"
    minutes = round(hours * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
