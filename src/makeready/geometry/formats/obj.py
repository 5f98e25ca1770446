"""Wavefront OBJ: polygons, negative indices, objects/groups as bodies, line continuations."""

from __future__ import annotations

import itertools
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from makeready.errors import MakereadyError
from makeready.geometry.appearance import TEXTURE_MEDIA_TYPES, Appearance, TextureImage, image_media_type
from makeready.geometry.formats.common import (
    ReadResult,
    compact,
    ensure_finite,
    ensure_indices,
    face_array,
    index_array,
)
from makeready.geometry.mesh import Body, Part
from makeready.geometry.polygons import triangulate_polygons
from makeready.geometry.types import FloatArray
from makeready.limits import LoadLimits

__all__ = ["Resources", "decode_text", "parse_mtl", "read_obj", "write_obj", "write_obj_package"]

IndexArray = npt.NDArray[np.int64]


def decode_text(data: bytes) -> bytes:
    """Return UTF-8 bytes for text that may carry a UTF-8/UTF-16 byte-order mark.

    UTF-16 that is cut short (an odd byte count, half a surrogate pair: a sample of a file, or a
    broken file) decodes with U+FFFD for the broken unit; the parser then reports what it cannot
    read instead of the decoder failing.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace").encode("utf-8")
    return data.removeprefix(b"\xef\xbb\xbf")


def read_obj(data: bytes, limits: LoadLimits, resources: Resources | None = None) -> ReadResult:
    """Read an OBJ's polygon faces, with texture coordinates and MTL textures where it has them.

    Bodies follow ``o`` names, else ``g`` names; faces before either go to a body named after
    the file. Faces with fewer than three corners are skipped with a note, as are lines and
    points, which have no volume. Normal indices are ignored.

    Parameters
    ----------
    data : bytes
        The OBJ text.
    limits : LoadLimits
        Triangle limit.
    resources : callable, optional
        ``resources(path)`` returns the bytes of a file beside the OBJ (``mtllib`` files and
        their ``map_Kd`` images, paths relative to the OBJ) or None; a zip reader passes it.
        Without it, UVs are kept and the images are reported missing. UVs are read for
        faces after the first ``vt`` line (where exporters write them).

    """
    text = decode_text(data).replace(b"\\\r\n", b" ").replace(b"\\\n", b" ")
    vertex_lines: list[bytes] = []
    uv_lines: list[bytes] = []
    face_rows: list[list[int]] = []
    uv_rows: list[list[int] | None] = []
    face_body: list[int] = []
    face_material: list[int] = []
    body_names: list[str] = ["default"]
    body_index: dict[str, int] = {"default": 0}
    material_names: list[str] = []
    material_index: dict[str, int] = {}
    libraries: list[str] = []
    use_groups = b"\no " not in b"\n" + text and not text.startswith(b"o ")
    current, material = 0, -1
    short_faces = 0
    skipped_elements = 0
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] == 35:  # '#'
            continue
        head, _, rest = line.partition(b" ") if b" " in line else line.partition(b"\t")
        if head == b"v":
            vertex_lines.append(rest)
        elif head == b"f":
            corners = rest.split()
            if len(corners) < 3:
                short_faces += 1
                continue
            if uv_lines:
                positions, uvs = _textured_face_indices(corners, len(vertex_lines), len(uv_lines))
                face_rows.append(positions)
                uv_rows.append(uvs)
            else:  # no vt so far (most files): positions only, the fast way
                face_rows.append(_face_indices(corners, len(vertex_lines)))
                uv_rows.append(None)
            face_body.append(current)
            face_material.append(material)
        elif head == b"vt":
            uv_lines.append(rest)
        elif head == b"usemtl":
            name = rest.strip().decode("utf-8", "replace")
            material = material_index.setdefault(name, len(material_names))
            if material == len(material_names):
                material_names.append(name)
        elif head == b"mtllib":
            libraries.append(rest.strip().decode("utf-8", "replace"))
        elif head == b"o" or (head == b"g" and use_groups):
            name = rest.strip().decode("utf-8", "replace") or f"body{len(body_names)}"
            if name not in body_index:
                body_index[name] = len(body_names)
                body_names.append(name)
            current = body_index[name]
        elif head in (b"l", b"p"):
            skipped_elements += 1
    vertices = _parse_vertices(vertex_lines)
    notes = []
    if short_faces:
        notes.append(f"{short_faces} face line(s) with fewer than 3 corners skipped")
    if skipped_elements:
        notes.append(f"{skipped_elements} line/point element(s) ignored (they enclose no volume)")
    faces = _Faces(face_rows, np.asarray(face_body, np.int64), np.asarray(face_material, np.int64))
    texturing = None
    if uv_lines and face_rows:
        uv_table = _parse_uvs(uv_lines)
        textures, material_texture = _material_textures(libraries, material_names, resources, notes)
        texturing = _Texturing(uv_table, uv_rows, material_texture, textures)
    bodies = _build_bodies(vertices, faces, body_names, limits, texturing)
    return ReadResult(bodies, "obj", notes=notes)


#: ``resources(path)``: a file beside the OBJ, by its path relative to the OBJ; None if absent.
Resources = Callable[[str], "bytes | None"]


@dataclass
class _Faces:
    rows: list[list[int]]  # position indices per polygon
    body: IndexArray  # (p,) body of each polygon
    material: IndexArray  # (p,) usemtl index of each polygon, -1 before any


@dataclass
class _Texturing:
    uvs: FloatArray  # (t, 2) the file's vt table
    rows: list[list[int] | None]  # vt indices per polygon corner, -1 where a corner has none
    material_texture: IndexArray  # (materials,) image index of each usemtl, -1 for none
    textures: tuple[TextureImage, ...]


def _face_indices(corners: list[bytes], seen: int) -> list[int]:
    """Position indices of a face's corners, 0-based."""
    try:
        idx = [int(c.split(b"/", 1)[0]) for c in corners]
    except ValueError:
        raise MakereadyError("obj.invalid", f"face corner(s) {corners!r} are not integers") from None
    # OBJ counts from 1; negative indices count back from the last vertex defined so far.
    return [i - 1 if i > 0 else (seen + i if i < 0 else _INVALID) for i in idx]


