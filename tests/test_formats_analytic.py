"""Analytic truth: a 20 mm cube through every writer and reader, units, transforms."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

import makeready
from makeready import MakereadyError
from makeready.geometry.formats.stl import write_stl_ascii
from tests.conftest import box_part


@pytest.mark.parametrize("fmt", ["stl", "stl-ascii", "obj", "3mf"])
def test_cube_round_trip_keeps_volume_area_box(fmt, cube20, tmp_path):
    out = io.BytesIO()
    makeready.save(cube20, out, fmt)
    part = makeready.load(out.getvalue())
    assert part.triangle_count == 12
    assert part.vertex_count == 8  # STL soups are welded back to the 8 corners
    assert part.volume == pytest.approx(8000.0, rel=1e-12)
    assert part.area == pytest.approx(2400.0, rel=1e-12)
    np.testing.assert_allclose(part.bounds, [[0, 0, 0], [20, 20, 20]])


def test_round_trip_keeps_every_triangle_exactly(tmp_path):
    part = box_part((10.5, 3.25, 7.125), origin=(-4.0, 2.5, 100.0))
    path = tmp_path / "p.3mf"
    makeready.save(part, path)
    back = makeready.load(path)
    np.testing.assert_array_equal(back.bodies[0].triangles(), part.bodies[0].triangles())
    obj = tmp_path / "p.obj"
    makeready.save(part, obj)
    np.testing.assert_array_equal(makeready.load(obj).bodies[0].triangles(), part.bodies[0].triangles())


def test_stl_units_override_scales_to_mm(cube20):
    data = io.BytesIO()
    makeready.save(cube20, data, "stl")
    part = makeready.load(data.getvalue(), units="inch")
    assert part.volume == pytest.approx(8000.0 * 25.4**3, rel=1e-6)
    assert part.source_units == "inch"
    assert any("inch" in n for n in part.notes)


def _inch_3mf(
    translation: tuple[float, float, float], component_shift: float, linear: str = "1 0 0 0 1 0 0 0 1"
) -> bytes:
    """A 1-inch cube as a component, shifted by a component and a build-item transform (inches)."""
    verts = "".join(
        f'<vertex x="{x}" y="{y}" z="{z}"/>'
        for x, y, z in [
            (0, 0, 0),
            (1, 0, 0),
            (1, 1, 0),
            (0, 1, 0),
            (0, 0, 1),
            (1, 0, 1),
            (1, 1, 1),
            (0, 1, 1),
        ]
    )
    faces = box_part().bodies[0].faces
    tris = "".join(f'<triangle v1="{a}" v2="{b}" v3="{c}"/>' for a, b, c in faces.tolist())
    tx, ty, tz = translation
    model = f"""<?xml version="1.0" encoding="UTF-8"?>
<model unit="inch" xmlns="http://schemas.microsoft.com/3dmanufacturing/core/2015/02">
<resources>
<object id="1" type="model"><mesh><vertices>{verts}</vertices><triangles>{tris}</triangles></mesh></object>
<object id="2" type="model"><components>
<component objectid="1" transform="1 0 0 0 1 0 0 0 1 {component_shift} 0 0"/></components></object>
</resources>
<build><item objectid="2" transform="{linear} {tx} {ty} {tz}"/></build>
</model>"""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Target="/3D/3dmodel.model" Id="r0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>'
            "</Relationships>",
        )
        z.writestr("3D/3dmodel.model", model)
    return buf.getvalue()


def test_inch_3mf_scales_vertices_and_translations():
    part = makeready.load(_inch_3mf((2.0, 3.0, 4.0), component_shift=1.0))
    assert part.source_units == "inch"
    assert part.volume == pytest.approx(25.4**3, rel=1e-9)
    # corner (0,0,0) moves by component (1,0,0) and item (2,3,4) inches: (3,3,4) in -> mm
    np.testing.assert_allclose(part.bounds[0], np.array([3.0, 3.0, 4.0]) * 25.4)
    np.testing.assert_allclose(part.bounds[1], np.array([4.0, 4.0, 5.0]) * 25.4)
    assert any("inch" in n for n in part.notes)


def test_3mf_writer_with_unit_reads_back_in_mm(cube20):
    out = io.BytesIO()
    makeready.save(cube20, out, "3mf", unit="centimeter")
    back = makeready.load(out.getvalue())
    assert back.source_units == "centimeter"
    assert back.volume == pytest.approx(8000.0, rel=1e-12)


def test_mirror_transform_keeps_outward_winding():
    part = makeready.load(_inch_3mf((0, 0, 0), 0, linear="-1 0 0 0 1 0 0 0 1"))
    np.testing.assert_allclose(part.bounds[:, 0], [-25.4, 0.0])
    assert part.volume == pytest.approx(25.4**3, rel=1e-9)  # positive: winding flipped with the mirror


def test_ascii_stl_several_solids_become_bodies(cube20):
    two = makeready.Part((cube20.bodies[0], box_part(origin=(30, 0, 0)).bodies[0]), "generated")
    part = makeready.load(write_stl_ascii(two))
    assert len(part.bodies) == 2
    assert part.volume == pytest.approx(16000.0)


def test_signed_zero_and_exact_merge():
    # the same corner written as 0.0 and -0.0 is one vertex; a 1-ulp difference is not
    tri = np.array([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0]], [[-0.0, 0, 0], [0, 1, 0], [0, 0, 1]]], np.float32)
    from makeready.geometry.merge import weld_soup

    vertices, faces = weld_soup(tri)
    assert len(vertices) == 4
    tri[1, 0, 0] = np.nextafter(np.float32(0), np.float32(1))
    assert len(weld_soup(tri)[0]) == 5
    assert faces.tolist() == [[0, 1, 2], [0, 2, 3]]


def test_unknown_units_is_a_coded_error(cube20):
    out = io.BytesIO()
    makeready.save(cube20, out, "stl")
    with pytest.raises(MakereadyError) as err:
        makeready.load(out.getvalue(), units="furlong")
    assert err.value.code == "file.unknown_units"
