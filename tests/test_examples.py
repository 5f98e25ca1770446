"""Every script in examples/ runs and prints what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_load_part_example():
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "load_part.py")], capture_output=True, text=True, check=True
    )
    assert "260 triangles" in done.stdout
    assert "3MF in inch: volume 7938.7 mm3" in done.stdout


def test_analyze_and_repair_example():
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "analyze_and_repair.py")], capture_output=True, text=True, check=True
    )
    assert "watertight=False" in done.stdout
    assert "Fixing Winding: 1 triangles flipped" in done.stdout
    assert "Filling Holes: 1 holes filled" in done.stdout
    assert "repaired=True" in done.stdout
    assert "wrote repaired.stl: 260 triangles" in done.stdout