def _textured_face_indices(corners: list[bytes], seen: int, seen_uvs: int) -> tuple[list[int], list[int]]:
    """Position and texture-coordinate indices of a face's corners (0-based; -1: no UV)."""
    try:
        fields = [c.split(b"/", 2) for c in corners]
        idx = [int(f[0]) for f in fields]
        uv = [int(f[1]) if len(f) > 1 and f[1] else 0 for f in fields]
    except ValueError:
        raise MakereadyError("obj.invalid", f"face corner(s) {corners!r} are not integers") from None
    # OBJ counts from 1; negative indices count back from the last vertex defined so far.
    positions = [i - 1 if i > 0 else (seen + i if i < 0 else _INVALID) for i in idx]
    uvs = [i - 1 if i > 0 else (seen_uvs + i if i < 0 else -1) for i in uv]
    return positions, uvs


_INVALID = -(1 << 40)


def _parse_uvs(lines: list[bytes]) -> FloatArray:
    """The vt table, (t, 2): u, v (a missing v is 0, w is dropped; u is required)."""
    rows = [line.split()[:2] for line in lines]
    if not all(rows):
        raise MakereadyError("file.invalid_number", "OBJ texture coordinates: a vt line has no u")
    return _numbers([row if len(row) == 2 else [row[0], b"0"] for row in rows], "texture coordinates")


def _numbers(rows: list[list[bytes]], what: str) -> FloatArray:
    """Rows of number words as float64, finite (``file.invalid_number`` naming ``what`` otherwise)."""
    try:
        values: FloatArray = np.array(rows, dtype=np.bytes_).astype(np.float64)
    except ValueError as exc:
        raise MakereadyError("file.invalid_number", f"OBJ {what}: {exc}") from None
    ensure_finite(values, f"OBJ {what}")
    return values


