"""Every printable path refuses what does not fit, or turns it to fit when asked; what it writes
lies inside the build volume, read back with independent readers (G-code moves, PNG pixels,
binary CLI vectors)."""

from __future__ import annotations

import io
import json
import re
import tarfile

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import makeready
from makeready import MakereadyError
from makeready.cli import app
from makeready.geometry.design_rules import BuildVolume
from makeready.printables.fit import check_fit, misfit
from tests.conftest import box_part, corpus_path
from tests.test_printables import _parse_binary_cli

runner = CliRunner()
MK4 = (250.0, 210.0, 220.0)


def _moves(gcode: str) -> np.ndarray:
    """Every X/Y a G0/G1 move goes to (absolute positioning), read with a regex, not our writer."""
    points, x, y = [], None, None
    body = gcode[gcode.index(";LAYER:0") :]  # the printer's start block purges in front of the sheet
    for line in body.splitlines():
        if not re.match(r"G[01] ", line):
            continue
        for axis, value in re.findall(r"([XY])(-?\d+\.?\d*)", line.split(";")[0]):
            if axis == "X":
                x = float(value)
            else:
                y = float(value)
        if x is not None and y is not None:
            points.append((x, y))
    return np.array(points)


def _save(tmp_path, part, name):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    makeready.save(part, path)
    return path


def test_misfit_names_the_axis_and_round_plates_use_the_points() -> None:
    volume = BuildVolume("cartesian", *MK4)
    assert misfit("ok", [[0, 0, 0], [250, 210, 220]], volume) is None
    tall = misfit("tall", [[0, 0, 0], [10, 10, 230]], volume)
    assert tall is not None
    assert "230.0 mm tall" in tall.reason
    placed = misfit("off", [[100, 0, 0], [130, 10, 5]], volume, centred=False)  # x up to 130 > 125
    assert placed is not None
    assert "sticks out 5.0 mm in x" in placed.reason
    disc = BuildVolume.cylinder(100.0, 50.0)
    circle = 49.9 * np.stack([np.cos(np.linspace(0, 6.28, 64)), np.sin(np.linspace(0, 6.28, 64))], axis=1)
    box = [[-49.9, -49.9, 0], [49.9, 49.9, 10]]
    assert misfit("disc", box, disc, xy=circle) is None  # its corners would not fit; it does
    assert misfit("square", box, disc) is not None
    with pytest.raises(MakereadyError) as error:
        check_fit([("tall", [[0, 0, 0], [10, 10, 230]])], volume, "Prusa MK4", hint="lay it down")
    assert error.value.code == "printable.does_not_fit"
    assert error.value.message.endswith("— lay it down")


def test_slice_refuses_a_part_too_big_and_says_a_turn_would_fit(tmp_path) -> None:
    path = _save(tmp_path, box_part((280.0, 20.0, 10.0)), "bar.stl")  # fits only diagonally
    out = tmp_path / "bar.gcode"
    refused = runner.invoke(app, ["slice", str(path), "--out", str(out), "--json"])
    assert refused.exit_code == 2
    error = json.loads(refused.output)["error"]
    assert error["code"] == "printable.does_not_fit"
    assert "bar (280.0 x 20.0 x 10.0 mm" in error["message"]
    assert "250 x 210 x 220 mm" in error["message"]
    assert "slice with --orient" in error["message"]
    assert not out.exists()
    turned = runner.invoke(app, ["slice", str(path), "--out", str(out), "--orient", "--json"])
    assert turned.exit_code == 0, turned.output
    assert json.loads(turned.output)["turned_to_fit"] is True
    moves = _moves(out.read_text())
    assert len(moves) > 100
    assert (moves >= 0).all()
    assert (moves[:, 0] <= MK4[0]).all()
    assert (moves[:, 1] <= MK4[1]).all()
    assert np.ptp(moves[:, 0]) > 200  # it really is the long bar, across the diagonal


@pytest.mark.corpus
def test_counter_does_not_fit_any_way_round() -> None:
    path = corpus_path("trimesh/counter.unitsmm.STL")  # 305 x 304 mm
    for printer in ("Prusa MK4", "Autodesk Ember"):
        refused = runner.invoke(
            app, ["slice", str(path), "--out", "/dev/null", "--printer", printer, "--orient"]
        )
        assert refused.exit_code == 2
        assert "printable.does_not_fit" in refused.output
        assert "no orientation fits" in refused.output


