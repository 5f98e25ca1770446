"""The ``makeready info`` command, in-process and as a real subprocess, with its exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from makeready.cli import app
from tests.conftest import DATA

runner = CliRunner()


def test_info_table_shows_the_numbers():
    result = runner.invoke(app, ["info", str(DATA / "unit_cube.STL")])
    assert result.exit_code == 0, result.output
    assert "triangles" in result.output
    assert "12" in result.output
    assert "1.000" in result.output  # volume mm³


def test_info_json_is_machine_readable():
    result = runner.invoke(app, ["info", str(DATA / "featuretype.STL"), "--json", "--units", "inch"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["triangles"] == 3476
    assert data["volume_mm3"] == pytest.approx(11.627733431196749 * 25.4**3, rel=1e-9)
    assert data["source_units"] == "inch"
    assert data["bounding_box_mm"]["size"][0] == pytest.approx(5 * 25.4, rel=1e-6)


def test_bad_input_exits_2_with_the_code(tmp_path):
    bad = tmp_path / "bad.stl"
    bad.write_bytes(b"\0" * 80 + (5).to_bytes(4, "little") + b"\1" * 60)  # announces 5 triangles, holds 1
    result = runner.invoke(app, ["info", str(bad)])
    assert result.exit_code == 2
    assert "[file.truncated]" in result.output
    assert "5 triangles" in result.output


def test_subprocess_exit_codes(tmp_path):
    ok = subprocess.run(
        [sys.executable, "-m", "makeready", "info", str(DATA / "box.3mf"), "--json"],
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["triangles"] == 12
    missing = subprocess.run(
        [sys.executable, "-m", "makeready", "info", str(tmp_path / "none.stl")],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2
    assert "file.not_found" in missing.stderr
    bad_json = subprocess.run(
        [sys.executable, "-m", "makeready", "info", str(tmp_path / "none.stl"), "--json"],
        capture_output=True,
        text=True,
    )
    assert json.loads(bad_json.stdout)["error"]["code"] == "file.not_found"


def test_analyze_table_and_json():
    result = runner.invoke(app, ["analyze", str(DATA / "featuretype.STL")])
    assert result.exit_code == 0, result.output
    assert "duplicate_vertices" in result.output
    assert "288" in result.output
    assert "genus" in result.output
    result = runner.invoke(app, ["analyze", str(DATA / "unit_cube.STL"), "--json"])
    data = json.loads(result.output)
    assert data["watertight"]
    assert data["metrics"]["part_vol"] == pytest.approx(0.001)  # 3D Spark API unit: cm³
    assert data["metrics"]["volume_mm3"] == pytest.approx(1.0)
    assert data["mesh_checks"]["upload_file"]["Watertight"]["check_passed"] is True


def test_repair_writes_a_sound_part(tmp_path):
    out = tmp_path / "fixed.stl"
    result = runner.invoke(app, ["repair", str(DATA / "featuretype.STL"), str(out), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["succeeded"]
    assert out.exists()
    assert data["volume_after"] == pytest.approx(11.627733431196749 * 25.4**0, rel=1e-6)


def test_repair_bad_input_and_bad_option_exit_2(tmp_path):
    result = runner.invoke(app, ["repair", str(tmp_path / "missing.stl"), str(tmp_path / "o.stl")])
    assert result.exit_code == 2
    assert "file.not_found" in result.output
    result = runner.invoke(
        app, ["repair", str(DATA / "unit_cube.STL"), str(tmp_path / "o.stl"), "--action", "polish"]
    )
    assert result.exit_code == 2
    assert "request.invalid" in result.output
    result = runner.invoke(app, ["repair", str(DATA / "unit_cube.STL"), str(tmp_path / "o.xyz")])
    assert result.exit_code == 2


def _plate(tmp_path, thickness):
    from makeready import Body, Part, save
    from tests.meshes import box

    path = tmp_path / f"plate_{thickness}.stl"
    save(Part((Body("plate", *box((40.0, 30.0, thickness))),), "test", name="plate"), path)
    return path


def test_thickness_table_and_design_rules(tmp_path):
    result = runner.invoke(app, ["thickness", str(_plate(tmp_path, 0.8)), "--material", "PA12"])
    assert result.exit_code == 0, result.output
    assert "t_min" in result.output
    assert "0.800" in result.output
    assert "walls thinner than 1 mm" in result.output  # PA12's t_lim_min sets the threshold
    assert "fails: size_min_chk, t_min_chk" in result.output  # 0.8 mm is also below the 2 mm minimum size


def test_thickness_json_with_api_feasibility(tmp_path):
    result = runner.invoke(
        app, ["thickness", str(_plate(tmp_path, 2.0)), "--material", "316L", "--json", "--per-face"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["thickness"]["t_min"] == pytest.approx(2.0, rel=1e-6)
    assert data["material"] == "316L"
    assert data["machine"] == "EOS M 290"
    assert data["feasibility"]["thickness"]["t_min_chk"] is True
    assert data["feasibility"]["size"]["fits_mac"] is True
    assert len(data["thickness"]["bodies"][0]["thickness"]) == 12


def test_thickness_bad_material_and_file_exit_2(tmp_path):
    result = runner.invoke(app, ["thickness", str(_plate(tmp_path, 1.0)), "--material", "cheese", "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "catalog.not_found"
    result = runner.invoke(app, ["thickness", str(tmp_path / "missing.stl")])
    assert result.exit_code == 2
    assert "file.not_found" in result.output


def _t_shape(tmp_path):
    from makeready import Body, Part, save
    from tests.meshes import boxes_union
    from tests.test_supports import T_SHAPE

    path = tmp_path / "t.stl"
    save(Part((Body("t", *boxes_union(*T_SHAPE)),), "test", name="t"), path)
    return path


def test_orient_json_and_table(tmp_path):
    path = _t_shape(tmp_path)
    result = runner.invoke(app, ["orient", str(path), "--process", "fdm", "--json", "--keep", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    best = data["orientations"][0]
    assert set(best["rot_cost_euler"]) == {"x", "y", "z"}
    assert best["sup_vol_full_mm3"] == pytest.approx(0.0, abs=1e-6)
    assert best["bld_h"] == pytest.approx(10.0)
    assert len(data["orientations"]) == 3
    table = runner.invoke(app, ["orient", str(path), "--process", "sla", "--material", "Standard Resin"])
    assert table.exit_code == 0, table.output
    assert "best first" in table.output


def test_supports_writes_closed_meshes(tmp_path):
    from makeready import analyze, load

    path = _t_shape(tmp_path)
    out = tmp_path / "supports.stl"
    result = runner.invoke(app, ["supports", str(path), "--process", "fdm", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["sup_vol_full"] == pytest.approx(4.0, rel=0.02)  # cm³, as 3D Spark API
    assert data["output"] == str(out)
    assert analyze(load(out), self_intersections=False).watertight
    oriented = runner.invoke(app, ["supports", str(path), "--orient", "--out", str(tmp_path / "none.stl")])
    assert oriented.exit_code == 0, oriented.output
    assert "nothing needs support" in oriented.output


def test_orient_and_supports_bad_process_exit_2(tmp_path):
    path = _t_shape(tmp_path)
    for command in ("orient", "supports"):
        result = runner.invoke(app, [command, str(path), "--process", "lathe", "--json"])
        assert result.exit_code == 2
        assert json.loads(result.output)["error"]["code"] == "request.invalid"


def test_quote_table_and_json(tmp_path):
    path = _plate(tmp_path, 4.0)
    args = ["quote", str(path), "--material", "316L", "--process", "slm", "--lot-size", "5"]
    result = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "slm" in result.output
    assert "EOS M" in result.output  # the primary chain's machine
    assert "conventional baseline: milling" in result.output
    data = json.loads(runner.invoke(app, ["quote", str(path), "--json"]).output)
    assert data["primary_process_chain_id"] in data["process_chains"]
    simple = json.loads(runner.invoke(app, ["quote", str(path), "--json", "--simplified"]).output)
    assert set(simple) == {
        "part_id", "bb_x", "bb_y", "bb_z", "part_vol", "part_srf_area", "cost_pp", "thickness", "gap_size",
        "fits_mac", "market_price_pp",
    }  # fmt: skip
    bad = runner.invoke(app, ["quote", str(path), "--material", "PLA", "--process", "slm", "--json"])
    assert bad.exit_code == 2
    assert json.loads(bad.output)["error"]["code"] == "request.invalid"


def test_slice_writes_each_kind_of_printable(tmp_path):
    path = _t_shape(tmp_path)
    gcode = tmp_path / "t.gcode"
    result = runner.invoke(app, ["slice", str(path), "--out", str(gcode), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["printer"] == "Prusa MK4"
    assert data["layers"] == 125
    assert gcode.read_text().startswith(";FLAVOR:Marlin")
    png = tmp_path / "t.tar.gz"
    assert (
        runner.invoke(app, ["slice", str(path), "--out", str(png), "--printer", "Autodesk Ember"]).exit_code
        == 0
    )
    assert png.read_bytes()[:2] == bytes([0x1F, 0x8B])  # gzip
    cli = tmp_path / "t.cli"
    assert (
        runner.invoke(app, ["slice", str(path), "--out", str(cli), "--printer", "EOS M 290"]).exit_code == 0
    )
    assert cli.read_bytes().startswith(b"$$HEADERSTART\n$$BINARY")
    bad = runner.invoke(
        app, ["slice", str(path), "--out", str(tmp_path / "x"), "--printer", "Haas VF-2", "--json"]
    )
    assert bad.exit_code == 2
    assert json.loads(bad.output)["error"]["code"] == "request.invalid"


def test_tray_command_writes_printable_supports_and_layout(tmp_path):
    path = _t_shape(tmp_path)
    other = _plate(tmp_path, 3.0)
    out = tmp_path / "tray"
    result = runner.invoke(
        app, ["tray", str(path), str(other), "--printer", "Prusa MK4", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tray"]["state"] == "supported"
    assert data["printable"] == "tray.gcode"
    assert (out / "tray.gcode").read_text().startswith(";FLAVOR:Marlin")
    assert json.loads((out / "tray.json").read_text())["ready"] is True
    bad = runner.invoke(
        app,
        ["tray", str(path), "--printer", "Autodesk Ember", "--material", "PLA", "--out", str(out), "--json"],
    )
    assert bad.exit_code == 2
    assert json.loads(bad.output)["error"]["code"] == "tray.incompatible"
