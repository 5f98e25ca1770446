"""Texture coordinates and images: read from OBJ(+MTL) zips and 3MF, kept, written again.

Truths: the cube fixture's own UV table (tests/data/textured/make_textured_cube.py, made
here); trimesh's independent OBJ reader for the corpus OBJs (per-triangle corner positions
paired with UVs must agree as sets); the 3MF Consortium's multipletextures.3mf and lib3mf's
Texture.3mf, whose images are compared byte for byte after a write and a read.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from makeready import Body, Part, load, save
from makeready.geometry.appearance import Appearance, TextureImage, transfer_appearance
from makeready.geometry.formats.obj import parse_mtl
from makeready.geometry.repair import repair
from makeready.rendering.visual import visual_glb
from makeready.store.meshes import pack_part, unpack_part
from tests.conftest import corpus_path
from tests.data.textured.make_textured_cube import FACES, SQUARE, VERTICES

CUBE_ZIP = Path(__file__).parent / "data" / "textured" / "textured_cube.zip"


def corner_pairs(body: Body) -> list[tuple[tuple[float, ...], ...]]:
    """Each triangle as the sorted set of its corners' (x, y, z, u, v): independent of order.

    A corner without UV reads (u, v) = (-1, -1) so that the rows sort (NaN does not).
    """
    assert body.appearance is not None
    uvs = np.nan_to_num(body.appearance.uvs, nan=-1.0)
    rows = np.concatenate([body.triangles(), uvs], axis=2).round(9)
    return sorted(tuple(sorted(map(tuple, tri))) for tri in rows.tolist())


def expected_cube_uvs() -> dict[tuple[float, float, float], set[tuple[float, float]]]:
    """For each textured face's corners, the UV the fixture wrote (position -> UVs it may take)."""
    table: dict[tuple[float, float, float], set[tuple[float, float]]] = {}
    for quad, origin in FACES.values():
        if origin is None:
            continue
        for index, (du, dv) in zip(quad, SQUARE, strict=True):
            position = tuple(float(c) for c in VERTICES[index - 1])
            table.setdefault(position, set()).add((origin[0] + du, origin[1] + dv))  # type: ignore[arg-type]
    return table


def test_obj_zip_keeps_uvs_and_the_texture() -> None:
    part = load(CUBE_ZIP)
    (body,) = part.bodies
    assert part.has_uvs
    assert body.triangle_count == 12
    assert body.volume == pytest.approx(8000.0)  # UVs leave the geometry alone: closed, welded
    appearance = body.appearance
    assert appearance is not None
    (image,) = appearance.textures
    with zipfile.ZipFile(CUBE_ZIP) as archive:
        assert image.data == archive.read("checker tex.png")  # the map_Kd name has a space and -s option
    assert image.media_type == "image/png"
    textured = np.isfinite(appearance.uvs).all(axis=(1, 2))
    assert textured.sum() == 10  # five quads; the top has no UVs
    assert (appearance.texture[textured] == 0).all()
    assert (appearance.texture[~textured] == -1).all()
    # Every textured corner has one of the UVs the file gave that position on some face, and
    # a triangle's three UVs come from one face's square (no mixing across the seams).
    table = expected_cube_uvs()
    for corners, uvs in zip(body.triangles()[textured], appearance.uvs[textured], strict=True):
        for position, uv in zip(corners.tolist(), uvs.tolist(), strict=True):
            assert tuple(uv) in table[tuple(position)]
        assert np.ptp(uvs, axis=0).max() <= 0.25 + 1e-12


def test_obj_without_images_keeps_uvs_and_says_so() -> None:
    with zipfile.ZipFile(CUBE_ZIP) as archive:
        text = archive.read("cube.obj")
    part = load(text, filename="cube.obj")
    assert part.has_uvs
    assert part.bodies[0].appearance is not None
    assert part.bodies[0].appearance.textures == ()
    assert any("texture images are not read from a bare OBJ" in note for note in part.notes)


def test_mtl_options_and_spaces() -> None:
    mtl = b"newmtl a b\nmap_Kd -blendu on -s 1 2 3 -o 0.5 0 0 my tex.png\nnewmtl c\nmap_Kd sub\\t.jpg\n"
    assert parse_mtl(mtl) == {"a b": "my tex.png", "c": "sub/t.jpg"}


