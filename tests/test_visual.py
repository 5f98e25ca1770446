"""The 3D Print API's visual file: a binary glTF 2.0 that any reader takes, in metres.

Checked against the glTF 2.0 specification's container layout directly (header, JSON chunk,
accessor bounds), not through the library that wrote it.
"""

from __future__ import annotations

import json
import struct

import pytest

from makeready.rendering.visual import visual_glb
from tests.meshes import box, part


def _gltf(glb: bytes) -> dict:
    magic, version, length = struct.unpack_from("<4sII", glb, 0)
    assert magic == b"glTF"
    assert version == 2
    assert length == len(glb)
    chunk_length, chunk_type = struct.unpack_from("<I4s", glb, 12)
    assert chunk_type == b"JSON"
    return json.loads(glb[20 : 20 + chunk_length])


def test_a_part_and_its_problems_in_metres():
    vertices, faces = box((30.0, 20.0, 10.0))
    problems = [
        {"type": "duplicate_triangles", "triangles": [{"v0": [0, 0, 0], "v1": [3, 0, 0], "v2": [0, 2, 0]}]},
        {"type": "nonmanifold_vertices", "vertices": [[3.0, 2.0, 1.0]]},
        {"type": "holes", "boundaries": [[[0, 0, 1], [3, 0, 1], [3, 2, 1]]]},
        {"type": "inconsistently_oriented_triangles", "edges": [{"v0": [0, 0, 0], "v1": [0, 0, 1]}]},
    ]
    gltf = _gltf(visual_glb(part(vertices, faces), problems))
    names = sorted(node["name"] for node in gltf["nodes"])
    assert names == sorted(["body", "duplicate_triangles", "nonmanifold_vertices", "holes",
                            "inconsistently_oriented_triangles"])  # fmt: skip
    by_name = {m["name"]: m for m in gltf["meshes"]}
    position = gltf["accessors"][by_name["body"]["primitives"][0]["attributes"]["POSITION"]]
    assert position["max"] == pytest.approx([0.030, 0.020, 0.010])  # 30 x 20 x 10 mm, in metres
    assert position["min"] == pytest.approx([0.0, 0.0, 0.0])
    assert by_name["nonmanifold_vertices"]["primitives"][0]["mode"] == 0  # POINTS
    assert by_name["holes"]["primitives"][0]["mode"] == 1  # LINES: the closed rim, 3 segments
    rim = gltf["accessors"][by_name["holes"]["primitives"][0]["attributes"]["POSITION"]]
    assert rim["max"] == pytest.approx([0.03, 0.02, 0.01])  # cm locations -> metres


def test_a_clean_part_has_only_its_bodies():
    vertices, faces = box((10.0, 10.0, 10.0))
    gltf = _gltf(visual_glb(part(vertices, faces)))
    assert [node["name"] for node in gltf["nodes"]] == ["body"]
    assert len(gltf["meshes"][0]["primitives"]) == 1
    count = gltf["accessors"][gltf["meshes"][0]["primitives"][0]["indices"]]["count"]
    assert count == 36  # 12 triangles


def test_a_prepared_tray_drawn_with_its_meshes_where_they_stand():
    from makeready import Body, Part
    from makeready.rendering.visual import tray_glb
    from makeready.workflows.trays import create_tray, prepare

    v, f = box((20.0, 15.0, 6.0))
    tray = prepare(create_tray("Prusa MK4", {"a": Part((Body("a", v, f),), "generated", name="a")}))
    gltf = _gltf(tray_glb(tray))
    by_name = {m["name"]: m for m in gltf["meshes"]}
    position = gltf["accessors"][by_name["a"]["primitives"][0]["attributes"]["POSITION"]]
    lo, hi = tray.meshes[0].placed().bounds
    assert position["min"] == pytest.approx((lo / 1000).tolist(), abs=1e-6)  # tray mm -> m
    assert position["max"] == pytest.approx((hi / 1000).tolist(), abs=1e-6)