def _material_textures(
    libraries: list[str], materials: list[str], resources: Resources | None, notes: list[str]
) -> tuple[tuple[TextureImage, ...], IndexArray]:
    """Each usemtl's texture image (``map_Kd``) from the MTL libraries, read through ``resources``."""
    table = np.full(len(materials), -1, np.int64)
    if not materials:
        return (), table
    if resources is None:
        notes.append(
            "texture coordinates kept; texture images are not read from a bare OBJ "
            "(send a zip of the OBJ, its MTL and images)"
        )
        return (), table
    maps: dict[str, str] = {}
    for library in libraries:
        mtl = resources(library)
        if mtl is None:
            notes.append(f"material library {library!r} is not beside the OBJ; textures left out")
            continue
        folder = posixpath.dirname(library.replace("\\", "/"))
        for name, image in parse_mtl(mtl).items():
            maps.setdefault(name, posixpath.join(folder, image) if folder else image)
    images: list[TextureImage] = []
    by_path: dict[str, int] = {}
    for k, name in enumerate(materials):
        path = maps.get(name)
        if path is None:
            continue
        if path not in by_path:
            data = resources(path)
            kind = image_media_type(data) if data is not None else None
            if data is None or kind is None:
                why = "is not in the upload" if data is None else "is not a PNG or JPEG image"
                notes.append(f"texture {path!r} of material {name!r} {why}; left out")
                by_path[path] = -1
            else:
                by_path[path] = len(images)
                images.append(TextureImage(posixpath.basename(path), kind, data))
        table[k] = by_path[path]
    return tuple(images), table


def parse_mtl(data: bytes) -> dict[str, str]:
    """Material name -> diffuse texture path (``map_Kd``, options such as ``-s 1 1 1`` dropped)."""
    out: dict[str, str] = {}
    current = None
    for raw in decode_text(data).decode("utf-8", "replace").splitlines():
        words = raw.split()
        if not words:
            continue
        if words[0] == "newmtl":
            current = " ".join(words[1:])
        elif words[0] == "map_Kd" and current is not None:
            # Options are "-name" followed by numbers or on/off; the rest is the file name,
            # which may contain spaces ("fuze uv.jpg").
            rest = raw.strip()[len("map_Kd") :].split()
            while rest and rest[0].startswith("-"):
                rest = rest[1:]
                while rest and (_is_number(rest[0]) or rest[0] in ("on", "off")):
                    rest = rest[1:]
            if rest:
                out[current] = " ".join(rest).replace("\\", "/")
    return out


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _parse_vertices(lines: list[bytes]) -> FloatArray:
    if not lines:
        return np.zeros((0, 3))
    rows = [line.split()[:3] for line in lines]
    if any(len(r) < 3 for r in rows):
        raise MakereadyError("obj.invalid", "a 'v' line has fewer than 3 coordinates")
    return _numbers(rows, "vertices")


def _build_bodies(
    vertices: FloatArray,
    faces: _Faces,
    names: list[str],
    limits: LoadLimits,
    texturing: _Texturing | None,
) -> list[Body]:
    rows = faces.rows
    if not rows:
        return []
    sizes = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    if int((sizes - 2).sum()) > limits.max_triangles:
        raise MakereadyError(
            "file.too_many_triangles", f"more than {limits.max_triangles} triangles in the OBJ"
        )
    if texturing is not None:
        return _textured_bodies(vertices, faces, sizes, names, texturing)
    bodies = []
    for name, by_size in _polygons_by_body(faces.body, sizes, names):
        groups = []
        for chosen in by_size:
            group = face_array([rows[i] for i in chosen], f"OBJ body {name!r}")
            ensure_indices(group, len(vertices), f"OBJ body {name!r}")
            groups.append(group)
        tris = triangulate_polygons(vertices, groups)
        verts, tris, _ = compact(vertices, tris)
        bodies.append(Body(name, verts, tris))
    return bodies


