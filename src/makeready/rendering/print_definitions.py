"""The Autodesk 3D Print API's print definitions: printer types, materials and profiles on its wire.

Every field of the API's Printer Type, Material and Profile schemas and example objects is
served with the API's spelling. Where the schema and the example disagree, both are served
(docs/printdb.md lists them): ``model_number`` and ``model``; ``pct_shrink`` and
``pct-shrink``; the DLP exposure fields in the schema's camelCase (``firstExposureSec``…) and
the example's ``cure_time_adhesion``/``cure_time_intermediary``/``cure_time_nominal_layers``.
Lengths are cm, angles rad, as the API has them.

Printer types also get generated files: an icon (PNG) and a bed visualisation (a zip holding an
OBJ of the build plate), each with a stable id that ``GET /api/v1/files/{id}`` serves.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Mapping
from functools import cache
from typing import Any

from makeready.print_definitions import PrintDefinitions, PrinterType, PrintRecord

__all__ = ["definition_file", "material_json", "printer_type_json", "profile_json"]

#: Namespace of the generated files' ids (uuid5 of "<printer type id>/<kind>").
_FILES = uuid.UUID("6f1c2b7e-8a43-5d0e-9b61-3c2f0a9d4e55")
#: Resin materials: the schema's DLP fields and the example's names for the same exposures.
_EXPOSURE_ALIASES = (
    ("firstExposureSec", "cure_time_first"),
    ("burnInExposureSec", "cure_time_burn_in"),
    ("modelExposureSec", "cure_time_model"),
    ("cure_time_adhesion", "cure_time_first"),
    ("cure_time_intermediary", "cure_time_burn_in"),
    ("cure_time_nominal_layers", "cure_time_model"),
)
_RESIN = ("DLP", "SLA")
_MATERIAL_TYPES = {
    "FDM": "FILAMENT",
    "DLP": "PHOTORESIN",
    "SLA": "PHOTORESIN",
    "SLM": "POWDER",
    "MJF": "POWDER",
}
#: Bed plate thickness of the bed visualisation, cm.
_BED_THICKNESS_CM = 0.5


def _file_id(printer_id: str, kind: str) -> str:
    return str(uuid.uuid5(_FILES, f"{printer_id}/{kind}"))


def printer_type_json(printer: PrinterType, definitions: PrintDefinitions) -> dict[str, Any]:
    """A printer type with every field of the API's schema and example."""
    record = dict(printer.record)
    build = dict(record.get("build_volume") or {})
    build["bed_file_id"] = _file_id(printer.id, "bed")
    printable = dict(record.get("printable") or {})
    # makeready's printables are written by Python writers, not Lua packager scripts.
    printable.setdefault("packager_file_id", None)
    printable.setdefault("packager_data_files", [])
    materials = [m for m in definitions.materials.values() if printer.id in m.printer_types]
    record.update(
        model=record.get("model_number"),
        profile_id=record.get("default_profile_id"),
        icon_id=_file_id(printer.id, "icon"),
        build_volume=build,
        printable=printable,
        output=printable.get("content"),
        connections={},
        materials_types=sorted({_MATERIAL_TYPES.get(m.technology, m.technology) for m in materials}),
    )
    if printer.technology in _RESIN:
        profile = definitions.profiles.get(str(record.get("default_profile_id")))
        record["dlp_specs"] = {
            key: profile.record[key]
            for key in ("img_width", "img_height", "pixel_size")
            if profile and key in profile.record
        }
    return record


def material_json(material: PrintRecord, definitions: PrintDefinitions) -> dict[str, Any]:
    """A print material with every field of the API's schema and example (``cost`` in USD/kg)."""
    record = dict(material.record)
    catalog_name = record.get("catalog_material")
    price_eur = definitions.catalog.material(str(catalog_name)).raw_mat_cost if catalog_name else None
    record["cost"] = None if price_eur is None else round(float(price_eur) * definitions.usd_per_eur, 2)
    record["pct-shrink"] = record.get("pct_shrink")
    if material.technology in _RESIN:
        for alias, field in _EXPOSURE_ALIASES:
            record[alias] = record.get(field)
        profile_layers = [
            p.record.get("burn_in_layers")
            for p in definitions.profiles.values()
            if set(p.printer_types) & set(material.printer_types)
        ]
        record["burnInLayers"] = record.get(
            "burn_in_layers", next((n for n in profile_layers if n is not None), None)
        )
        record.setdefault("density", None)
    if material.technology == "FDM":
        record.setdefault("min_nozzle_diameter", None)  # "null means undefined by manufacturer"
    # The example's ``protein_ref`` is not described by the API's documentation: served as null.
    record.setdefault("protein_ref", None)
    return record


