"""Reading and writing part files, with the format sniffed from content.

``load`` accepts STL (binary, ASCII), OBJ (also zipped with MTL and textures), 3MF, PLY, OFF,
STEP and zip archives of these. ``save`` writes STL (binary, ASCII), OBJ and 3MF.
"""

from __future__ import annotations

import dataclasses
import os
import posixpath
from pathlib import Path
from typing import BinaryIO

from makeready.errors import MakereadyError
from makeready.geometry.formats.archive import SafeZip
from makeready.geometry.formats.common import ReadResult, is_text, non_mesh_kind
from makeready.geometry.formats.obj import Resources, decode_text, read_obj, write_obj, write_obj_package
from makeready.geometry.formats.off import looks_like_off, read_off
from makeready.geometry.formats.ply import looks_like_ply, read_ply
from makeready.geometry.formats.step import looks_like_step, read_step
from makeready.geometry.formats.stl import looks_like_stl, read_stl, write_stl_ascii, write_stl_binary
from makeready.geometry.formats.threemf import is_3mf_package, read_3mf, write_3mf
from makeready.geometry.mesh import Part
from makeready.limits import DEFAULT_LIMITS, LoadLimits
from makeready.units import MM_PER_UNIT, normalize_unit

__all__ = ["FORMATS", "WRITERS", "load", "save", "sniff"]

#: Formats ``load`` reads, by sniffed name.
FORMATS = ("stl", "obj", "3mf", "ply", "off", "step", "zip")
#: Formats ``save`` writes, by name, with their usual extension.
WRITERS = {"stl": ".stl", "stl-ascii": ".stl", "obj": ".obj", "obj-zip": ".zip", "3mf": ".3mf"}
_EXTENSIONS = {".stl": "stl", ".obj": "obj", ".3mf": "3mf", ".ply": "ply", ".off": "off", ".step": "step",
               ".stp": "step", ".zip": "zip"}  # fmt: skip
_PART_EXTENSIONS = tuple(e for e in _EXTENSIONS if e != ".zip")

Source = str | os.PathLike[str] | bytes | bytearray | memoryview | BinaryIO


def sniff(data: bytes, filename: str | None = None) -> str:
    """Name the format of ``data`` from its content; the extension only breaks ties.

    Raises
    ------
    MakereadyError
        ``file.empty`` or ``file.unsupported_format``.

    """
    if not data:
        raise MakereadyError("file.empty", "the file is empty (0 bytes)")
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    looks_like = non_mesh_kind(data)
    if looks_like is not None and not looks_like_stl(data):  # a binary STL's header is free text
        raise MakereadyError(
            "file.unsupported_format",
            f"the content looks like {looks_like}, not a part file (STL, OBJ, 3MF, PLY, OFF, STEP "
            "or a zip of them)",
            looks_like=looks_like,
        )
    if looks_like_step(data):
        return "step"
    if looks_like_ply(data):
        return "ply"
    if looks_like_stl(data):
        return "stl"
    ext = os.path.splitext(filename or "")[1].lower()
    sample = decode_text(data[:8192])
    if is_text(sample):
        if looks_like_off(sample):
            return "off"
        lines = [line.split(None, 1)[0] for line in sample.splitlines() if line.strip()]
        if any(word in (b"v", b"f", b"vn", b"vt", b"o", b"g", b"mtllib", b"usemtl") for word in lines[:200]):
            return "obj"
        if ext in (".obj", ".off"):
            return ext[1:]  # e.g. an OBJ of comments only: its reader says it holds no triangles
    if ext == ".stl":
        return "stl"  # a size that does not fit the binary layout, or text without 'solid': read_stl says why
    hint = f" (extension {ext!r})" if ext else ""
    raise MakereadyError(
        "file.unsupported_format",
        f"the content is not STL, OBJ, 3MF, PLY, OFF, STEP or a zip of them{hint}",
    )


