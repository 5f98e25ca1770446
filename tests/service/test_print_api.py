"""3D Print API's print-preparation flow against a live server: files → meshes → trays → printable."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from makeready import Body, Part, load, save
from tests.meshes import box
from tests.service.live import Api, LiveServer

FDM = "FC94B6A0-DC1A-56BC-89D1-6C9323FCF953"  # Prusa MK4
FDM_PROFILE = "CC4E883A-7364-586F-A0C3-292349DD18EA"
DLP = "A7A9C263-0375-55B2-A2C5-9EA843EBD041"  # Autodesk Ember
TEXTURED_CUBE = Path(__file__).parents[1] / "data" / "textured" / "textured_cube.zip"


def _stl(part: Part, fmt: str = "stl") -> bytes:
    buffer = io.BytesIO()
    save(part, buffer, fmt)
    return buffer.getvalue()


def _damaged_block() -> bytes:
    """A 30 x 20 x 10 mm block with one flipped triangle and one duplicated triangle (ASCII STL)."""
    v, f = box((30.0, 20.0, 10.0))
    f = np.asarray(f).copy()
    f[3] = f[3][::-1]
    f = np.vstack([f, f[5]])
    return _stl(Part((Body("block", v, f),), "generated", name="block"), "stl-ascii")


def _upload(api: Api, name: str, data: bytes) -> str:
    reply = api.post("/api/v1/files/upload", files={"file": (name, data)})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["files"][0]["name"] == name
    return body["file_id"]  # type: ignore[no-any-return]


def test_print_preparation_flow_fdm(server: LiveServer) -> None:
    api = Api(server.url)
    file_id = _upload(api, "block.stl", _damaged_block())
    mesh = api.done(api.post("/api/v1/geom/meshes/import", json={"file_id": file_id, "name": "block"}))
    assert set(mesh) >= {"id", "name", "internal_file_id", "transform", "geom", "analyzed"}
    assert mesh["analyzed"] is False
    assert "problems" not in mesh
    assert mesh["transform"] == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    assert mesh["geom"]["num_triangles"] == 13
    assert mesh["geom"]["has_uvs"] is False
    assert mesh["geom"]["bounding_box"]["max"] == pytest.approx([3.0, 2.0, 1.0])  # cm on the wire
    assert api.get(f"/api/v1/geom/meshes/{mesh['id']}").json() == mesh

    analysed = api.done(api.post("/api/v1/geom/meshes/analyze", json={"id": mesh["id"]}))
    types = {p["type"] for p in analysed["problems"]}
    assert "duplicate_triangles" in types
    assert "inconsistently_oriented_triangles" in types
    duplicate = next(p for p in analysed["problems"] if p["type"] == "duplicate_triangles")
    corner = np.array([duplicate["triangles"][0][k] for k in ("v0", "v1", "v2")])
    assert corner.max() <= 3.0 + 1e-9  # locations in cm, inside the 3 x 2 x 1 cm block
    visual = api.done(api.post("/api/v1/geom/meshes/generate-visual", json={"id": mesh["id"]}))
    glb = api.get(f"/api/v1/files/{visual['visual_file_id']}")
    assert glb.status_code == 200
    assert glb.headers["content-type"] == "model/gltf-binary"
    assert glb.content[:4] == b"glTF"
    assert b'"name":"duplicate_triangles"' in glb.content  # the problems are drawn
    assert api.get(f"/api/v1/geom/meshes/{mesh['id']}").json()["visual_file_id"] == visual["visual_file_id"]
    again = api.post("/api/v1/geom/meshes/analyze", json={"id": mesh["id"]})
    assert again.status_code == 200
    assert again.json()["problems"] == analysed["problems"]
    named = api.done(
        api.post("/api/v1/geom/meshes/import", json={"file_id": file_id, "generate_visual": True})
    )
    assert named["name"] == "block"  # the file's name when none is sent
    assert api.get(f"/api/v1/files/{named['visual_file_id']}").content[:4] == b"glTF"

    repaired = api.done(api.post("/api/v1/geom/meshes/repair", json={"id": mesh["id"]}))
    assert repaired["id"] != mesh["id"]
    assert repaired["problems"] == []
    assert repaired["analyzed"] is True
    assert repaired["geom"]["num_triangles"] == 12
    assert api.get(f"/api/v1/geom/meshes/{mesh['id']}").json()["geom"]["num_triangles"] == 13  # immutable

    moved = api.post(
        "/api/v1/geom/meshes/transform",
        json={"id": repaired["id"], "transform": [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0]]},
    )
    assert moved.status_code == 200
    assert moved.json()["id"] != repaired["id"]
    assert moved.json()["transform"][0][3] == 1
    assert moved.json()["problems"] == []
    renamed = api.post(
        "/api/v1/geom/meshes/rename", json={"id": moved.json()["id"], "name": "bracket"}
    ).json()
    assert renamed["name"] == "bracket"
    assert renamed["transform"] == moved.json()["transform"]

    exported = api.done(
        api.post("/api/v1/geom/meshes/export", json={"id": renamed["id"], "file_type": "stl_binary"})
    )
    stl = api.get(f"/api/v1/files/{exported['file_id']}")
    assert stl.status_code == 200
    back = load(stl.content, filename="x.stl")
    assert back.volume == pytest.approx(6000.0, rel=1e-9)  # 30 x 20 x 10 mm
    assert back.bounds[0] == pytest.approx([10.0, 0.0, 0.0])  # the 1 cm translation, in mm

    tray = api.done(
        api.post(
            "/api/v1/print/trays",
            json={"printer_type_id": FDM, "profile_id": FDM_PROFILE, "mesh_ids": [mesh["id"], renamed["id"]]},
        )
    )
    assert tray["state"] == "created"
    assert tray["ready"] is False
    assert tray["mesh_attrs"][mesh["id"]] == {"reposition": True, "reorient": True, "support": True}
    assert [m["id"] for m in tray["meshes"]] == [mesh["id"], renamed["id"]]
    refused = api.post("/api/v1/print/trays/generate-printable", json={"id": tray["id"]})
    assert refused.status_code == 409
    assert refused.json()["code"] == "tray.not_ready"

    prepared = api.done(
        api.post("/api/v1/print/trays/prepare", json={"id": tray["id"], "generate_visual": True})
    )
    assert prepared["id"] != tray["id"]
    plate = api.get(f"/api/v1/files/{prepared['visual_file_id']}")
    assert plate.headers["content-type"] == "model/gltf-binary"
    assert plate.content.count(b'"name":"bracket"') >= 1  # each mesh where it stands
    assert prepared["state"] == "supported"
    assert prepared["ready"] is True
    assert prepared["meshes"][0]["id"] != mesh["id"]  # the damaged mesh was repaired into a new one
    assert prepared["meshes"][1]["id"] == renamed["id"]  # the clean one was kept
    # After preparation mesh_attrs say what was done (docs/printables.md): both were placed.
    assert all(a["reposition"] is True for a in prepared["mesh_attrs"].values())
    assert all(
        isinstance(a["reorient"], bool) and isinstance(a["support"], bool)
        for a in prepared["mesh_attrs"].values()
    )
    for placed in prepared["meshes"]:
        z_min = placed["geom"]["bounding_box"]["min"][2]
        assert np.isfinite(z_min)
    assert api.get(f"/api/v1/print/trays/{tray['id']}").json()["state"] == "created"  # immutable

    printable = api.done(api.post("/api/v1/print/trays/generate-printable", json={"id": prepared["id"]}))
    gcode = api.get(f"/api/v1/files/{printable['file_id']}")
    assert gcode.status_code == 200
    assert b"G1" in gcode.content
    assert printable["summary"]["layers"] == 50  # two 10 mm tall blocks at 0.2 mm layers
    # generate_raw: a device-independent raw file beside it; translate makes it a printable again.
    with_raw = api.done(
        api.post("/api/v1/print/trays/generate-printable", json={"id": prepared["id"], "generate_raw": True})
    )
    translated = api.done(
        api.post(
            "/api/v1/print/trays/translate",
            json={"raw_file_id": with_raw["raw_file_id"], "printer_type_id": FDM, "profile": FDM_PROFILE},
        )
    )
    assert translated["summary"]["repositioned"] is False
    assert api.get(f"/api/v1/files/{translated['file_id']}").content == gcode.content  # byte for byte
    supports = api.done(api.post("/api/v1/print/trays/export-support", json={"id": prepared["id"]}))
    assert isinstance(supports, dict)  # blocks lying flat need no supports


def test_textured_obj_zip_comes_back_textured(server: LiveServer) -> None:
    """The API's OBJ+MTL+texture zip import: has_uvs, exported again as an OBJ zip and a 3MF, drawn."""
    api = Api(server.url)
    file_id = _upload(api, "textured_cube.zip", TEXTURED_CUBE.read_bytes())
    mesh = api.done(api.post("/api/v1/geom/meshes/import", json={"file_id": file_id}))
    assert mesh["name"] == "textured_cube"
    assert mesh["geom"]["has_uvs"] is True
    source = load(TEXTURED_CUBE).bodies[0]
    for file_type, name in (("obj", "textured_cube.zip"), ("3mf", "textured_cube.3mf")):
        exported = api.done(
            api.post("/api/v1/geom/meshes/export", json={"id": mesh["id"], "file_type": file_type})
        )
        reply = api.get(f"/api/v1/files/{exported['file_id']}")
        assert reply.status_code == 200
        again = load(reply.content, filename=name).bodies[0]
        assert again.appearance is not None
        assert again.appearance.textures[0].data == source.appearance.textures[0].data  # type: ignore[union-attr]
        np.testing.assert_array_equal(
            np.sort(again.appearance.uvs.reshape(-1, 2), axis=0),
            np.sort(source.appearance.uvs.reshape(-1, 2), axis=0),  # type: ignore[union-attr]
        )
    stl = api.done(api.post("/api/v1/geom/meshes/export", json={"id": mesh["id"], "file_type": "stl_binary"}))
    assert load(api.get(f"/api/v1/files/{stl['file_id']}").content, filename="c.stl").volume == pytest.approx(
        8000.0
    )
    visual = api.done(api.post("/api/v1/geom/meshes/generate-visual", json={"id": mesh["id"]}))
    glb = api.get(f"/api/v1/files/{visual['visual_file_id']}").content
    assert b'"baseColorTexture"' in glb
    assert b"TEXCOORD_0" in glb
    repaired = api.done(api.post("/api/v1/geom/meshes/repair", json={"id": mesh["id"]}))
    assert repaired["geom"]["has_uvs"] is True


