"""Turning result values into plain JSON: what the database, the wire and the logs can take."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["json_ready"]


def json_ready(value: Any) -> Any:
    """``value`` with NumPy scalars unwrapped, NaN/inf as None, tuples as lists, keys as strings.

    Anything else that JSON cannot hold becomes its ``str``. PostgreSQL's JSON type rejects NaN,
    which infeasible process chains carry, so every stored result passes through here.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    return str(value)