def _read_bytes(source: Source, limits: LoadLimits) -> tuple[bytes, str | None]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = None
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > limits.max_bytes:
                raise MakereadyError(
                    "file.too_large", f"{path.name} has {size} bytes (limit {limits.max_bytes})"
                )
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, PermissionError, NotADirectoryError) as exc:
            raise MakereadyError("file.not_found", f"cannot read {str(path)!r}: {exc.strerror}") from None
        name = path.name
    else:
        data = source.read(limits.max_bytes + 1)
        name = getattr(source, "name", None)
    if len(data) > limits.max_bytes:
        raise MakereadyError("file.too_large", f"the file has more than {limits.max_bytes} bytes")
    return data, os.path.basename(str(name)) if name else None


def _read_any(
    data: bytes,
    filename: str | None,
    limits: LoadLimits,
    step_tolerance: float,
    resources: Resources | None = None,
) -> ReadResult:
    kind = sniff(data, filename)
    if kind == "stl":
        return read_stl(data, limits)
    if kind == "obj":
        return read_obj(data, limits, resources)
    if kind == "ply":
        return read_ply(data, limits)
    if kind == "off":
        return read_off(data, limits)
    if kind == "step":
        return read_step(data, tolerance=step_tolerance)
    archive = SafeZip(data, limits)
    if is_3mf_package(archive):
        return read_3mf(archive, limits)
    return _read_zip(archive, limits, step_tolerance)


def _read_zip(archive: SafeZip, limits: LoadLimits, step_tolerance: float) -> ReadResult:
    """A plain zip: read every part file in it (OBJ with its MTL and textures, STLs, OFFs…)."""
    members = [n for n in archive.names() if n.lower().endswith(_PART_EXTENSIONS) and "__MACOSX" not in n]
    if not members:
        raise MakereadyError("zip.no_part", f"the archive holds no part file ({', '.join(_PART_EXTENSIONS)})")
    combined = ReadResult([], "zip")
    for member in members:
        inner = _read_any(archive.read(member), member, limits, step_tolerance, _beside(archive, member))
        combined.source_format = f"zip/{inner.source_format}"
        combined.units = combined.units or inner.units
        combined.units_applied = inner.units_applied
        label = os.path.splitext(os.path.basename(member))[0]
        for body in inner.bodies:
            name = label if len(inner.bodies) == 1 and len(members) > 1 else body.name
            combined.bodies.append(dataclasses.replace(body, name=name))
        combined.notes.extend(f"{member}: {note}" for note in inner.notes)
    if len(members) > 1:
        combined.notes.append(f"{len(members)} part files read from the archive")
    return combined


def _beside(archive: SafeZip, member: str) -> Resources:
    """Files next to ``member`` in the archive by relative path (an OBJ's MTL and images)."""
    folder = posixpath.dirname(member.replace("\\", "/"))

    def read(relative: str) -> bytes | None:
        path = posixpath.normpath(posixpath.join(folder, relative.replace("\\", "/")))
        if path.startswith("../") or archive.find(path) is None:
            return None
        return archive.read(path)

    return read


def _folder_files(folder: Path, limits: LoadLimits) -> Resources:
    """Files beside a part read from disk (an OBJ's MTL and images), within the byte limit."""

    def read(relative: str) -> bytes | None:
        path = folder / relative.replace("\\", "/")
        try:
            if path.stat().st_size > limits.max_bytes:
                return None
            return path.read_bytes()
        except (OSError, ValueError):
            return None

    return read