def _polygons_by_body(
    body: IndexArray, sizes: IndexArray, names: list[str]
) -> Iterator[tuple[str, list[IndexArray]]]:
    """Each body's name and its polygons' indices, one array per corner count (bodies with none skipped)."""
    for body_id, name in enumerate(names):
        mine = np.flatnonzero(body == body_id)
        if len(mine):
            yield name, [mine[sizes[mine] == k] for k in np.unique(sizes[mine])]


def _textured_bodies(
    vertices: FloatArray, faces: _Faces, sizes: IndexArray, names: list[str], texturing: _Texturing
) -> list[Body]:
    """Bodies whose triangles keep their corners' UVs through triangulation.

    Polygons are triangulated over their corner slots (one slot per corner written in the
    file), so each triangle knows which written corner, hence which vt, each of its corners is.
    """
    starts = np.concatenate([[0], np.cumsum(sizes)])
    slot_position = index_array(itertools.chain.from_iterable(faces.rows), int(starts[-1]), "OBJ faces")
    pairs = zip(texturing.rows, faces.rows, strict=True)
    uv_rows = (row if row is not None else [-1] * len(face) for row, face in pairs)
    slot_uv = index_array(itertools.chain.from_iterable(uv_rows), int(starts[-1]), "OBJ faces")
    ensure_indices(slot_position, len(vertices), "OBJ faces")
    if len(slot_uv) and (int(slot_uv.min()) < -1 or int(slot_uv.max()) >= len(texturing.uvs)):
        bad = int(np.count_nonzero((slot_uv < -1) | (slot_uv >= len(texturing.uvs))))
        raise MakereadyError(
            "file.index_out_of_range",
            f"OBJ faces: {bad} corner(s) refer to texture coordinates outside 1..{len(texturing.uvs)}",
            count=bad,
        )
    slot_points = vertices[slot_position]
    bodies = []
    for name, by_size in _polygons_by_body(faces.body, sizes, names):
        groups = [starts[chosen][:, None] + np.arange(sizes[chosen[0]]) for chosen in by_size]
        slots = triangulate_polygons(slot_points, groups)
        # Which polygon each triangle came from: slots of one polygon are contiguous.
        polygon = np.searchsorted(starts, slots[:, 0], side="right") - 1
        uv_index = slot_uv[slots]
        uvs = np.where((uv_index >= 0)[..., None], texturing.uvs[np.maximum(uv_index, 0)], np.nan)
        uvs[(uv_index < 0).any(axis=1)] = np.nan  # a triangle is textured on all corners or none
        # usemtl -1 (none yet) picks the appended -1: no texture.
        texture = np.append(texturing.material_texture, -1)[faces.material[polygon]]
        verts, tris, _ = compact(vertices, slot_position[slots])
        appearance = Appearance(uvs, texture, texturing.textures)
        bodies.append(Body(name, verts, tris, appearance=appearance))
    return bodies