def test_dlp_tray_makes_a_png_stack(server: LiveServer) -> None:
    api = Api(server.url)
    file_id = _upload(api, "small.stl", _stl(Part((Body("b", *box((10.0, 8.0, 6.0))),), "generated")))
    mesh = api.done(api.post("/api/v1/geom/meshes/import", json={"file_id": file_id, "name": "small"}))
    tray = api.done(api.post("/api/v1/print/trays", json={"printer_type_id": DLP, "mesh_ids": [mesh["id"]]}))
    prepared = api.done(api.post("/api/v1/print/trays/prepare", json={"id": tray["id"]}), timeout=300)
    printable = api.done(
        api.post("/api/v1/print/trays/generate-printable", json={"id": prepared["id"]}), timeout=300
    )
    archive = api.get(f"/api/v1/files/{printable['file_id']}")
    assert archive.content[:2] == b"\x1f\x8b"  # gzip


def test_print_definitions(server: LiveServer) -> None:
    api = Api(server.url)
    types = api.get("/api/v1/printdb/printertypes").json()
    assert FDM in [t["id"] for t in types]
    ember = api.get(f"/api/v1/printdb/printertypes/{DLP}").json()
    assert ember["technology"] == "DLP"
    assert ember["build_volume"]["bed_size"][0] == pytest.approx(6.4)
    profile = api.get(f"/api/v1/printdb/profiles/{FDM_PROFILE}").json()
    assert FDM in profile["printer_types"]
    materials = api.get("/api/v1/printdb/materials").json()
    one = api.get(f"/api/v1/printdb/materials/{materials[0]['id']}").json()
    assert one["id"] == materials[0]["id"]
    assert api.get("/api/v1/printdb/profiles/00000000-0000-0000-0000-000000000000").status_code == 404
    # The printer type's generated files: its icon (PNG) and its bed (a zip with one OBJ, cm).
    icon = api.get(f"/api/v1/files/{ember['icon_id']}")
    assert icon.status_code == 200
    assert icon.content.startswith(b"\x89PNG")
    bed = api.get(f"/api/v1/files/{ember['build_volume']['bed_file_id']}")
    assert bed.status_code == 200
    plate = load(bed.content, filename="bed.zip")
    assert plate.bounds[1][:2] - plate.bounds[0][:2] == pytest.approx([6.4, 4.0])  # the 6.4 x 4.0 cm plate
    assert plate.bounds[1][2] == pytest.approx(0.0)  # its top is the tray's z = 0


