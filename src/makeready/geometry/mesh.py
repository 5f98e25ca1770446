"""Immutable value objects for parts: a :class:`Part` holds one or more :class:`Body`.

All coordinates are millimetres in the part's own frame, with every transform from the
source file (3MF build items and components, unit scaling) already applied.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from makeready.geometry.appearance import Appearance
from makeready.geometry.triangles import areas, signed_volume
from makeready.geometry.types import FloatArray

__all__ = ["Body", "BrepProperties", "Part", "freeze"]

IndexArray = npt.NDArray[np.int64]


def freeze(array: npt.ArrayLike, dtype: Any) -> Any:
    """Return ``array`` as a C-contiguous, read-only ndarray of ``dtype`` (no copy when possible)."""
    out = np.ascontiguousarray(array, dtype=dtype).view()
    out.flags.writeable = False
    return out


def _xyz(point: npt.ArrayLike) -> tuple[float, float, float]:
    x, y, z = np.asarray(point, np.float64).reshape(3)
    return float(x), float(y), float(z)


@dataclass(frozen=True, slots=True)
class BrepProperties:
    """Mass properties of the exact B-rep shape a body was tessellated from (STEP).

    Attributes
    ----------
    closed : bool
        True when the shape is a solid bounded by closed shells.
    area : float, mm²
        Exact surface area.
    volume : float or None, mm³
        Exact volume; None for an open shape.
    center : tuple of 3 float or None, mm
        Exact centre of mass (uniform density); None for an open shape.
    tolerance : float, mm
        Linear deflection of the tessellation: no mesh point lies farther from the surface,
        so the mesh volume may differ from ``volume`` by up to about ``area * tolerance``.

    """

    closed: bool
    area: float
    volume: float | None
    center: tuple[float, float, float] | None
    tolerance: float

    def scaled(self, factor: float) -> BrepProperties:
        """The same shape scaled uniformly by ``factor`` (e.g. a unit conversion)."""
        return BrepProperties(
            self.closed,
            self.area * factor**2,
            None if self.volume is None else self.volume * factor**3,
            None if self.center is None else _xyz(np.asarray(self.center) * factor),
            self.tolerance * factor,
        )


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
    brep : BrepProperties or None
        Exact mass properties of the B-rep shape the mesh was tessellated from (STEP).
    appearance : Appearance or None
        Texture coordinates per triangle corner and texture images (OBJ+MTL, 3MF textures).

    """

    name: str
    vertices: FloatArray
    faces: IndexArray
    brep: BrepProperties | None = None
    appearance: Appearance | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "vertices", freeze(self.vertices, np.float64).reshape(-1, 3))
        object.__setattr__(self, "faces", freeze(self.faces, np.int64).reshape(-1, 3))
        if self.appearance is not None and len(self.appearance.texture) != len(self.faces):
            raise ValueError(
                f"appearance of {len(self.appearance.texture)} triangles on a body of {len(self.faces)}"
            )

    @property
    def has_uvs(self) -> bool:
        """True when some triangle carries texture coordinates."""
        return self.appearance is not None and self.appearance.has_uvs

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
        return float(signed_volume(self.triangles() - (lo + hi) / 2.0).sum())

    @property
    def area(self) -> float:
        """Surface area in mm²."""
        if self.triangle_count == 0:
            return 0.0
        return float(areas(self.triangles()).sum())

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
        faces, appearance = self.faces, self.appearance
        if np.linalg.det(m[:3, :3]) < 0:  # a mirror turns the winding inside out; undo it
            faces = faces[:, ::-1]
            appearance = appearance and appearance.reversed_corners()
        brep = self.brep
        if brep is not None and not np.isclose(abs(np.linalg.det(m[:3, :3])), 1.0, rtol=0, atol=1e-9):
            brep = None  # a non-rigid map changes the solid: its exact properties are unknown
        elif brep is not None and brep.center is not None:  # a rigid motion moves the centre
            centre = np.asarray(brep.center) @ m[:3, :3].T + m[:3, 3]
            brep = dataclasses.replace(brep, center=_xyz(centre))
        return Body(self.name, verts, faces, brep, appearance)


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
    def has_uvs(self) -> bool:
        """True when some body carries texture coordinates (the 3D Print API's ``geom.has_uvs``)."""
        return any(b.has_uvs for b in self.bodies)

    @property
    def volume(self) -> float:
        """Sum of the bodies' signed volumes, mm³."""
        return sum(b.volume for b in self.bodies)

    @property
    def area(self) -> float:
        """Sum of the bodies' surface areas, mm²."""
        return sum(b.area for b in self.bodies)

    @property
    def brep(self) -> BrepProperties | None:
        """Exact B-rep properties of the whole part: None unless every body came from a B-rep.

        Volumes and areas add up; the centre of mass is the volume-weighted mean (closed parts).
        """
        breps = [b.brep for b in self.bodies]
        if not breps or any(b is None for b in breps):
            return None
        known = [b for b in breps if b is not None]
        closed = all(b.closed for b in known)
        volumes = [b.volume for b in known if b.volume is not None]
        centres = [b.center for b in known if b.center is not None]
        volume = sum(volumes) if closed else None
        centre = None
        if closed and volume:
            mean = np.average(np.asarray(centres), axis=0, weights=np.asarray(volumes))
            centre = _xyz(mean)
        return BrepProperties(
            closed, sum(b.area for b in known), volume, centre, max(b.tolerance for b in known)
        )

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

    def transformed(self, matrix: npt.ArrayLike) -> Part:
        """A copy with every body moved by a 4x4 (or 3x4) affine ``matrix`` or a 3x3 rotation."""
        m = np.asarray(matrix, dtype=np.float64)
        if m.shape == (3, 3):
            full = np.eye(4)
            full[:3, :3] = m
            m = full
        return self.with_bodies([b.transformed(m) for b in self.bodies])

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
