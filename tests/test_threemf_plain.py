"""The compiled scanner of plain 3MF mesh text gives what lxml gives, or steps aside.

Truth: Python's ``float()`` (correctly rounded decimal conversion) for every number, and the
lxml reading of the same package for whole files (every 3MF of the corpus and the fixtures).
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from makeready import LoadLimits, MakereadyError
from makeready.geometry.formats._xml_mesh_kernels import scan_elements
from makeready.geometry.formats.archive import SafeZip
from makeready.geometry.formats.threemf import _PLAIN_NAMES, _read_plain_meshes, read_3mf
from tests.conftest import ROOT, TESTDATA

LXML_ONLY = 1 << 62


def _scan_numbers(texts: list[str]) -> np.ndarray | None:
    """The numbers as the scanner converts them (slow ones as the reader does), or None if refused."""
    body = "".join(f'<vertex x="{t}" y="0" z="0"/>' for t in texts).encode()
    buf = np.frombuffer(body, np.uint8)
    values = np.zeros((len(texts) + 1, 3))
    slow_index = np.zeros(len(texts) * 3 + 3, np.int64)
    slow_text = np.zeros(len(body) + 1, np.uint8)
    count, slow_count, length = scan_elements(
        buf, 0, len(body), np.frombuffer(b"vertex", np.uint8), _PLAIN_NAMES[b"vertices"], 7, False,
        values, np.zeros((0, 3), np.int64), slow_index, slow_text,
    )  # fmt: skip
    if count < 0:
        return None
    assert count == len(texts)
    if slow_count:
        values.reshape(-1)[slow_index[:slow_count]] = np.fromstring(slow_text[:length].tobytes(), sep=" ")
    return values[:count, 0]


def _bits(values) -> list[int]:
    return [struct.unpack("<q", struct.pack("<d", v))[0] for v in values]


def test_numbers_convert_exactly_as_float_does():
    rng = random.Random(7)
    texts = ["0", "-0", "+0.0", "0.000", "1", "-1", ".5", "-.5", "+.5", "00012.50", "1e0", "1E+3", "1e-3",
             "123456789012345678", "1234567890123456789", "0.1", "0.2", "0.3", "9007199254740993",
             "9007199254740992", "1e22", "1e23", "1e-22", "1e-23", "4.35e-320", "1e308", "2.2250738585072014e-308",
             "0.00000000000000000000000000001", "179.76931348623157e306", "1e-400", "123.456e-5",
             "0.1000000000000000055511151231257827", "3.0000000000000004", "8.98846567431158e307"]  # fmt: skip
    for _ in range(3000):
        v = rng.uniform(-1, 1) * 10 ** rng.uniform(-12, 12)
        texts += [repr(v), f"{v:.6g}", f"{v:.9g}", f"{v:.3f}", f"{v:.17e}", f"{v:.15g}"]
    for _ in range(500):
        texts.append(f"{rng.randrange(10 ** rng.randint(1, 19))}.{rng.randrange(10 ** rng.randint(1, 19))}")
    scanned = _scan_numbers(texts)
    assert scanned is not None
    assert _bits(scanned) == _bits(float(t) for t in texts)


@pytest.mark.parametrize(
    "text", ["1.", "-", "+", "", ".", "1e", "1e+", "1.5.5", "0x10", "nan", "NaN", "INF", "inf", " 1", "1 ", "1,5",
             "1e5.5", "--1", "1_000", "\u00b9", "1&#48;"],
)  # fmt: skip
def test_text_outside_st_number_is_left_to_lxml(text):
    assert _scan_numbers([text]) is None


@pytest.mark.parametrize(
    "body",
    [
        b'<vertex x="1" y="2"/>',  # an attribute missing
        b'<vertex x="1" y="2" z="3" z="4"/>',  # twice
        b'<vertex x="1" y="2" z="3" w="4"/>',  # another attribute
        b'<vertex x="1" y="2" z="3"></vertex>',  # an end tag
        b'<vertex x="1"y="2" z="3"/>',  # no white space between attributes
        b'<m:vertex x="1" y="2" z="3"/>',  # a prefix
        b'<vertexx x="1" y="2" z="3"/>',
        b'<vertex x="1" y="2" z="3"/>text',
        b'<vertex x="1" y="2" z="3>',
    ],
)
def test_anything_but_plain_vertices_is_left_to_lxml(body):
    buf = np.frombuffer(body, np.uint8)
    count, _, _ = scan_elements(
        buf, 0, len(body), np.frombuffer(b"vertex", np.uint8), _PLAIN_NAMES[b"vertices"], 7, False,
        np.zeros((4, 3)), np.zeros((0, 3), np.int64), np.zeros(12, np.int64), np.zeros(len(body) + 1, np.uint8),
    )  # fmt: skip
    assert count == -1


def test_plain_forms_writers_use_are_read():
    body = b"""
      <vertex x='1'  y = "2.5"
        z="-3e2" />\t<vertex z="6" y="5" x="4"/>\r\n"""
    assert _scan_numbers(["1"]) is not None
    buf = np.frombuffer(body, np.uint8)
    values = np.zeros((4, 3))
    count, slow, _ = scan_elements(
        buf, 0, len(body), np.frombuffer(b"vertex", np.uint8), _PLAIN_NAMES[b"vertices"], 7, False,
        values, np.zeros((0, 3), np.int64), np.zeros(12, np.int64), np.zeros(len(body) + 1, np.uint8),
    )  # fmt: skip
    assert (count, slow) == (2, 0)
    assert values[:2].tolist() == [[1.0, 2.5, -300.0], [4.0, 5.0, 6.0]]


def _read(data: bytes, min_bytes: int):
    limits = LoadLimits()
    try:
        result = read_3mf(SafeZip(data, limits), limits, plain_min_bytes=min_bytes)
    except MakereadyError as exc:
        return exc.code, exc.message
    return [(b.name, b.vertices.tobytes(), b.faces.tobytes()) for b in result.bodies], result.notes


def _packages() -> list[Path]:
    files = sorted((ROOT / "tests" / "data").glob("*.3mf"))
    if TESTDATA.exists():
        files += sorted(
            p for p in TESTDATA.rglob("*") if p.suffix.lower() == ".3mf" and p.stat().st_size < 30e6
        )
    return files


def test_every_package_reads_the_same_with_and_without_the_scanner():
    """Each 3MF of the fixtures and the corpus: same bodies (bit for bit), notes or error either way."""
    packages = _packages()
    assert len(packages) >= 3
    scanned = 0
    for path in packages:
        data = path.read_bytes()
        try:
            SafeZip(data, LoadLimits())
        except MakereadyError:
            continue
        assert _read(data, 0) == _read(data, LXML_ONLY), path
        scanned += 1
    assert scanned >= 3


def _model(vertices: bytes, triangles: bytes, extra: bytes = b"") -> bytes:
    model = (
        b'<?xml version="1.0" encoding="UTF-8"?>' + extra +
        b'<model unit="millimeter" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">'
        b'<resources><object id="1" type="model"><mesh><vertices>' + vertices + b"</vertices><triangles>"
        + triangles + b'</triangles></mesh></object></resources><build><item objectid="1"/></build></model>'
    )  # fmt: skip
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>')  # fmt: skip
        z.writestr("_rels/.rels", b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Target="/3D/3dmodel.model" Id="r0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/></Relationships>')  # fmt: skip
        z.writestr("3D/3dmodel.model", model)
    return out.getvalue()


TETRA_V = b'<vertex x="0" y="0" z="0"/><vertex x="10" y="0" z="0"/><vertex x="0" y="10" z="0"/><vertex x="0" y="0" z="10"/>'
TETRA_T = b'<triangle v1="0" v2="2" v3="1"/><triangle v1="0" v2="1" v3="3"/><triangle v1="0" v2="3" v3="2"/><triangle v1="1" v2="2" v3="3"/>'


@pytest.mark.parametrize(
    ("vertices", "triangles", "extra"),
    [
        (TETRA_V, TETRA_T, b""),
        (TETRA_V, TETRA_T, b"<!-- a comment turns the scanner off -->"),
        (TETRA_V.replace(b'x="10"', b'x="1&#48;"'), TETRA_T, b""),  # a character reference: lxml reads 10
        (
            TETRA_V,
            TETRA_T.replace(b'v3="3"/>', b'v3="3" pid="1" p1="0"/>', 1),
            b"",
        ),  # pid 1 names no property resource
        (TETRA_V, TETRA_T.replace(b'v3="3"/>', b'v3="3" p1="0"/>', 1), b""),  # p1 without any pid
        (TETRA_V, TETRA_T.replace(b'v3="3"/>', b'v3="3" pid="01" p1="0"/>', 1), b""),  # leading zero
        (TETRA_V, TETRA_T.replace(b'v3="3"/>', b'v3="3" pid="1" pid="1"/>', 1), b""),  # twice
        (TETRA_V, TETRA_T.replace(b'v3="1"', b'v3="4"'), b""),  # an index outside the vertices
        (TETRA_V, TETRA_T.replace(b'v3="1"', b'v3="0"'), b""),  # a repeated corner
        (TETRA_V, TETRA_T.replace(b'v3="1"', b'v3="-1"'), b""),
        (TETRA_V.replace(b'x="10"', b'x="1e999"'), TETRA_T, b""),  # not finite
        (TETRA_V.replace(b'x="10"', b'x="ten"'), TETRA_T, b""),
        (TETRA_V.replace(b"/><vertex", b"></vertex><vertex", 1), TETRA_T, b""),
        (TETRA_V + b"<vertex x='1' y='1' z='1' mr0123456789abcdef='0'/>", TETRA_T, b""),
        (
            TETRA_V,
            TETRA_T + b"</triangles><triangles>",
            b"",
        ),  # two <triangles>: not well-formed? lxml decides
    ],
)
def test_edge_cases_read_the_same_with_and_without_the_scanner(vertices, triangles, extra):
    data = _model(vertices, triangles, extra)
    assert _read(data, 0) == _read(data, LXML_ONLY)


def test_a_tetrahedron_is_read_by_the_scanner():
    with zipfile.ZipFile(io.BytesIO(_model(TETRA_V, TETRA_T))) as z:
        text = z.read("3D/3dmodel.model")
    rest, plain = _read_plain_meshes(text, 0)
    assert plain is not None
    assert len(plain.arrays) == 2
    assert b"<vertex " not in rest
    assert len(rest) == len(text)  # padded: lxml's line and column stay
    bodies, _ = _read(_model(TETRA_V, TETRA_T), 0)
    (_name, vertices, faces) = bodies[0]
    assert np.frombuffer(vertices).reshape(-1, 3).max() == 10.0
    assert np.frombuffer(faces, np.int64).reshape(-1, 3).shape == (4, 3)
