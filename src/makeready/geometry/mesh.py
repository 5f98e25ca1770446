"""Immutable value objects for parts: a :class:`Part` holds one or more :class:`Body`.

All coordinates are millimetres in the part's own frame, with every transform from the
source file (3MF build items and components, unit scaling) already applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Body", "Part", "freeze"]

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]


def freeze(array: npt.ArrayLike, dtype: Any) -> Any:
    """Return ``array`` as a C-contiguous, read-only ndarray of ``dtype`` (no copy when possible)."""
    out = np.ascontiguousarray(array, dtype=dtype).view()
    out.flags.writeable = False
    return out


@dataclass(frozen=True, slots=True, eq=False)
class Body:
    """One triangle mesh of a part.

    Attributes
    ----------
    name : str
        The name the source file gives the body (object, solid or group name), or a generated one.
    vertices : (n, 3) float64, mm
        Vertex positions, read-only.
    faces : (m, 3) int64
        Indices into ``vertices``, counter-clockwise seen from outside for a well-formed solid.
    brep_volume : float or None, mm³
        Exact volume of the B-rep solid the mesh was tessellated from (STEP), if known.

    """

    name: str
    vertices: FloatArray
    faces: IndexArray
    brep_volume: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "vertices", freeze(self.vertices, np.float64).reshape(-1, 3))
        object.__setattr__(self, "faces", freeze(self.faces, np.int64).reshape(-1, 3))

    @property
    def triangle_count(self) -> int:
        """Number of triangles."""
        return int(self.faces.shape[0])

    @property
    def vertex_count(self) -> int:
        """Number of vertices."""
        return int(self.vertices.shape[0])

    def triangles(self) -> FloatArray:
        """Corner positions, shape (m, 3, 3) float64, mm."""
        result: FloatArray = self.vertices[self.faces]
        return result

    @property
    def volume(self) -> float:
        """Signed enclosed volume in mm³ (divergence theorem; meaningful for closed shells).

        Coordinates are taken relative to the bounding-box centre first, which keeps the
        sum accurate for parts far from the origin.
        """
        if self.triangle_count == 0:
            return 0.0
        lo, hi = self.bounds
        tri = self.triangles() - (lo + hi) / 2.0
        return float(np.einsum("ij,ij->", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])) / 6.0)

    @property
    def area(self) -> float:
        """Surface area in mm²."""
        if self.triangle_count == 0:
            return 0.0
        tri = self.triangles()
        cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        return float(np.sqrt(np.einsum("ij,ij->i", cross, cross)).sum() / 2.0)

    @property
    def bounds(self) -> FloatArray:
        """Axis-aligned box of the vertices, shape (2, 3): [min, max], mm.

        Readers drop vertices no face refers to, so this is the box of the surface.
        """
        if self.vertex_count == 0:
            return np.zeros((2, 3))
        return np.stack([self.vertices.min(axis=0), self.vertices.max(axis=0)])

    def transformed(self, matrix: npt.ArrayLike) -> Body:
        """Return a new body with a 4x4 (or 3x4) affine ``matrix`` applied (column-vector convention)."""
        m = np.asarray(matrix, dtype=np.float64)
        verts = self.vertices @ m[:3, :3].T + m[:3, 3]
        faces = self.faces
        if np.linalg.det(m[:3, :3]) < 0:  # a mirror turns the winding inside out; undo it
            faces = faces[:, ::-1]
        return Body(self.name, verts, faces, self.brep_volume)


@dataclass(frozen=True, slots=True, eq=False)
class Part:
    """A part as read from a file: its bodies in mm plus where it came from.

    Attributes
    ----------
    bodies : tuple of Body
        One entry per solid, object, build item or group of the source file.
    source_format : str
        ``"stl-binary"``, ``"stl-ascii"``, ``"obj"``, ``"3mf"``, ``"ply"``, ``"off"`` or ``"step"``.
    source_units : str
        The unit the source coordinates were in before conversion to mm.
    name : str
        A display name (file stem, 3MF title…).
    notes : tuple of str
        What the reader did that a user should know (units converted, bytes ignored…).
    metadata : Mapping[str, str]
        Metadata the file carries (3MF ``<metadata>``, STL header text…).

    """

    bodies: tuple[Body, ...]
    source_format: str
    source_units: str = "millimeter"
    name: str = "part"
    notes: tuple[str, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bodies", tuple(self.bodies))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))

    @property
    def triangle_count(self) -> int:
        """Triangles over all bodies."""
        return sum(b.triangle_count for b in self.bodies)

    @property
    def vertex_count(self) -> int:
        """Vertices over all bodies."""
        return sum(b.vertex_count for b in self.bodies)

    @property
    def volume(self) -> float:
        """Sum of the bodies' signed volumes, mm³."""
        return sum(b.volume for b in self.bodies)

    @property
    def area(self) -> float:
        """Sum of the bodies' surface areas, mm²."""
        return sum(b.area for b in self.bodies)

    @property
    def bounds(self) -> FloatArray:
        """Axis-aligned box over all bodies, shape (2, 3), mm."""
        boxes = [b.bounds for b in self.bodies if b.triangle_count]
        if not boxes:
            return np.zeros((2, 3))
        stacked = np.stack(boxes)
        return np.stack([stacked[:, 0].min(axis=0), stacked[:, 1].max(axis=0)])

    @property
    def extents(self) -> FloatArray:
        """Box edge lengths (x, y, z), mm."""
        lo, hi = self.bounds
        result: FloatArray = hi - lo
        return result

    def with_bodies(self, bodies: Sequence[Body], note: str | None = None) -> Part:
        """Return a copy with other bodies (and optionally one more note)."""
        notes = (*self.notes, note) if note else self.notes
        return Part(tuple(bodies), self.source_format, self.source_units, self.name, notes, self.metadata)

    def merged(self) -> tuple[FloatArray, IndexArray]:
        """All bodies as one vertex/face array pair (vertices (n, 3) mm, faces (m, 3))."""
        offsets = np.cumsum([0] + [b.vertex_count for b in self.bodies])
        verts = np.concatenate([b.vertices for b in self.bodies]) if self.bodies else np.zeros((0, 3))
        faces = (
            np.concatenate([b.faces + off for b, off in zip(self.bodies, offsets[:-1], strict=True)])
            if self.bodies
            else np.zeros((0, 3), np.int64)
        )
        return verts, faces
