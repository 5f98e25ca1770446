"""Raw tray files (``generate_raw``) and their translation (``trays/translate``)."""

from __future__ import annotations

import io
import zipfile

import pytest
import trimesh

from makeready import Body, MakereadyError, Part
from makeready.workflows.tray_files import raw_tray, translate
from makeready.workflows.trays import create_tray, generate_printable, prepare
from tests.meshes import box


def _tray(size=(20.0, 15.0, 6.0), printer="Prusa MK4"):
    v, f = box(size)
    parts = {name: Part((Body(name, v, f),), "generated", name=name) for name in ("a", "b")}
    return prepare(create_tray(printer, parts))


@pytest.fixture(scope="module")
def prepared():
    return _tray()


def test_translating_to_the_same_printer_gives_the_same_printable(prepared):
    content, extension, summary = generate_printable(prepared)
    again, extension_again, summary_again = translate(raw_tray(prepared), "Prusa MK4")
    assert (extension_again, again) == (extension, content)  # byte for byte
    assert summary_again["layers"] == summary["layers"] == 30  # 6 mm at 0.2 mm
    assert summary_again["translated_from"] == prepared.printer_type.id
    assert summary_again["repositioned"] is False


def test_a_raw_file_is_plain_3mf_any_reader_opens(prepared):
    with zipfile.ZipFile(io.BytesIO(raw_tray(prepared))) as archive:
        names = sorted(archive.namelist())
        assert names[0] == "meshes/a.3mf"
        assert "tray.json" in names
        placed = trimesh.load(io.BytesIO(archive.read("meshes/b.3mf")), file_type="3mf", force="mesh")
    assert placed.volume == pytest.approx(20 * 15 * 6, rel=1e-6)  # trimesh, an independent reader
    lo, hi = prepared.meshes[1].placed().bounds
    assert placed.bounds.ravel().tolist() == pytest.approx([*lo, *hi], abs=1e-4)  # where prepare put it, mm


def test_a_raw_fdm_tray_becomes_a_resin_printable(prepared):
    # The MK4 tray's blocks stand 57 mm outside the SL1S screen: laid out anew on it.
    content, extension, summary = translate(raw_tray(prepared), "Prusa SL1S SPEED")
    assert summary["repositioned"] is True
    assert extension == "sl1"
    assert summary["resin_ml"] == pytest.approx(2 * 20 * 15 * 6 / 1000, rel=0.02)  # two 1.8 ml blocks
    assert content[:2] == b"PK"


def test_bad_raw_files_and_small_printers_are_refused(prepared):
    for bad in (b"not a zip", _zip({"tray.json": b'{"format": "other"}'}), _zip({"x": b""})):
        with pytest.raises(MakereadyError) as err:
            translate(bad, "Prusa MK4")
        assert err.value.code == "request.invalid"
    long = _tray(size=(200.0, 20.0, 5.0))
    with pytest.raises(MakereadyError) as err:
        translate(raw_tray(long), "Prusa SL1S SPEED")  # 200 mm on a 127 x 80 mm screen
    assert err.value.code in ("printable.does_not_fit", "tray.does_not_fit")
    assert "Prusa SL1S SPEED" in err.value.message


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()
