"""Unusable input: every case gets a MakereadyError with its stable code, nothing else."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

import makeready
from makeready import LoadLimits, MakereadyError
from makeready.geometry.formats.stl import BINARY_RECORD, write_stl_binary
from tests.conftest import DATA, box_part


def _code(data, **kw) -> str:
    with pytest.raises(MakereadyError) as err:
        makeready.load(data, **kw)
    return err.value.code


def _stl() -> bytes:
    return write_stl_binary(box_part())


def test_empty_file():
    assert _code(b"") == "file.empty"


def test_missing_path(tmp_path):
    assert _code(tmp_path / "nope.stl") == "file.not_found"


def test_truncated_binary_stl_names_the_counts():
    data = _stl()[:-60]
    with pytest.raises(MakereadyError) as err:
        makeready.load(data, filename="x.stl")
    assert err.value.code == "file.truncated"
    assert "12 triangles" in err.value.message


def test_binary_stl_with_huge_count_is_refused_before_allocating():
    """A count the file's size cannot hold is not a binary STL: the limit is not the issue."""
    data = bytearray(_stl())
    data[80:84] = np.uint32(4_000_000_000).tobytes()
    with pytest.raises(MakereadyError) as err:
        makeready.load(bytes(data), filename="x.stl")
    assert err.value.code == "stl.invalid"
    assert "4000000000 triangles" in err.value.message
    assert f"{len(data)} bytes" in err.value.message


# Not parts, named .stl: what each looks like is named, with HTTP 415 on the API.
NOT_PARTS = {
    "a PNG image": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 2,
    "a JPEG image": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 2,
    "a GIF image": b"GIF89a" + bytes(range(256)) * 2,
    "a PDF document": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 2,
    "a gzip archive": b"\x1f\x8b\x08\x00" + bytes(range(256)) * 2,
}


@pytest.mark.parametrize("kind", NOT_PARTS)
def test_known_non_mesh_files_are_named(kind):
    with pytest.raises(MakereadyError) as err:
        makeready.load(NOT_PARTS[kind], filename="part.stl")
    assert err.value.code == "file.unsupported_format"
    assert kind in err.value.message


def test_malformed_ascii_stl_is_invalid_not_binary():
    """Text that is not a well-formed ASCII STL (here: no 'solid' line) is never read as binary."""
    text = b"facet normal 0 0 1\n outer loop\n  vertex 0 0 0\n  vertex 1 0 0\n  vertex 0 1 0\n endloop\nendfacet\n"
    data = (text * 6)[:454]
    assert len(data) == 454
    with pytest.raises(MakereadyError) as err:
        makeready.load(data, filename="broken.stl")
    assert err.value.code == "stl.invalid"
    assert "solid" in err.value.message


def test_binary_stl_trailing_bytes_rule():
    """Up to 49 bytes after the last record are tolerated (a note says so); more are not STL."""
    part = makeready.load(_stl() + b"\n", filename="x.stl")
    assert part.triangle_count == 12
    assert any("1 trailing byte" in note for note in part.notes)
    with pytest.raises(MakereadyError) as err:
        makeready.load(_stl() + bytes(range(256)), filename="x.stl")
    assert err.value.code == "stl.invalid"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_coordinates(bad):
    records = np.frombuffer(_stl(), BINARY_RECORD, offset=84).copy()
    records["corners"][3, 1, 2] = bad
    data = _stl()[:84] + records.tobytes()
    assert _code(data) == "file.invalid_number"


