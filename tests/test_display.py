"""The viewer's display document: geometry, per-face values, decimation, supports, round trip."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pytest
import trimesh

from makeready import Body, Part
from makeready.errors import MakereadyError
from makeready.geometry.triangles import stack_bodies
from makeready.rendering.display import (
    FLAG_OVERHANG,
    FLAG_THIN_WALL,
    analysis_display,
    mesh_display,
    pack_display,
    unpack_display,
)
from makeready.rendering.reports import part_xlsx
from makeready.rendering.spark import analysis_report
from makeready.workflows.quote import run_analysis
from tests.conftest import box_part


def _sphere(radius: float, subdivisions: int) -> Part:
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=radius)
    return Part(
        (Body("sphere", np.asarray(sphere.vertices), np.asarray(sphere.faces)),), "stl", name="sphere"
    )


def test_a_cube_round_trips_with_its_per_face_values() -> None:
    cube = box_part()
    result = run_analysis(cube, "PA12", "sls", 10)
    display = analysis_display(result)
    back = unpack_display(pack_display(display))
    vertices, faces, _ = stack_bodies(result.analysis.part)
    np.testing.assert_array_equal(back.positions, vertices.astype(np.float32))
    np.testing.assert_array_equal(back.faces, faces.astype(np.uint32))
    assert back.meta["bounds"] == [[0.0, 0.0, 0.0], [20.0, 20.0, 20.0]]
    assert back.meta["decimated"] is False
    assert back.meta["faces"] == back.meta["source_faces"] == 12
    # A 20 mm cube is 20 mm thick everywhere and has no thin wall; SLS needs no supports.
    np.testing.assert_allclose(back.face_values["thickness"], 20.0, rtol=1e-5)
    assert not (back.face_values["flags"] & FLAG_THIN_WALL).any()
    assert back.extra == {}
    assert back.meta["supports"]["needs_supports"] is False
    assert back.meta["problems"] == []
    assert set(back.meta["orientations"]) == set(analysis_report(result)["process_chains"])
    assert back.meta["primary_process_chain_id"] == analysis_report(result)["primary_process_chain_id"]


def test_a_thin_plate_is_flagged_thin_on_every_face_of_its_faces() -> None:
    plate = box_part((30.0, 30.0, 0.6))  # PA12's minimum wall is 1.0 mm
    display = analysis_display(run_analysis(plate, "PA12", "sls", 1))
    big = np.abs(display.face_values["thickness"] - 0.6) < 1e-3
    assert big.sum() >= 4  # the two 30 x 30 faces measure 0.6 mm
    assert ((display.face_values["flags"][big] & FLAG_THIN_WALL) > 0).all()
    assert display.meta["thickness"]["thin_walls"]


def test_large_parts_are_decimated_and_keep_their_values() -> None:
    sphere = _sphere(10.0, 5)  # 20,480 triangles
    result = run_analysis(sphere, "PA12", "sls", 1)
    display = analysis_display(result, max_faces=5000)
    assert display.meta["decimated"] is True
    assert display.meta["source_faces"] == 20480
    assert 4000 <= display.meta["faces"] <= 5100
    assert len(display.faces) == display.meta["faces"] == len(display.face_values["thickness"])
    # through a sphere the wall along the inward normal is its diameter
    assert np.nanmedian(display.face_values["thickness"]) == pytest.approx(20.0, rel=0.02)
    radii = np.linalg.norm(display.positions, axis=1)
    assert radii.min() > 9.8
    assert radii.max() < 10.05


def test_supports_stand_under_the_lower_half_of_a_sphere() -> None:
    sphere = _sphere(10.0, 3)
    result = run_analysis(sphere, "PLA", "fdm", 1)
    display = analysis_display(result)
    rotation = np.asarray(display.meta["orientations"][display.meta["primary_process_chain_id"]]["rotation"])
    placed = sphere.bodies[0].vertices @ rotation.T
    support = display.extra["support_positions"]
    assert len(display.extra["support_faces"]) == display.meta["supports"]["faces"] > 0
    # every post stands on the plate and ends under the sphere's equator (machine coordinates)
    plate, centre = placed[:, 2].min(), placed.mean(axis=0)
    assert support[:, 2].min() >= plate - 1e-6
    assert support[:, 2].max() <= centre[2] + 1e-6
    assert np.hypot(*(support[:, :2] - centre[:2]).T).max() <= 10.0 + 2.0
    # overhang flags are the downward faces of that orientation (FDM: steeper than 45 degrees)
    tri = placed[sphere.bodies[0].faces]
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    down = normal[:, 2] / np.linalg.norm(normal, axis=1) < -np.cos(np.radians(45.0)) - 1e-3
    flagged = (display.face_values["flags"] & FLAG_OVERHANG) > 0
    assert flagged.sum() > 0
    assert (flagged <= down | (tri[:, :, 2].max(axis=1) < plate + 0.5)).all()


def test_mesh_display_draws_every_body() -> None:
    two = Part((*box_part().bodies, *box_part(origin=(30.0, 0.0, 0.0)).bodies), "stl", name="two")
    display = unpack_display(pack_display(mesh_display(two)))
    assert len(display.faces) == 24
    assert display.meta["bounds"] == [[0.0, 0.0, 0.0], [50.0, 20.0, 20.0]]
    assert display.face_values == {}


@pytest.mark.parametrize("data", [b"", b"MRD0xxxx", b"MRD1\xff\xff\x00\x00{}", b"MRD1\x02\x00\x00\x00{}"])
def test_broken_documents_are_refused_with_a_code(data: bytes) -> None:
    with pytest.raises(MakereadyError) as err:
        unpack_display(data)
    assert err.value.code == "file.unsupported_format"


def test_the_part_workbook_holds_every_chain_and_the_break_even_sweep() -> None:
    report = analysis_report(run_analysis(box_part(), "316L", "slm", 10))
    book = openpyxl.load_workbook(io.BytesIO(part_xlsx(report)))
    assert book.sheetnames == ["Part", "Chains", "Break-even", "Mesh checks"]
    rows = list(book["Chains"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == len(report["process_chains"])
    by_id = {row[header.index("Process chain id")]: row for row in body}
    infeasible = 0
    for chain_id, chain in report["process_chains"].items():
        if chain["cost"]["cost_pp"] is None:  # an infeasible chain (turning a cube): an empty cell
            assert by_id[chain_id][header.index("EUR/part")] is None
            infeasible += 1
            continue
        # Excel keeps 15 significant digits
        assert by_id[chain_id][header.index("EUR/part")] == pytest.approx(chain["cost"]["cost_pp"], rel=1e-14)
        assert by_id[chain_id][header.index("kg CO2e/part")] == pytest.approx(
            chain["co2"]["co2_pp"], rel=1e-14
        )
    assert infeasible < len(body)
    primary = report["process_chains"][report["primary_process_chain_id"]]
    sweep = list(book["Break-even"].iter_rows(min_row=2, max_col=3, values_only=True))
    assert [r[0] for r in sweep] == primary["break_even"]["lot_sizes"]
    assert [r[1] for r in sweep] == pytest.approx(primary["break_even"]["cost_pp"])
    facts = dict(book["Part"].iter_rows(values_only=True))
    assert facts["Volume (cm3)"] == pytest.approx(report["part_vol"], rel=1e-14)
    assert facts["Lot size"] == 10