def test_resin_and_metal_printables_stay_on_the_plate(tmp_path) -> None:
    # A part far from the origin: the packagers centre it on the plate and nothing is cropped.
    part = box_part((30.0, 20.0, 4.0), origin=(500.0, -800.0, 40.0))
    path = _save(tmp_path, part, "far.stl")
    png = tmp_path / "far.tar.gz"
    done = runner.invoke(
        app, ["slice", str(path), "--out", str(png), "--printer", "Autodesk Ember", "--json"]
    )
    assert done.exit_code == 0, done.output
    summary = json.loads(done.output)
    with tarfile.open(fileobj=io.BytesIO(png.read_bytes())) as archive:
        names = sorted(n for n in archive.getnames() if n.endswith(".png"))
        member = archive.extractfile(names[len(names) // 2])
        assert member is not None
        image = np.asarray(Image.open(io.BytesIO(member.read())), np.float64)
    lit = image.sum() / 255.0 * summary["pixel_mm"] ** 2
    assert lit == pytest.approx(30.0 * 20.0, rel=0.01)  # the whole section, not a cropped piece
    cli = tmp_path / "far.cli"
    done = runner.invoke(app, ["slice", str(path), "--out", str(cli), "--printer", "EOS M 290"])
    assert done.exit_code == 0, done.output
    layers = _parse_binary_cli(cli.read_bytes())
    points = np.concatenate([h.reshape(-1, 2) for layer in layers for h in layer["hatch"] + layer["poly"]])
    assert np.abs(points).max() <= 125.0  # EOS M 290 plate 250 x 250 mm, origin at its centre
    assert points[:, 0].min() == pytest.approx(-15.0, abs=0.01)
    assert points[:, 0].max() == pytest.approx(15.0, abs=0.01)


def test_the_mk4_gets_its_start_sequence_and_proprietary_printers_are_refused(tmp_path) -> None:
    path = _save(tmp_path, box_part((20.0, 20.0, 2.0)), "plate.stl")
    out = tmp_path / "plate.gcode"
    assert runner.invoke(app, ["slice", str(path), "--out", str(out)]).exit_code == 0
    lines = [line.split(";")[0].strip() for line in out.read_text().splitlines()]
    order = [lines.index(c) for c in ('M862.3 P "MK4"', "G28", "G29", "M109 S215")]
    assert order == sorted(order)  # model check, home, mesh levelling, then heat to print
    purge = lines.index("G1 X60 E8 F500")
    first_print = next(i for i, line in enumerate(lines) if re.match(r"G1 X[\d.]+ Y[\d.]+ E", line))
    assert order[-1] < purge < first_print
    assert "M84 X Y E" in lines[-3:]
    for printer, reads in (("Stratasys F370", "GrabCAD Print"), ("Formlabs Form 3", "PreForm")):
        refused = runner.invoke(
            app, ["slice", str(path), "--out", str(tmp_path / "x"), "--printer", printer, "--json"]
        )
        assert refused.exit_code == 2
        error = json.loads(refused.output)["error"]
        assert error["code"] == "printable.unsupported"
        assert reads in error["message"]


def test_mjf_gets_a_3mf_build_inside_its_build_space(tmp_path) -> None:
    path = _save(tmp_path, box_part((30.0, 20.0, 10.0), origin=(-400.0, 0.0, 50.0)), "box.stl")
    out = tmp_path / "box.3mf"
    done = runner.invoke(app, ["slice", str(path), "--out", str(out), "--printer", "HP Jet Fusion 5200"])
    assert done.exit_code == 0, done.output
    back = makeready.load(out)
    lo, hi = back.bounds
    assert back.volume == pytest.approx(6000.0, rel=1e-9)
    assert lo[2] == pytest.approx(0.0)
    assert (lo >= 0).all()
    assert (hi <= [380.0, 284.0, 380.0]).all()  # HP Jet Fusion 5200: 380 x 284 x 380 mm


def _sl1(path) -> tuple[dict[str, str], dict[str, str], list[np.ndarray]]:  # type: ignore[no-untyped-def]
    """An independent reader of .sl1 archives (zip of ini files and PNG layers)."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        ini = {
            name: dict(
                line.split(" = ", 1) for line in archive.read(name).decode().splitlines() if " = " in line
            )
            for name in ("config.ini", "prusaslicer.ini")
        }
        layers = [
            np.asarray(Image.open(io.BytesIO(archive.read(n))), np.float64) / 255.0
            for n in sorted(n for n in archive.namelist() if n.endswith(".png"))
        ]
    return ini["config.ini"], ini["prusaslicer.ini"], layers


def test_sl1s_gets_an_sl1_archive_as_prusaslicer_writes_it(tmp_path) -> None:
    # An L-shaped plate: the long arm along +x (40 x 8 mm), the short arm along +y at x = 0.
    from tests.meshes import boxes_union, part

    path = _save(
        tmp_path, part(*boxes_union(((40.0, 8.0, 2.0), (0, 0, 0)), ((8.0, 20.0, 2.0), (0, 0, 0)))), "L.stl"
    )
    out = tmp_path / "L.sl1"
    done = runner.invoke(
        app,
        [
            "slice",
            str(path),
            "--out",
            str(out),
            "--printer",
            "Prusa SL1S SPEED",
            "--layer-height",
            "0.05",
            "--json",
        ],
    )
    assert done.exit_code == 0, done.output
    config, slicer, layers = _sl1(out)
    assert config["printerModel"] == "SL1S"
    assert (config["expTime"], config["expTimeFirst"], config["numFade"]) == ("2", "25", "10")  # Orange Tough
    assert int(config["numFast"]) + int(config["numSlow"]) == len(layers) == 40
    assert float(config["usedMaterial"]) == pytest.approx((320 + 8 * 12) * 2 / 1000, rel=1e-6)  # ml
    assert slicer["display_orientation"] == "portrait"
    assert (slicer["display_pixels_x"], slicer["display_pixels_y"]) == ("2560", "1620")
    image = layers[20]
    assert image.shape == (2560, 1620)  # portrait: x runs along the image's height
    assert image.sum() * 0.05**2 == pytest.approx(416.0, rel=5e-3)  # anti-aliased edges
    lit = image > 0.5
    rows, cols = np.nonzero(lit)
    # Measured on PrusaSlicer 2.5's export of this plate (pixel-identical, IoU 1.0): x runs up
    # the image (the short arm at x = 0 is the bottom rows), y to the right (the long arm at
    # y = 0 is the left columns); the part's box is centred on the display.
    assert lit[rows.max()].sum() == 400  # the short arm: 20 mm across at 0.05 mm
    assert lit[:, cols.min()].sum() == 800  # the long arm: 40 mm
    assert (rows.min() + rows.max()) / 2 == pytest.approx(1279.5, abs=1)
    assert (cols.min() + cols.max()) / 2 == pytest.approx(809.5, abs=1)
    assert json.loads(done.output)["print_time_s"] == pytest.approx(float(config["printTime"]))


def test_ember_print_file_has_its_printsettings_and_slices(tmp_path) -> None:
    path = _save(tmp_path, box_part((10.0, 10.0, 1.0)), "tile.stl")
    out = tmp_path / "tile.tar.gz"
    done = runner.invoke(
        app, ["slice", str(path), "--out", str(out), "--printer", "Autodesk Ember", "--json"]
    )
    assert done.exit_code == 0, done.output
    with tarfile.open(out) as archive:
        names = archive.getnames()
        settings_file = archive.extractfile("printsettings")
        assert settings_file is not None
        settings = json.loads(settings_file.read())["Settings"]
    slices = [n for n in names if re.fullmatch(r"slice_\d+\.png", n)]
    assert len(slices) == json.loads(done.output)["layers"] == 20  # 1 mm at 50 µm
    assert "slice_1.png" in slices  # the firmware counts from 1
    assert settings["LayerThicknessMicrons"] == 50
    # Standard Resin DLP: 9 s first layer, 5 s burn-in, 1.8 s model layers (print material).
    assert (settings["FirstExposureSec"], settings["BurnInExposureSec"], settings["ModelExposureSec"]) == (
        9.0,
        5.0,
        1.8,
    )
    assert settings["BurnInLayers"] == 5  # the firmware's default where the material is silent


def test_a_part_in_the_wrong_units_is_not_printed_silently(tmp_path) -> None:
    # A 45 mm part drawn in metres and read as mm: 0.045 mm, thinner than a layer.
    tiny = _save(tmp_path, box_part((0.045, 0.014, 0.047)), "sensor.stl")
    refused = runner.invoke(app, ["slice", str(tiny), "--out", str(tmp_path / "x.gcode"), "--json"])
    assert refused.exit_code == 2
    error = json.loads(refused.output)["error"]
    assert error["code"] == "printable.empty"
    assert "check its units" in error["message"]
    # Read in the right unit it prints, and a part that only looks wrong gets a warning.
    done = runner.invoke(
        app, ["slice", str(tiny), "--out", str(tmp_path / "m.gcode"), "--units", "m", "--json"]
    )
    assert done.exit_code == 0, done.output
    assert "warnings" not in json.loads(done.output)
    small = _save(tmp_path, box_part((0.5, 0.5, 0.4)), "speck.stl")
    warned = runner.invoke(app, ["slice", str(small), "--out", str(tmp_path / "s.gcode"), "--json"])
    assert warned.exit_code == 0, warned.output
    assert json.loads(warned.stdout)["warnings"][0]["code"] == "units_suspect"


def test_an_open_mesh_is_repaired_before_slicing_and_says_so(tmp_path) -> None:
    cube = box_part((20.0, 20.0, 10.0))
    body = cube.bodies[0]
    holed = cube.with_bodies([makeready.Body("holed", body.vertices, body.faces[1:])])  # one triangle gone
    path = _save(tmp_path, holed, "holed.stl")
    done = runner.invoke(app, ["slice", str(path), "--out", str(tmp_path / "h.gcode"), "--json"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout)
    assert any(step.startswith("Filling Holes: 1") for step in summary["repaired"])
    assert summary["layers"] == 50
    refused = runner.invoke(
        app, ["slice", str(path), "--out", str(tmp_path / "x.gcode"), "--no-repair", "--json"]
    )
    assert refused.exit_code == 2
    assert "not a closed manifold" in json.loads(refused.stdout)["error"]["message"]