def load(
    source: Source,
    *,
    units: str | None = None,
    filename: str | None = None,
    limits: LoadLimits = DEFAULT_LIMITS,
    step_tolerance: float = 0.01,
) -> Part:
    """Read a part file into a :class:`~makeready.geometry.mesh.Part` in millimetres.

    Parameters
    ----------
    source : path, bytes or binary file object
        The file. Its format is sniffed from the content.
    units : str, optional
        Unit of the coordinates for formats that carry none (STL, OBJ, PLY, OFF); default mm.
        3MF and STEP declare their own units, which always win (a note says so).
    filename : str, optional
        Display name and extension hint when ``source`` is bytes or a stream.
    limits : LoadLimits
        Byte, triangle and archive limits.
    step_tolerance : float, mm
        Linear tessellation tolerance for STEP.

    Returns
    -------
    Part
        Bodies with vertices (n, 3) float64 in mm and faces (m, 3) int64.

    Raises
    ------
    MakereadyError
        For input that cannot be used (see ``docs/errors.md`` for the codes).

    """
    data, found_name = _read_bytes(source, limits)
    name = filename or found_name
    beside = _folder_files(Path(source).parent, limits) if isinstance(source, (str, os.PathLike)) else None
    result = _read_any(data, name, limits, step_tolerance, beside)
    notes = list(result.notes)
    source_units = result.units or "millimeter"
    bodies = result.bodies
    if units is not None:
        wanted = normalize_unit(units)
        if result.units_applied:
            notes.append(f"units={wanted!r} ignored: the file declares its own unit ({source_units})")
        else:
            source_units = wanted
            if wanted != "millimeter":
                scale = MM_PER_UNIT[wanted]
                bodies = [
                    dataclasses.replace(b, vertices=b.vertices * scale, brep=b.brep and b.brep.scaled(scale))
                    for b in bodies
                ]
                notes.append(f"units converted from {wanted} to mm")
    triangles = sum(b.triangle_count for b in bodies)
    if triangles == 0:
        raise MakereadyError("file.no_triangles", "the file is readable but holds no triangles")
    if triangles > limits.max_triangles:
        raise MakereadyError(
            "file.too_many_triangles", f"{triangles} triangles (limit {limits.max_triangles})"
        )
    stem = os.path.splitext(name)[0] if name else "part"
    title = result.metadata.get("Title")
    return Part(
        tuple(bodies), result.source_format, source_units, title or stem, tuple(notes), result.metadata
    )


def save(
    part: Part, target: str | os.PathLike[str] | BinaryIO, fmt: str | None = None, *, unit: str = "millimeter"
) -> None:
    """Write ``part`` as STL (binary), ASCII STL, OBJ, a zip of OBJ + MTL + textures, or 3MF.

    Textures survive OBJ-zip and 3MF; an OBJ written to a path gets its MTL and images beside
    it (``name.mtl``); an OBJ written to a stream keeps the UVs only.

    Parameters
    ----------
    part : Part
        What to write (coordinates in mm).
    target : path or binary file object
        Where to write.
    fmt : {"stl", "stl-ascii", "obj", "obj-zip", "3mf"}, optional
        The format; taken from a path's extension when omitted.
    unit : str
        Model unit for 3MF output (others are always written in mm).

    """
    if fmt is None:
        ext = os.path.splitext(str(target))[1].lower() if isinstance(target, (str, os.PathLike)) else ""
        fmt = {".stl": "stl", ".obj": "obj", ".3mf": "3mf", ".zip": "obj-zip"}.get(ext)
        if fmt is None:
            raise MakereadyError(
                "file.unsupported_format", f"cannot tell the output format from {str(target)!r}"
            )
    if fmt == "stl":
        payload = write_stl_binary(part)
    elif fmt == "stl-ascii":
        payload = write_stl_ascii(part)
    elif fmt == "obj" and isinstance(target, (str, os.PathLike)) and part.has_uvs:
        _write_obj_files(part, Path(target))
        return
    elif fmt == "obj":
        payload = write_obj(part)
    elif fmt == "obj-zip":
        stem = (
            os.path.splitext(os.path.basename(str(target)))[0]
            if isinstance(target, (str, os.PathLike))
            else ""
        )
        payload = write_obj_package(part, stem or part.name or "part")
    elif fmt == "3mf":
        payload = write_3mf(part, unit=normalize_unit(unit))
    else:
        raise MakereadyError("file.unsupported_format", f"makeready writes {', '.join(WRITERS)}, not {fmt!r}")
    if isinstance(target, (str, os.PathLike)):
        Path(target).write_bytes(payload)
    else:
        target.write(payload)


def _write_obj_files(part: Part, target: Path) -> None:
    """``target`` (.obj) with its MTL and texture images beside it, as the OBJ zip lays them out."""
    import io
    import zipfile

    def taken(name: str, data: bytes) -> bool:  # never overwrite another model's image
        path = target.parent / name
        return path.exists() and path.read_bytes() != data

    package = write_obj_package(part, target.stem, taken=taken)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        for name in archive.namelist():
            (target.parent / (target.name if name.endswith(".obj") else name)).write_bytes(archive.read(name))
