"""The bundled fixtures (tests/data, see PROVENANCE.md): real files that need no ../shared."""

from __future__ import annotations

import numpy as np
import pytest

import makeready
from makeready import MakereadyError
from tests.conftest import DATA


@pytest.mark.parametrize(
    ("name", "triangles", "volume", "rel"),
    [
        ("unit_cube.STL", 12, 1.0, 1e-9),
        ("featuretype.STL", 3476, 11.627733431196749, 1e-9),
        ("idler_riser.STL", 1572, 0.14522859 / 0.09754366, 1e-3),
        ("HalfDonut_binary_solid_header.stl", 288, 2.343149, 1e-5),
        ("Moon.stl", 116, 0.888723, 1e-5),
        ("box.3mf", 12, None, None),
        ("MUSTPASS_Chapter4.2_Components.3mf", None, None, None),
        ("negative_indices.obj", 12, None, None),
        ("polygonfaces.obj", None, None, None),
        ("comments.off", 12, None, None),
        ("Cube.off", 12, None, None),
        ("tet.ply", 4, None, None),
        ("cube_binary.ply", 12, None, None),
    ],
)
def test_fixture_truth(name, triangles, volume, rel):
    part = makeready.load(DATA / name)
    assert part.triangle_count == (triangles if triangles is not None else part.triangle_count) > 0
    if volume is not None:
        assert part.volume == pytest.approx(volume, rel=rel)


def test_multibody_ascii_stl():
    assert [b.name for b in makeready.load(DATA / "multibody.stl").bodies] == ["bodyB", "bodyA"]


def test_lib3mf_bounding_box_truth_fixture():
    part = makeready.load(DATA / "PartsForBoundingBox.3mf")
    np.testing.assert_allclose(
        part.bounds, [[1.25774193, -103.887222, -39.4011765], [307.725159, 139.430359, 279.938263]], rtol=2e-6
    )


def test_mustfail_fixture_names_the_rule():
    with pytest.raises(MakereadyError) as err:
        makeready.load(DATA / "MUSTFAIL_Chapter3.4.3.1a_NotMatchingObjectIdInBuildItem.3mf")
    assert err.value.code == "3mf.invalid"
    assert err.value.details["rule"].startswith("3.4.3.1a")


def test_content_beats_extension(tmp_path):
    renamed = tmp_path / "really_an_obj.stl"
    renamed.write_bytes((DATA / "negative_indices.obj").read_bytes())
    assert makeready.load(renamed).source_format == "obj"


def test_bytes_and_stream_sources():
    data = (DATA / "unit_cube.STL").read_bytes()
    with open(DATA / "unit_cube.STL", "rb") as stream:
        assert makeready.load(stream).volume == pytest.approx(makeready.load(data).volume)