def test_task_errors_and_bad_requests(server: LiveServer) -> None:
    api = Api(server.url)
    garbage = _upload(api, "notes.stl", b"solid x\n facet normal 0 0 1\n outer loop\n vertex 0 0 nan\n")
    task = api.task(api.post("/api/v1/geom/meshes/import", json={"file_id": garbage, "name": "bad"}))
    assert task["status"] == "error"
    assert set(task["error"]) >= {"error_id", "code", "message"}
    assert task["error"]["code"].startswith(("stl.", "file."))
    assert task["attempts"] == 1  # unusable input is not retried
    missing = api.post("/api/v1/geom/meshes/import", json={"file_id": "00000000-0000-0000-0000-000000000000"})
    assert missing.status_code == 404
    not_uuid = api.post("/api/v1/geom/meshes/import", json={"file_id": "nope"})
    assert not_uuid.status_code == 422
    assert not_uuid.json()["code"] == "request.invalid"
    assert not_uuid.headers["content-type"].startswith("application/problem+json")
    file_id = _upload(api, "c.stl", _stl(Part((Body("b", *box((5.0, 5.0, 5.0))),), "generated")))
    mesh = api.done(api.post("/api/v1/geom/meshes/import", json={"file_id": file_id}))
    flat = api.post("/api/v1/geom/meshes/transform", json={"id": mesh["id"], "transform": [[0, 0, 0, 0]] * 3})
    assert flat.status_code == 422
    bad_type = api.post("/api/v1/geom/meshes/export", json={"id": mesh["id"], "file_type": "step"})
    assert bad_type.status_code == 422
    incompatible = api.post(
        "/api/v1/print/trays",
        json={
            "printer_type_id": FDM,
            "profile_id": "162826BA-9562-52EE-BDE0-8AB8FA25871D",
            "mesh_ids": [mesh["id"]],
        },
    )
    assert incompatible.status_code == 422
    assert incompatible.json()["code"] == "tray.incompatible"
    assert api.get("/api/v1/print/tasks/00000000-0000-0000-0000-000000000000").status_code == 404
