"""Parts as stored bytes: a NumPy ``.npz`` (no pickles) that keeps every body exactly.

Meshes are kept as read, defects included (duplicate vertices, degenerate triangles, flipped
windings), because 3D Print API's analyze and repair run on them later; STL or 3MF would weld or
reject some of those. Loading is a memory copy, far faster than parsing a part file again.
"""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import numpy as np

from makeready.geometry.appearance import Appearance, TextureImage
from makeready.geometry.mesh import Body, BrepProperties, Part

__all__ = ["pack_part", "unpack_part"]


def pack_part(part: Part) -> bytes:
    """The part as ``.npz`` bytes.

    ``meta`` (JSON) plus ``v<i>`` (n, 3) float64 mm and ``f<i>`` (m, 3) int64 per body; a
    textured body adds ``uv<i>`` (m, 3, 2) float64 and ``t<i>`` (m,) int64 (its images by
    index into the part's ``img<k>`` uint8 arrays, named in ``meta["images"]``).
    """
    images: list[TextureImage] = []
    bodies_meta = []
    arrays: dict[str, np.ndarray] = {}
    for i, body in enumerate(part.bodies):
        entry: dict[str, Any] = {"name": body.name, "brep": _brep_json(body.brep)}
        arrays[f"v{i}"] = np.ascontiguousarray(body.vertices, dtype=np.float64)
        arrays[f"f{i}"] = np.ascontiguousarray(body.faces, dtype=np.int64)
        if body.appearance is not None:
            for image in body.appearance.textures:
                if image not in images:
                    images.append(image)
            entry["textures"] = [images.index(image) for image in body.appearance.textures]
            arrays[f"uv{i}"] = np.ascontiguousarray(body.appearance.uvs)
            arrays[f"t{i}"] = np.ascontiguousarray(body.appearance.texture)
        bodies_meta.append(entry)
    for k, image in enumerate(images):
        arrays[f"img{k}"] = np.frombuffer(image.data, dtype=np.uint8)
    meta = {
        "name": part.name,
        "source_format": part.source_format,
        "source_units": part.source_units,
        "notes": list(part.notes),
        "metadata": dict(part.metadata),
        "bodies": bodies_meta,
        "images": [{"name": image.name, "media_type": image.media_type} for image in images],
    }
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def unpack_part(data: bytes) -> Part:
    """The part :func:`pack_part` wrote."""
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        meta = json.loads(archive["meta"].tobytes().decode())
        images = [
            TextureImage(image["name"], image["media_type"], archive[f"img{k}"].tobytes())
            for k, image in enumerate(meta.get("images", []))
        ]
        bodies = []
        for i, b in enumerate(meta["bodies"]):
            appearance = None
            if "textures" in b:
                textures = tuple(images[k] for k in b["textures"])
                appearance = Appearance(archive[f"uv{i}"], archive[f"t{i}"], textures)
            bodies.append(
                Body(b["name"], archive[f"v{i}"], archive[f"f{i}"], _brep(b.get("brep")), appearance)
            )
    return Part(
        tuple(bodies),
        meta["source_format"],
        meta["source_units"],
        name=meta["name"],
        notes=tuple(meta["notes"]),
        metadata=meta["metadata"],
    )


def _brep_json(brep: BrepProperties | None) -> dict[str, Any] | None:
    return None if brep is None else dataclasses.asdict(brep)


def _brep(data: dict[str, Any] | None) -> BrepProperties | None:
    """B-rep properties as stored; parts stored before they existed have none ("brep_volume": null)."""
    if data is None:
        return None
    fields = dict(data)
    if fields["center"] is not None:
        x, y, z = fields["center"]
        fields["center"] = (x, y, z)
    return BrepProperties(**fields)