def profile_json(profile: PrintRecord) -> dict[str, Any]:
    """A profile with every field of the API's schema (supports: null where the process needs none)."""
    record = dict(profile.record)
    for key in ("support_angle_tol", "support_contact_tol"):
        record.setdefault(key, None)
    record.setdefault("support_min_radius", record.get("support_tip_radius"))
    record.setdefault("support_min_separation", record.get("support_clearance"))
    return record


def definition_file(file_id: str) -> tuple[str, bytes, str] | None:
    """``(name, bytes, media type)`` of a generated print-definition file, or None."""
    return _definition_files().get(file_id)


@cache
def _definition_files() -> Mapping[str, tuple[str, bytes, str]]:
    files: dict[str, tuple[str, bytes, str]] = {}
    for printer in PrintDefinitions.default().printer_types.values():
        size = [float(v) for v in (printer.record.get("build_volume") or {}).get("bed_size", [10, 10, 10])]
        slug = "".join(c if c.isalnum() else "-" for c in printer.name.lower())
        files[_file_id(printer.id, "icon")] = (f"{slug}-icon.png", _icon(size), "image/png")
        files[_file_id(printer.id, "bed")] = (f"{slug}-bed.zip", _bed_zip(slug, size), "application/zip")
    return files


def _icon(size: list[float]) -> bytes:
    """A 64 x 64 PNG: the build volume as an isometric box, to scale (largest side fills it)."""
    from PIL import Image, ImageDraw

    x, y, z = size
    scale = 40.0 / max(x + y, z * 1.2)
    image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)

    def point(px: float, py: float, pz: float) -> tuple[float, float]:
        return 32 + (px - py) * 0.866 * scale, 56 - ((px + py) * 0.5 + pz) * scale

    corners = {(i, j, k): point(i * x, j * y, k * z) for i in (0, 1) for j in (0, 1) for k in (0, 1)}
    plate = [corners[(0, 0, 0)], corners[(1, 0, 0)], corners[(1, 1, 0)], corners[(0, 1, 0)]]
    draw.polygon(plate, fill=(70, 130, 180, 255))
    for a, b in (((0, 0), (1, 0)), ((1, 0), (1, 1)), ((1, 1), (0, 1)), ((0, 1), (0, 0))):
        draw.line([corners[(*a, 1)], corners[(*b, 1)]], fill=(40, 40, 40, 255))
        draw.line([corners[(*a, 0)], corners[(*a, 1)]], fill=(40, 40, 40, 255))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _bed_zip(slug: str, size: list[float]) -> bytes:
    """A zip with one OBJ: the build plate, cm, tray coordinates (origin at the bottom centre)."""
    hx, hy, t = size[0] / 2, size[1] / 2, _BED_THICKNESS_CM
    corners = [(sx * hx, sy * hy, z) for z in (-t, 0.0) for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    faces = [(1, 4, 3, 2), (5, 6, 7, 8), (1, 2, 6, 5), (2, 3, 7, 6), (3, 4, 8, 7), (4, 1, 5, 8)]
    lines = [f"# {slug} build plate, cm; the print area is its top face at z = 0", f"o {slug}-bed"]
    lines += [f"v {px:g} {py:g} {pz:g}" for px, py, pz in corners]
    lines += ["f " + " ".join(str(i) for i in face) for face in faces]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(f"{slug}-bed.obj", date_time=(2026, 1, 1, 0, 0, 0))
        archive.writestr(info, "\n".join(lines) + "\n")
    return out.getvalue()
