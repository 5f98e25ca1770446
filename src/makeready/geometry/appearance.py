"""Texture coordinates and texture images a body carries (OBJ+MTL zips, 3MF texture resources).

UVs are kept per triangle corner, shape (m, 3, 2), not per vertex: a vertex on a texture seam
has two UVs, and keeping them on the corners leaves the geometry (welded vertices, topology,
analysis) exactly as it would be without textures. The convention is OBJ's and 3MF's: (0, 0)
is the lower-left corner of the image, v grows upwards. glTF's upper-left origin is the
rendering layer's business.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from makeready.geometry.types import FloatArray

__all__ = [
    "TEXTURE_MEDIA_TYPES",
    "Appearance",
    "TextureImage",
    "image_media_type",
    "transfer_appearance",
]

IndexArray = npt.NDArray[np.int64]

#: The image formats the 3D Print API and 3MF accept for textures, and their file extensions.
TEXTURE_MEDIA_TYPES = {"image/png": ".png", "image/jpeg": ".jpg"}

#: A corner of a changed mesh takes the UV of an original corner closer than this share of the
#: part's size (box diagonal or largest coordinate): ten times the 1e-6 by which repair's
#: non-manifold split moves a vertex copy, far below any feature a texture maps.
TRANSFER_TOLERANCE = 1e-5


def image_media_type(data: bytes) -> str | None:
    """``image/png`` or ``image/jpeg`` from the image's signature; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


@dataclass(frozen=True, slots=True)
class TextureImage:
    """One texture image as the file carried it (bytes unchanged).

    Attributes
    ----------
    name : str
        File name, e.g. ``"fuze uv.jpg"``.
    media_type : str
        ``"image/png"`` or ``"image/jpeg"``.
    data : bytes
        The encoded image.

    """

    name: str
    media_type: str
    data: bytes


def _frozen(array: npt.ArrayLike, dtype: type) -> npt.NDArray[np.generic]:
    out: npt.NDArray[np.generic] = np.ascontiguousarray(array, dtype=dtype).view()
    out.flags.writeable = False
    return out


@dataclass(frozen=True, slots=True, eq=False)
class Appearance:
    """Texture mapping of a body's triangles.

    Attributes
    ----------
    uvs : (m, 3, 2) float64
        Texture coordinates of each triangle's corners in the body's face order; NaN for a
        triangle without them.
    texture : (m,) int64
        Index into ``textures`` of the image each triangle samples; -1 for none.
    textures : tuple of TextureImage
        The images.

    """

    uvs: FloatArray
    texture: IndexArray
    textures: tuple[TextureImage, ...] = ()

    def __post_init__(self) -> None:
        uvs = np.asarray(self.uvs, np.float64).reshape(-1, 3, 2)
        texture = np.asarray(self.texture, np.int64).reshape(-1)
        if len(texture) != len(uvs):
            raise ValueError(f"{len(uvs)} triangles of UVs but {len(texture)} texture indices")
        if len(texture) and int(texture.max()) >= len(self.textures):
            raise ValueError(f"texture index {int(texture.max())} of {len(self.textures)} images")
        object.__setattr__(self, "uvs", _frozen(uvs, np.float64))
        object.__setattr__(self, "texture", _frozen(texture, np.int64))
        object.__setattr__(self, "textures", tuple(self.textures))

    @property
    def has_uvs(self) -> bool:
        """True when at least one triangle has texture coordinates."""
        return bool(np.isfinite(self.uvs).all(axis=(1, 2)).any())

    def take(self, index: npt.NDArray[np.int64] | npt.NDArray[np.bool_]) -> Appearance:
        """The appearance of the triangles ``index`` (an index array or boolean mask), in that order."""
        return Appearance(self.uvs[index], self.texture[index], self.textures)

    def reversed_corners(self) -> Appearance:
        """The appearance after every face's corners are reversed (``faces[:, ::-1]``, a mirror)."""
        return Appearance(self.uvs[:, ::-1], self.texture, self.textures)


def transfer_appearance(
    appearance: Appearance,
    old_triangles: FloatArray,
    new_triangles: FloatArray,
) -> Appearance | None:
    """Carry texture coordinates over to a changed mesh by matching triangle corners in space.

    A new triangle takes the UVs of the old triangle whose corners it shares (in any order,
    within :data:`TRANSFER_TOLERANCE` of the part's size): what repair kept, flipped or
    renumbered keeps its texture; what it made (hole fills, split slivers) has none.

    Parameters
    ----------
    appearance : Appearance
        Of the old triangles.
    old_triangles, new_triangles : (m, 3, 3), (k, 3, 3) float64, mm
        Corner positions before and after.

    Returns
    -------
    Appearance or None
        For the new triangles; None when none of them matched.

    """
    from scipy.spatial import cKDTree

    if len(new_triangles) == 0 or len(old_triangles) == 0:
        return None
    corners = old_triangles.reshape(-1, 3)
    scale = max(float(np.linalg.norm(np.ptp(corners, axis=0))), float(np.abs(corners).max())) or 1.0
    tolerance = TRANSFER_TOLERANCE * scale
    tree = cKDTree(old_triangles.mean(axis=1))
    distance, nearest = tree.query(new_triangles.mean(axis=1), distance_upper_bound=3 * tolerance)
    found = np.isfinite(distance)
    nearest = np.where(found, nearest, 0)
    # (k, 3 new corners, 3 old corners) distances: each new corner's old partner.
    gaps = np.linalg.norm(new_triangles[:, :, None, :] - old_triangles[nearest][:, None, :, :], axis=3)
    partner = gaps.argmin(axis=2)
    matched = found & (gaps.min(axis=2) <= tolerance).all(axis=1)
    matched &= (np.sort(partner, axis=1) == np.arange(3)).all(axis=1)  # a permutation, not a fold
    if not matched.any():
        return None
    uvs = np.full((len(new_triangles), 3, 2), np.nan)
    texture = np.full(len(new_triangles), -1, np.int64)
    rows = np.flatnonzero(matched)
    uvs[rows] = appearance.uvs[nearest[rows][:, None], partner[rows]]
    texture[rows] = appearance.texture[nearest[rows]]
    return Appearance(uvs, texture, appearance.textures)
