"""Every script in examples/ runs and prints what it promises."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(script: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKEREADY_")}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=cwd,
    )


def test_load_part_example():
    done = _run("load_part.py")
    assert "260 triangles" in done.stdout
    assert "3MF in inch: volume 7938.7 mm3" in done.stdout


def test_analyze_and_repair_example():
    done = _run("analyze_and_repair.py")
    assert "watertight=False" in done.stdout
    assert "Fixing Winding: 1 triangles flipped" in done.stdout
    assert "Filling Holes: 1 holes filled" in done.stdout
    assert "repaired=True" in done.stdout
    assert "wrote repaired.stl: 260 triangles" in done.stdout


def test_thickness_check_example():
    done = _run("thickness_check.py")
    assert "bracket: t_min=0.700 mm t_max=3.000 mm gap_min=0.400 mm" in done.stdout
    assert "thin wall 0.700 mm over 4800 mm2" in done.stdout
    assert "narrow gap 0.400 mm over 4800 mm2" in done.stdout
    assert "PA12 on EOS P 396: fails gap_min_chk, t_min_chk" in done.stdout


def test_orient_and_support_example():
    done = _run("orient_and_support.py")
    assert "t-bracket as uploaded: support 4000 mm3, height 25.0 mm" in done.stdout
    assert "support 0 mm3, height 10.0 mm, 50 layers" in done.stdout
    assert "wrote supports.stl: 600 triangles" in done.stdout


def test_quote_part_example():
    done = _run("quote_part.py")
    assert "pocket-block: 10 parts, volume 36.0 cm3" in done.stdout
    assert "slm      EOS M 290" in done.stdout
    assert "turning  infeasible: not near-rotational" in done.stdout
    assert "baseline: milling" in done.stdout


def test_slice_and_pack_example():
    done = _run("slice_and_pack.py")
    assert "ring: 159 resin layers, 3.62 cm3 printed" in done.stdout
    assert "metal: 267 layers" in done.stdout
    assert "plate 250 x 250 mm: 39 rings" in done.stdout


def test_api_client_example():
    done = _run("api_client.py")
    assert "20mm-xyz-cube: 20.0 x 20.0 x 20.0 mm, SLM | 316L:" in done.stdout
    assert "simplified: fits_mac=True thickness=True" in done.stdout
    assert "mesh 260 triangles, 2.0 x 2.0 x 2.0 cm" in done.stdout


def test_quote_via_server_example():
    done = _run("quote_via_server.py")
    assert "20mm-xyz-cube: 20.0 x 20.0 x 20.0 mm, 7.94 cm3" in done.stdout
    # the same numbers the local pipeline gives for this file (independent of the server path)
    from makeready import load, run_analysis

    sample = EXAMPLES.parent / "src/makeready/data/samples/20mm-xyz-cube.stl"
    result = run_analysis(load(sample), "PA12", "sls", 50)
    cheapest = min((c for c in result.chains if c.estimate.feasible), key=lambda c: c.estimate.cost_per_part)
    assert (
        f"cheapest: {cheapest.process.prc_acronym.upper()} | {cheapest.material.mat_name} on" in done.stdout
    )
    assert f"{cheapest.estimate.cost_per_part:.2f} EUR per part" in done.stdout
    assert "simplified: cost_pp=" in done.stdout


def test_tray_gcode_example(tmp_path):
    done = _run("tray_gcode.py", str(tmp_path))
    assert "tray supported, ready=True, 2 meshes" in done.stdout
    gcode = (tmp_path / "tray.gcode").read_text()
    layers = gcode.count(";LAYER:")
    assert layers == 100  # 20 mm cubes at 0.2 mm layers
    assert f"{layers} layers (server says {layers})" in done.stdout
    assert gcode.startswith(";FLAVOR:Marlin") or ";FLAVOR:Marlin" in gcode[:2000]


def test_batch_folder_example(tmp_path):
    done = _run("batch_folder.py", str(tmp_path))
    assert "3 parts screened; wrote report.csv and report.xlsx" in done.stdout
    rows = list(csv.DictReader((tmp_path / "report.csv").open()))
    assert [r["part"] for r in rows] == [line.split()[1] for line in done.stdout.splitlines()[:3]]
    savings = [float(r["saving_eur_per_part"]) for r in rows]
    assert savings == sorted(savings, reverse=True)  # ranked by saving against conventional


def test_display_document_example(tmp_path):
    done = _run("display_document.py", cwd=tmp_path)
    assert "260 triangles in" in done.stdout
    assert "box [20. 20. 20.] mm" in done.stdout
    assert "5 chain orientations; 0 mesh problems" in done.stdout  # sls, mjf, milling, turning, moulding
    assert (tmp_path / "cube-analysis.xlsx").read_bytes()[:2] == b"PK"


def test_step_solids_example():
    done = _run("step_solids.py")
    assert "analytic_solids: 6 solids, watertight=True" in done.stdout
    assert "sphere r10: B-rep 4188.790 mm3" in done.stdout  # 4/3 pi 10^3 = 4188.790
    assert done.stdout.count("True)") == 6


def test_textured_mesh_example():
    done = _run("textured_mesh.py")
    assert "cube: 12 triangles, 10 with UVs, images ['checker tex.png']" in done.stdout
    assert "has_uvs=True" in done.stdout
    assert "textured.zip: has_uvs=True, images=1" in done.stdout
    assert "textured.3mf: has_uvs=True, images=1" in done.stdout