def write_obj(part: Part, *, material_library: str | None = None) -> bytes:
    """OBJ text with one ``o`` per body, coordinates in mm with 17 significant digits.

    Texture coordinates are written as ``vt`` (faces ``v/vt``); with ``material_library`` the
    text names it (``mtllib``) and each textured run of faces its material (``usemtl``), as
    :func:`write_obj_package` lays them out.
    """
    out = ["# makeready OBJ export, units: mm"]
    if material_library is not None:
        out.append(f"mtllib {material_library}")
    images = _PackageImages(part) if material_library is not None else None
    offset, uv_offset = 1, 1
    for body in part.bodies:
        out.append(f"o {body.name}")
        out.extend("v %.17g %.17g %.17g" % tuple(v) for v in body.vertices.tolist())
        faces = body.faces + offset
        offset += body.vertex_count
        appearance = body.appearance
        if appearance is None or not appearance.has_uvs:
            out.extend("f %d %d %d" % tuple(f) for f in faces.tolist())
            continue
        textured = np.isfinite(appearance.uvs).all(axis=(1, 2))
        table, corner_uv = np.unique(appearance.uvs[textured].reshape(-1, 2), axis=0, return_inverse=True)
        out.extend("vt %.17g %.17g" % tuple(uv) for uv in table.tolist())
        uv_index = np.full((len(faces), 3), -1, np.int64)
        uv_index[textured] = corner_uv.reshape(-1, 3) + uv_offset
        uv_offset += len(table)
        material = images.materials(appearance) if images is not None else np.full(len(faces), -1)
        # Faces in runs of one material; a run's usemtl line only when a library is written.
        order = np.argsort(material, kind="stable")
        for run in np.split(order, np.flatnonzero(np.diff(material[order])) + 1):
            if images is not None:
                out.append(f"usemtl {images.material_name(int(material[run[0]]))}")
            for f, t in zip(faces[run].tolist(), uv_index[run].tolist(), strict=True):
                if t[0] < 0:
                    out.append("f %d %d %d" % tuple(f))
                else:
                    out.append("f %d/%d %d/%d %d/%d" % (f[0], t[0], f[1], t[1], f[2], t[2]))
    return ("\n".join(out) + "\n").encode("utf-8")


def write_obj_package(part: Part, stem: str, *, taken: Callable[[str, bytes], bool] | None = None) -> bytes:
    """A zip of ``stem.obj``, ``stem.mtl`` and the texture images, as the 3D Print API imports them.

    ``taken(name, data)`` says a file name is used by other bytes where the package will be
    unpacked (a folder on disk): such an image is written as ``name_1.png`` and so on.
    """
    import io
    import zipfile

    images = _PackageImages(part, taken)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{stem}.obj", write_obj(part, material_library=f"{stem}.mtl"))
        archive.writestr(f"{stem}.mtl", images.mtl())
        for name, image in zip(images.names, images.images, strict=True):
            archive.writestr(name, image.data)
    return buffer.getvalue()


class _PackageImages:
    """The distinct texture images of a part under unique file names, one material each."""

    def __init__(self, part: Part, taken: Callable[[str, bytes], bool] | None = None) -> None:
        self._taken = taken
        self.images: list[TextureImage] = []
        self.names: list[str] = []
        self._index: dict[tuple[str, bytes], int] = {}
        for body in part.bodies:
            for image in body.appearance.textures if body.appearance else ():
                key = (image.name, image.data)
                if key in self._index:
                    continue
                self._index[key] = len(self.images)
                self.images.append(image)
                self.names.append(self._unique(image))

    def _unique(self, image: TextureImage) -> str:
        stem, dot, ext = image.name.rpartition(".")
        stem, ext = (stem, ext) if dot else (image.name, TEXTURE_MEDIA_TYPES[image.media_type][1:])
        name, k = f"{stem}.{ext}", 1
        while name in self.names or (self._taken is not None and self._taken(name, image.data)):
            name, k = f"{stem}_{k}.{ext}", k + 1
        return name

    def materials(self, appearance: Appearance) -> IndexArray:
        """Each triangle's image in this package's numbering (-1: none)."""
        local = np.array([self._index[(t.name, t.data)] for t in appearance.textures] + [-1], np.int64)
        result: IndexArray = local[appearance.texture]  # -1 picks the appended -1
        return result

    @staticmethod
    def material_name(index: int) -> str:
        return "untextured" if index < 0 else f"texture{index}"

    def mtl(self) -> str:
        lines = ["# makeready MTL export", "newmtl untextured", "Kd 0.8 0.8 0.8"]
        for k, name in enumerate(self.names):
            lines += [f"newmtl {self.material_name(k)}", "Kd 1 1 1", f"map_Kd {name}"]
        return "\n".join(lines) + "\n"