@pytest.mark.parametrize("name", ["fuze.obj", "capsule.obj", "quadknot.obj", "box.obj"])
def test_corpus_obj_uvs_agree_with_trimesh(name: str) -> None:
    import trimesh

    path = corpus_path(f"trimesh/{name}")
    body = load(path).bodies[0]
    theirs = trimesh.load(path, force="mesh", process=False)
    assert body.appearance is not None
    rows = np.concatenate([theirs.vertices[theirs.faces], theirs.visual.uv[theirs.faces]], axis=2).round(9)
    expected = sorted(tuple(sorted(map(tuple, tri))) for tri in rows.tolist())
    assert corner_pairs(body) == expected


def test_textures_beside_an_obj_on_disk_and_in_a_zip() -> None:
    from_disk = load(corpus_path("trimesh/fuze.obj"))  # map_Kd "fuze uv.jpg" beside it
    zipped = load(corpus_path("trimesh/fuze.zip"))  # the same mesh, image named fuze_uv.jpg
    a, b = from_disk.bodies[0].appearance, zipped.bodies[0].appearance
    assert a is not None
    assert b is not None
    assert [t.name for t in a.textures] == ["fuze uv.jpg"]
    assert a.textures[0].data == b.textures[0].data
    assert a.textures[0].media_type == "image/jpeg"
    assert corner_pairs(from_disk.bodies[0]) == corner_pairs(zipped.bodies[0])


def test_3mf_textures_read_and_written_again() -> None:
    part = load(corpus_path("3mf-samples/examples/material/multipletextures.3mf"))
    (body,) = part.bodies
    assert body.triangle_count == 96692
    appearance = body.appearance
    assert appearance is not None
    assert len(appearance.textures) == 2
    assert {t.media_type for t in appearance.textures} == {"image/jpeg"}
    assert np.isfinite(appearance.uvs).all()
    assert set(np.unique(appearance.texture).tolist()) == {0, 1}
    buffer = io.BytesIO()
    save(part, buffer, "3mf")
    again = load(buffer.getvalue(), filename="again.3mf").bodies[0]
    assert again.appearance is not None
    np.testing.assert_array_equal(again.vertices, body.vertices)
    np.testing.assert_array_equal(again.faces, body.faces)
    np.testing.assert_array_equal(again.appearance.uvs, appearance.uvs)
    np.testing.assert_array_equal(again.appearance.texture, appearance.texture)
    assert [t.data for t in again.appearance.textures] == [t.data for t in appearance.textures]


def test_lib3mf_texture_png() -> None:
    body = load(corpus_path("lib3mf/CPP_UnitTests/Texture.3mf")).bodies[0]
    assert body.appearance is not None
    assert [(t.name, t.media_type) for t in body.appearance.textures] == [("logo.png", "image/png")]
    assert body.has_uvs


def test_obj_zip_export_round_trip(tmp_path: Path) -> None:
    part = load(CUBE_ZIP)
    save(part, tmp_path / "out.zip")
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        assert sorted(archive.namelist()) == ["checker tex.png", "out.mtl", "out.obj"]
    again = load(tmp_path / "out.zip")
    assert corner_pairs(again.bodies[0]) == corner_pairs(part.bodies[0])
    assert again.bodies[0].appearance is not None
    assert again.bodies[0].appearance.textures[0].data == part.bodies[0].appearance.textures[0].data  # type: ignore[union-attr]
    # An OBJ saved to a path gets its MTL and image beside it, and reads back textured.
    save(part, tmp_path / "disk.obj")
    assert (tmp_path / "disk.mtl").is_file()
    assert (tmp_path / "checker tex.png").is_file()
    assert corner_pairs(load(tmp_path / "disk.obj").bodies[0]) == corner_pairs(part.bodies[0])
    # Another model's image of the same name beside it is never overwritten.
    other = tmp_path / "other"
    other.mkdir()
    (other / "checker tex.png").write_bytes(b"another model's texture")
    save(part, other / "cube.obj")
    assert (other / "checker tex.png").read_bytes() == b"another model's texture"
    again = load(other / "cube.obj").bodies[0]
    assert again.appearance is not None
    assert [t.name for t in again.appearance.textures] == ["checker tex_1.png"]
    assert corner_pairs(again) == corner_pairs(part.bodies[0])


def test_stored_part_keeps_textures() -> None:
    part = load(CUBE_ZIP)
    again = unpack_part(pack_part(part))
    assert corner_pairs(again.bodies[0]) == corner_pairs(part.bodies[0])
    assert again.bodies[0].appearance is not None
    assert again.bodies[0].appearance.textures == part.bodies[0].appearance.textures  # type: ignore[union-attr]


