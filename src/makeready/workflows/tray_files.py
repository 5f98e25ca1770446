"""Raw tray files: a prepared tray, device-independent, and its translation into any printer's file.

The 3D Print API's ``generate-printable`` with ``generate_raw`` wrote a device-independent file
first and ran a per-printer translator on it; ``trays/translate`` did the second step alone
(raw file + printer type + profile + material -> printable). makeready's raw file is a zip:

* ``tray.json``: ``format`` (``makeready-raw-tray/1``), the source printer type, profile and
  material ids, and per mesh its id and name;
* ``meshes/<mesh id>.3mf``: each mesh placed on the tray (tray coordinates: origin at the plate
  centre, z up, millimetres);
* ``supports/<mesh id>.3mf``: the support structure of each supported mesh, same coordinates.

Everything in it is plain 3MF and JSON, so any 3MF reader opens the geometry. Translating keeps
every orientation, support and, where it fits the target printer, every placement; meshes that
stand outside the target's build volume are laid out anew on its plate, each with its supports
(``summary["repositioned"]``). A mesh too large for the target is refused
(``printable.does_not_fit`` / ``tray.does_not_fit``), as for any printable.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from makeready.errors import MakereadyError
from makeready.geometry.formats import load
from makeready.geometry.formats.threemf import write_3mf
from makeready.geometry.mesh import Part
from makeready.limits import LoadLimits
from makeready.print_definitions import PrintDefinitions
from makeready.printables.fit import misfit
from makeready.workflows.trays import (
    MeshAttrs,
    State,
    Tray,
    create_tray,
    generate_printable,
    position,
)

__all__ = ["RAW_FORMAT", "raw_tray", "translate"]

RAW_FORMAT = "makeready-raw-tray/1"
_STATES: tuple[State, ...] = ("created", "repaired", "oriented", "positioned", "supported")


def raw_tray(tray: Tray) -> bytes:
    """The device-independent raw file of a ready tray (see the module text)."""
    if not tray.ready:
        raise MakereadyError("tray.not_ready", "prepare the tray before generating its raw file")
    manifest: dict[str, Any] = {
        "format": RAW_FORMAT,
        "units": "millimeter",
        "source": {
            "printer_type_id": tray.printer_type.id,
            "profile_id": tray.profile.id,
            "material_id": tray.material.id,
        },
        "meshes": [{"id": m.id, "name": m.name, "supported": m.id in tray.supports} for m in tray.meshes],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("tray.json", json.dumps(manifest, indent=1))
        for mesh in tray.meshes:
            archive.writestr(f"meshes/{mesh.id}.3mf", write_3mf(mesh.placed()))
            if mesh.id in tray.supports:
                archive.writestr(f"supports/{mesh.id}.3mf", write_3mf(tray.supports[mesh.id]))
    return out.getvalue()


def translate(
    raw: bytes,
    printer_type: str,
    *,
    profile: str | None = None,
    material: str | None = None,
    limits: LoadLimits | None = None,
    definitions: PrintDefinitions | None = None,
) -> tuple[bytes, str, dict[str, Any]]:
    """The printable of ``printer_type`` for a raw tray file: ``(content, extension, summary)``.

    Raises
    ------
    MakereadyError
        ``request.invalid`` for a file that is not a raw tray file; the tray's codes
        (``catalog.not_found``, ``tray.incompatible``) and the printables' (``printable.*``).

    """
    limits = limits or LoadLimits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        manifest = json.loads(archive.read("tray.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise MakereadyError(
            "request.invalid", "not a raw tray file: generate it with generate-printable and generate_raw"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != RAW_FORMAT:
        raise MakereadyError("request.invalid", f"not a raw tray file of format {RAW_FORMAT}")
    parts: dict[str, Part] = {}
    supports: dict[str, Part] = {}
    names = set(archive.namelist())
    for entry in manifest.get("meshes") or []:
        mesh_id = str(entry.get("id"))
        parts[mesh_id] = _read(
            archive, f"meshes/{mesh_id}.3mf", names, limits, str(entry.get("name") or mesh_id)
        )
        if f"supports/{mesh_id}.3mf" in names:
            supports[mesh_id] = _read(archive, f"supports/{mesh_id}.3mf", names, limits, f"support-{mesh_id}")
    if not parts:
        raise MakereadyError("request.invalid", "the raw tray file holds no mesh")
    tray = create_tray(printer_type, parts, profile=profile, material=material, definitions=definitions)
    moved = False
    if not _fits(tray, supports):
        parts, supports = _laid_out_anew(tray, parts, supports)
        tray = create_tray(printer_type, parts, profile=profile, material=material, definitions=definitions)
        moved = True
    # Placements and supports come from the raw file: the tray is as prepared, on this printer.
    ready = replace(tray, state="supported", ready=True, supports=supports, history=_STATES)
    content, extension, summary = generate_printable(ready)
    summary["translated_from"] = manifest.get("source", {}).get("printer_type_id")
    summary["repositioned"] = moved
    return content, extension, summary


def _fits(tray: Tray, supports: dict[str, Part]) -> bool:
    """Whether every mesh, with its supports, stands inside the printer's build volume where it is."""
    volume = tray.printer_type.machine.build_volume
    return all(
        misfit(m.name, _box(m.part, supports.get(m.id)), volume, centred=False) is None for m in tray.meshes
    )


def _box(part: Part, support: Part | None) -> npt.NDArray[np.float64]:
    boxes = [part.bounds] + ([support.bounds] if support is not None and support.triangle_count else [])
    stacked = np.stack(boxes)
    return np.stack([stacked[:, 0].min(axis=0), stacked[:, 1].max(axis=0)])


def _laid_out_anew(
    tray: Tray, parts: dict[str, Part], supports: dict[str, Part]
) -> tuple[dict[str, Part], dict[str, Part]]:
    """Each mesh moved with its supports to a place on this printer's plate (orientation kept)."""
    combined = {
        mesh_id: Part(
            (*part.bodies, *(supports[mesh_id].bodies if mesh_id in supports else ())), "raw", name=part.name
        )
        for mesh_id, part in parts.items()
    }
    staged = replace(
        tray,
        meshes=tuple(replace(m, part=combined[m.id]) for m in tray.meshes),
        mesh_attrs={m.id: MeshAttrs(reposition=True, reorient=False, support=False) for m in tray.meshes},
    )
    moves = {m.id: m.transform for m in position(staged).meshes}
    return (
        {mesh_id: part.transformed(moves[mesh_id]) for mesh_id, part in parts.items()},
        {mesh_id: support.transformed(moves[mesh_id]) for mesh_id, support in supports.items()},
    )


def _read(archive: zipfile.ZipFile, member: str, names: set[str], limits: LoadLimits, name: str) -> Part:
    if member not in names:
        raise MakereadyError("request.invalid", f"the raw tray file lacks {member}")
    info = archive.getinfo(member)
    if info.file_size > limits.max_bytes:
        raise MakereadyError("file.too_large", f"{member} expands beyond {limits.max_bytes} bytes")
    part = load(archive.read(member), filename=member, limits=limits)
    return Part(part.bodies, part.source_format, name=name)
