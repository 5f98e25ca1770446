"""Every script in examples/ runs and prints what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script)], capture_output=True, text=True, check=True
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
