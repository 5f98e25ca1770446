"""A part prepared once for the analyses that each need the same arrays and acceleration structures.

Thickness, support planning, the orientation search and the design checks all cast rays at the
same mesh and read its stacked arrays, normals and convex hull. A :class:`PreparedPart` builds
each of them on first use and keeps it, so a workflow that runs them all (the quote: every
process chain orients and plans supports on one part) pays once; every function that takes a
``Part`` takes a ``PreparedPart`` in its place.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from makeready.geometry.mesh import Part
from makeready.geometry.triangles import crosses, stack_bodies, unit_normals_of
from makeready.geometry.types import FloatArray, IntArray

if TYPE_CHECKING:
    from makeready.geometry.rays import Engine, RayCaster

__all__ = ["PreparedPart", "prepared"]


class PreparedPart:
    """A part with its stacked arrays, normals, hull, ray engine and search copy, each built once.

    Parameters
    ----------
    part : Part
        The part (mm).
    engine : {"auto", "embree", "numpy"}
        The ray engine :attr:`caster` is built with.

    """

    def __init__(self, part: Part, engine: Engine = "auto") -> None:
        self.part = part
        self.engine: Engine = engine

    @cached_property
    def _stacked(self) -> tuple[FloatArray, IntArray, IntArray]:
        return stack_bodies(self.part)

    @property
    def vertices(self) -> FloatArray:
        """All bodies' vertices, shape (n, 3), mm."""
        return self._stacked[0]

    @property
    def faces(self) -> IntArray:
        """All bodies' faces indexing :attr:`vertices`, shape (m, 3)."""
        return self._stacked[1]

    @property
    def body_of(self) -> IntArray:
        """The body index of every face, shape (m,)."""
        return self._stacked[2]

    @cached_property
    def normals(self) -> FloatArray:
        """Unit face normals, shape (m, 3) (zero for degenerate faces)."""
        tri = self.vertices[self.faces]
        return unit_normals_of(tri, crosses(tri))

    @cached_property
    def hull(self) -> FloatArray:
        """The convex hull's points of the used vertices, shape (k, 3), mm."""
        from makeready.geometry.metrics import convex_hull_points

        used = self.vertices[np.unique(self.faces)] if len(self.faces) else self.vertices
        if not len(used):
            return used
        points, _ = convex_hull_points(used)
        return points

    @cached_property
    def caster(self) -> RayCaster:
        """A ray engine over the whole part in part coordinates."""
        from makeready.geometry.rays import ray_caster

        return ray_caster(self.vertices, self.faces, self.engine, self.normals)

    @cached_property
    def search(self) -> tuple[FloatArray, IntArray]:
        """The decimated copy the orientation search evaluates (``orientation.search_copy``)."""
        from makeready.geometry.orientation import search_copy

        return search_copy(self.part)


def prepared(part: Part | PreparedPart, engine: Engine = "auto") -> PreparedPart:
    """``part`` prepared (itself when it already is)."""
    return part if isinstance(part, PreparedPart) else PreparedPart(part, engine)
