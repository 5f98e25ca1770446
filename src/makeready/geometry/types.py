"""The array types every geometry, costing and printables module speaks (numpy, mm unless named).

Shapes are stated where the arrays are used: vertices ``(n, 3)`` float64 mm, faces ``(m, 3)``
int64 indices, triangles ``(m, 3, 3)`` float64 mm, per-face masks ``(m,)`` bool.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["BoolArray", "FloatArray", "IntArray"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
