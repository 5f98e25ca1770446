"""Shared fixtures: where the third-party corpus lives, and small analytic parts."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

# Strict mode: the geometry checks its own invariants in every test (makeready.geometry.tolerance);
# set before makeready is imported, and inherited by the CLI and servers the tests start.
os.environ.setdefault("MAKEREADY_STRICT", "1")

from makeready import Body, Part

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
TESTDATA = Path(os.environ.get("MAKEREADY_TESTDATA", ROOT.parent / "shared" / "testdata"))


def corpus_path(relative: str) -> Path:
    """Path of a corpus file; skips off-CI when the corpus is absent, fails in CI."""
    if not TESTDATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"corpus tests must run in CI but {TESTDATA} is missing")
        pytest.skip(f"third-party corpus not present at {TESTDATA}")
    return TESTDATA / relative


def box_part(size: tuple[float, float, float] = (20.0, 20.0, 20.0), origin=(0.0, 0.0, 0.0)) -> Part:
    """An axis-aligned box, outward winding, as a one-body Part (mm)."""
    sx, sy, sz = size
    ox, oy, oz = origin
    corners = [
        [0, 0, 0],
        [sx, 0, 0],
        [sx, sy, 0],
        [0, sy, 0],
        [0, 0, sz],
        [sx, 0, sz],
        [sx, sy, sz],
        [0, sy, sz],
    ]
    v = np.array(corners, dtype=np.float64) + np.array([ox, oy, oz])
    f = np.array(
        [[0, 2, 1], [0, 3, 2], [4, 5, 6], [4, 6, 7], [0, 1, 5], [0, 5, 4],
         [1, 2, 6], [1, 6, 5], [2, 3, 7], [2, 7, 6], [3, 0, 4], [3, 4, 7]]
    )  # fmt: skip
    return Part((Body("box", v, f),), "generated", name="box")


@pytest.fixture
def cube20() -> Part:
    return box_part()