def test_mirror_keeps_each_corner_its_uv() -> None:
    body = load(CUBE_ZIP).bodies[0]
    mirrored = body.transformed(np.diag([-1.0, 1.0, 1.0, 1.0]))
    assert mirrored.volume == pytest.approx(8000.0)  # winding reversed with the mirror
    before = corner_pairs(body)
    flipped = [tuple(sorted((-c[0], *c[1:]) for c in tri)) for tri in before]
    assert corner_pairs(mirrored) == sorted(flipped)


def test_repair_carries_uvs_to_kept_triangles() -> None:
    body = load(CUBE_ZIP).bodies[0]
    assert body.appearance is not None
    faces = np.array(body.faces)
    faces[0] = faces[0][::-1]  # one flipped triangle
    faces = np.vstack([faces, faces[3:4]])  # one duplicate
    appearance = Appearance(
        np.concatenate([body.appearance.uvs[:1, ::-1], body.appearance.uvs[1:], body.appearance.uvs[3:4]]),
        np.concatenate([body.appearance.texture, body.appearance.texture[3:4]]),
        body.appearance.textures,
    )
    damaged = Part((Body("cube", body.vertices, faces, appearance=appearance),), "test")
    fixed, _ = repair(damaged)
    (out,) = fixed.bodies
    assert out.triangle_count == 12
    assert out.volume == pytest.approx(8000.0)
    assert out.appearance is not None
    assert corner_pairs(out) == corner_pairs(body)  # the flipped one keeps its corners' UVs


def test_transfer_leaves_new_triangles_untextured() -> None:
    tri = np.array([[[0, 0, 0], [1, 0, 0], [0, 1, 0]]], np.float64)
    uvs = np.array([[[0, 0], [1, 0], [0, 1]]], np.float64)
    appearance = Appearance(uvs, np.array([0]), (TextureImage("t.png", "image/png", b"\x89PNG\r\n\x1a\n"),))
    new = np.concatenate([tri[:, [2, 0, 1]], tri + np.array([0.0, 0.0, 5.0])])
    moved = transfer_appearance(appearance, tri, new)
    assert moved is not None
    np.testing.assert_array_equal(moved.uvs[0], uvs[0][[2, 0, 1]])
    assert np.isnan(moved.uvs[1]).all()
    assert moved.texture.tolist() == [0, -1]


def test_visual_file_carries_the_texture() -> None:
    import trimesh

    part = load(corpus_path("trimesh/fuze.zip"))
    scene = trimesh.load(io.BytesIO(visual_glb(part)), file_type="glb")
    (mesh,) = scene.geometry.values()
    image = mesh.visual.material.baseColorTexture
    assert image.size == (1024, 1024)
    # glTF holds UVs with the origin at the top; trimesh flips them back to OBJ's convention.
    rows = np.concatenate([mesh.vertices[mesh.faces] * 1000.0, mesh.visual.uv[mesh.faces]], axis=2).round(6)
    ours = np.concatenate([part.bodies[0].triangles(), part.bodies[0].appearance.uvs], axis=2).round(6)  # type: ignore[union-attr]
    assert sorted(tuple(sorted(map(tuple, t))) for t in rows.tolist()) == sorted(
        tuple(sorted(map(tuple, t))) for t in ours.tolist()
    )


def test_untextured_part_has_no_appearance() -> None:
    part = load(corpus_path("trimesh/featuretype.STL"))
    assert not part.has_uvs
    assert all(body.appearance is None for body in part.bodies)


def test_info_reports_textures() -> None:
    from typer.testing import CliRunner

    from makeready.cli import app

    result = CliRunner().invoke(app, ["info", str(CUBE_ZIP), "--json"])
    assert result.exit_code == 0, result.output
    textures = json.loads(result.stdout)["textures"]
    assert textures == {
        "has_uvs": True,
        "triangles_with_uvs": 10,
        "images": [
            {
                "name": "checker tex.png",
                "media_type": "image/png",
                "bytes": len(load(CUBE_ZIP).bodies[0].appearance.textures[0].data),
            }
        ],  # type: ignore[union-attr]
    }
    plain = CliRunner().invoke(app, ["info", str(CUBE_ZIP)])
    size = textures["images"][0]["bytes"]
    assert size < 1000
    assert f"textures: 10 of 12 triangles with UVs; images: checker tex.png ({size} B)" in plain.stdout