def test_obj_index_out_of_range_and_zero():
    assert _code(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 9\n") == "file.index_out_of_range"
    assert _code(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n") == "file.index_out_of_range"


def test_ply_and_off_index_out_of_range():
    ply = (
        b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
        b"element face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n"
    )
    assert _code(ply) == "file.index_out_of_range"
    assert _code(b"OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 5\n") == "file.index_out_of_range"


def test_off_counts_that_do_not_match():
    assert _code(b"OFF\n8 6 0\n0 0 0\n") == "off.invalid"


def test_unsupported_content():
    assert _code(b"\x89PNG\r\n\x1a\n" + bytes(200), filename="x.png") == "file.unsupported_format"


def test_file_too_large():
    assert _code(_stl(), limits=LoadLimits(max_bytes=100)) == "file.too_large"


def test_too_many_triangles_limit():
    assert _code(_stl(), limits=LoadLimits(max_triangles=5)) == "file.too_many_triangles"


def _zip(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_zip_bomb_by_ratio():
    bomb = _zip({"part.stl": b"\0" * (200 << 20)})  # 200 MiB of zeros deflate to ~200 KiB
    assert len(bomb) < 1 << 20
    assert _code(bomb) == "zip.bomb"


def test_zip_bomb_by_total_budget():
    data = _zip({"a.stl": _stl(), "b.stl": _stl()}, zipfile.ZIP_STORED)
    assert _code(data, limits=LoadLimits(max_unzipped_bytes=1000)) == "zip.bomb"


def test_zip_path_traversal():
    assert _code(_zip({"../../etc/evil.stl": _stl()})) == "zip.path_traversal"
    assert _code(_zip({"/abs/evil.stl": _stl()})) == "zip.path_traversal"


def test_zip_without_parts():
    assert _code(_zip({"readme.txt": b"hello"})) == "zip.no_part"


def test_corrupt_zip():
    data = bytearray(_zip({"a.stl": _stl()}))
    data[40:60] = b"\xff" * 20
    assert _code(bytes(data)) in ("zip.invalid", "zip.bomb")


def _three_mf(model: bytes) -> bytes:
    return _zip({
        "[Content_Types].xml": b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>',
        "_rels/.rels": b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="r0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>',
        "3D/3dmodel.model": model,
    })  # fmt: skip


def test_3mf_external_entity_is_refused():
    model = (b'<?xml version="1.0"?><!DOCTYPE model [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
             b'<model xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><metadata name="Title">&xxe;</metadata>'
             b"<resources/><build/></model>")  # fmt: skip
    assert _code(_three_mf(model)) == "3mf.xml_forbidden"


def test_3mf_billion_laughs_is_refused():
    lol = (
        b'<!DOCTYPE m [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            b'<!ENTITY %s "%s">' % (bytes([98 + i]), (b"&%s;" % bytes([97 + i])) * 10) for i in range(8)
        )
        + b"]>"
    )
    model = (
        b'<?xml version="1.0"?>'
        + lol
        + b'<model xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">&i;</model>'
    )
    assert _code(_three_mf(model)) == "3mf.xml_forbidden"


def test_3mf_rule_is_named():
    model = b'<?xml version="1.0" encoding="UTF-8"?><model xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><resources/></model>'
    with pytest.raises(MakereadyError) as err:
        makeready.load(_three_mf(model))
    assert err.value.code == "3mf.invalid"
    assert err.value.details["rule"].startswith("3.4b")


def test_3mf_component_cycle():
    model = (b'<?xml version="1.0" encoding="UTF-8"?><model xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><resources>'
             b'<object id="1"><components><component objectid="2"/></components></object>'
             b'<object id="2"><components><component objectid="1"/></components></object>'
             b'</resources><build><item objectid="1"/></build></model>')  # fmt: skip
    assert _code(_three_mf(model)) == "3mf.invalid"


def test_3mf_vertex_index_out_of_range():
    model = (b'<?xml version="1.0" encoding="UTF-8"?><model xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02"><resources>'
             b'<object id="1"><mesh><vertices><vertex x="0" y="0" z="0"/><vertex x="1" y="0" z="0"/><vertex x="0" y="1" z="0"/></vertices>'
             b'<triangles><triangle v1="0" v2="1" v3="5"/></triangles></mesh></object>'
             b'</resources><build><item objectid="1"/></build></model>')  # fmt: skip
    assert _code(_three_mf(model)) == "3mf.invalid"


def test_unreadable_step_is_a_coded_error():
    assert _code(b"ISO-10303-21;\nHEADER;\nthis is not step\n") == "step.invalid"


def test_step_tolerance_is_validated():
    assert _code(b"ISO-10303-21;\n", step_tolerance=0.0) == "step.invalid"


FUZZ_FINDINGS = {
    # A face index of 52 digits: Python parses it, int64 cannot hold it (was OverflowError).
    "obj_index_overflow.obj": "file.index_out_of_range",
    "off_index_overflow.off": "file.index_out_of_range",
    "obj_textured_index_overflow.obj": "file.index_out_of_range",
    "obj_textured_uv_index_overflow.obj": "file.index_out_of_range",
    "ply_ascii_index_overflow.ply": "file.index_out_of_range",
    # A `vt` line without u (was a ValueError building the triangles' UV table).
    "obj_vt_odd.obj": "file.invalid_number",
    "obj_vt_without_u.obj": "file.invalid_number",
    # A UTF-16 OBJ with an odd byte count (was UnicodeDecodeError while sniffing).
    "obj_utf16_odd_length.obj": "obj.invalid",
    "utf16_bom_9_bytes.stl": "stl.invalid",
    # A zip (and a 3MF) with a central-directory entry of no name (was IndexError in zipfile).
    "zip_entry_without_name.zip": "zip.invalid",
    "3mf_entry_without_name.3mf": "zip.invalid",
    # A binary PLY whose face element has no records (was StopIteration laying out its lists).
    "ply_empty_list_element.ply": "file.no_triangles",
}


@pytest.mark.parametrize(("name", "code"), sorted(FUZZ_FINDINGS.items()))
def test_fuzz_findings_are_refused_with_a_code(name: str, code: str) -> None:
    """Inputs `make fuzz` found (benchmarks/results/fuzz.md): each is now a clear error."""
    with pytest.raises(MakereadyError) as refused:
        makeready.load(DATA / "fuzz" / name)
    assert refused.value.code == code
