"""Every field of the Autodesk 3D Print API's print-definition objects, with the API's spelling.

The field lists are the schema tables and example objects of the API's field guide (the text
in ../shared/seeds/003_…txt); when that text is present the lists are checked against it, so
a field the guide names cannot be left out of this test.
"""

from __future__ import annotations

import re

import pytest

from makeready.print_definitions import PrintDefinitions
from makeready.rendering.print_definitions import (
    definition_file,
    material_json,
    printer_type_json,
    profile_json,
)
from tests.conftest import TESTDATA

GUIDE = TESTDATA.parent / "seeds" / "003_044b9f33ed3f700a.txt"

PRINTER_TYPE_SCHEMA = [
    "id", "version", "profile_id", "manufacturer", "name", "technology", "default_material_id",
    "default_profile_id", "icon_id", "supported_connections", "build_volume", "build_volume.type",
    "build_volume.bed_size", "build_volume.bed_file_id", "build_volume.park_position",
    "build_volume.home_position", "printable", "printable.packager_file_id", "printable.packager_data_files",
]  # fmt: skip
PRINTER_TYPE_FDM = [
    "printer_capabilities", "printer_capabilities.num_extruders", "printer_capabilities.nozzle_diameter",
    "printer_capabilities.nozzle_temp_max", "printer_capabilities.bed_temp_max",
    "printer_capabilities.xy_speed_max", "printer_capabilities.z_speed_max", "printer_capabilities.e_speed_max",
]  # fmt: skip
PRINTER_TYPE_EXAMPLE = [
    "model", "firmware", "output", "preferred_connection", "connections", "materials_types", "max_materials",
]  # fmt: skip
MATERIAL_SCHEMA = [
    "id", "version", "name", "technology", "composition", "printer_types", "cost", "manufacturer", "website",
    "color", "opacity", "rating", "tags", "pct-shrink", "is_user",
]  # fmt: skip
MATERIAL_FDM = [
    "min_nozzle_diameter", "filament_diameter", "filament_extrusion_to_flow_multiplier", "temp_extrude_default", "temp_min_extrude",
    "temp_max_extrude", "temp_bed", "extruder_fan_speed",
]  # fmt: skip
MATERIAL_DLP = ["firstExposureSec", "burnInLayers", "burnInExposureSec", "modelExposureSec", "density"]
MATERIAL_DLP_EXAMPLE = [
    "exposure_power", "cure_time_adhesion", "cure_time_intermediary", "cure_time_nominal_layers", "protein_ref",
]  # fmt: skip
PROFILE_SCHEMA = [
    "id", "version", "name", "technology", "printer_types", "layer_height", "support_angle_tol",
    "support_contact_tol",
]  # fmt: skip
PROFILE_EXAMPLE = ["support_min_radius", "support_min_separation", "layer_height_first"]


def _has(record: dict, dotted: str) -> bool:
    head, _, rest = dotted.partition(".")
    if head not in record:
        return False
    return not rest or (isinstance(record[head], dict) and _has(record[head], rest))


def _guide_fields(section: str, following: str) -> set[str]:
    text = GUIDE.read_text(encoding="utf-8")
    body = text.split(f"\n{section}¶", 1)[1].split(f"\n{following}¶", 1)[0]
    schema = body.split("Schema¶", 1)[1].split("Example Object¶", 1)[0]
    return {m.group(1) for m in re.finditer(r"^([a-z][\w.\-]*) \|", schema, re.MULTILINE)}


@pytest.mark.skipif(not GUIDE.exists(), reason="the API's field guide is in ../shared/seeds")
def test_the_field_lists_are_the_guides():
    assert _guide_fields("Printer Type", "Material") == set(PRINTER_TYPE_SCHEMA + PRINTER_TYPE_FDM)
    assert _guide_fields("Material", "Profile") == set(MATERIAL_SCHEMA + MATERIAL_FDM + MATERIAL_DLP)
    profile = _guide_fields("Profile", "\u0000")
    assert profile == set(PROFILE_SCHEMA)


def test_printer_types_carry_every_field():
    definitions = PrintDefinitions.default()
    for printer in definitions.printer_types.values():
        record = printer_type_json(printer, definitions)
        wanted = (
            PRINTER_TYPE_SCHEMA
            + PRINTER_TYPE_EXAMPLE
            + (PRINTER_TYPE_FDM if printer.technology == "FDM" else [])
        )
        assert [f for f in wanted if not _has(record, f)] == [], printer.name
        assert record["model"] == record["model_number"]
        assert record["profile_id"] == record["default_profile_id"]
        assert definition_file(record["icon_id"])[1].startswith(b"\x89PNG")
        assert definition_file(record["build_volume"]["bed_file_id"])[2] == "application/zip"
    ember = printer_type_json(definitions.printer_type("Autodesk Ember"), definitions)
    assert ember["output"] == "PNG-GZIP"  # as the guide's example
    assert ember["materials_types"] == ["PHOTORESIN"]
    assert ember["dlp_specs"] == {"img_width": 1280, "img_height": 800, "pixel_size": 0.005}  # 6.4 x 4.0 cm


def test_materials_carry_every_field_and_a_usd_cost():
    definitions = PrintDefinitions.default()
    for material in definitions.materials.values():
        record = material_json(material, definitions)
        wanted = MATERIAL_SCHEMA + {"FDM": MATERIAL_FDM, "DLP": MATERIAL_DLP + MATERIAL_DLP_EXAMPLE}.get(
            material.technology, []
        )
        assert [f for f in wanted if f not in record] == [], material.name
        assert record["pct-shrink"] == record["pct_shrink"]
    pla = material_json(definitions.material("PLA"), definitions)
    price_eur = definitions.catalog.material("PLA").raw_mat_cost
    assert pla["cost"] == pytest.approx(price_eur * definitions.usd_per_eur, abs=0.01)  # USD per kg
    resin = material_json(definitions.material("Standard Resin DLP"), definitions)
    assert resin["firstExposureSec"] == resin["cure_time_adhesion"] == resin["cure_time_first"]
    assert resin["modelExposureSec"] == resin["cure_time_nominal_layers"] == resin["cure_time_model"]
    assert resin["burnInLayers"] == definitions.profile("DLP 50 um").record["burn_in_layers"]


def test_profiles_carry_every_field():
    for profile in PrintDefinitions.default().profiles.values():
        record = profile_json(profile)
        assert [f for f in PROFILE_SCHEMA + PROFILE_EXAMPLE if f not in record] == [], profile.name
