"""Find a part's mesh problems, repair it, and write the result.

Run: python examples/analyze_and_repair.py [FILE]. Without a file it damages the packaged
20 mm cube (one flipped triangle, one missing triangle) and repairs that.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

import makeready

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"


def damaged_cube() -> makeready.Part:
    part = makeready.load(SAMPLE)
    body = part.bodies[0]
    faces = np.array(body.faces)
    faces[0] = faces[0][::-1]  # flip one triangle
    faces = faces[:-1]  # and lose another: a hole
    return part.with_bodies([makeready.Body(body.name, body.vertices, faces)])


def main(part: makeready.Part) -> None:
    report = makeready.analyze(part)
    found = {kind: n for kind, n in report.counts.items() if n}
    print(f"{part.name}: watertight={report.watertight} problems={found}")
    fixed, repair = makeready.repair(part)
    for action in repair.actions:
        if action.count:
            print(f"  {action.title}: {action.detail}")
    print(f"volume {repair.volume_before:.1f} -> {repair.volume_after:.1f} mm3, repaired={repair.succeeded}")
    out = Path(tempfile.mkdtemp()) / "repaired.stl"
    makeready.save(fixed, out)
    print(f"wrote {out.name}: {makeready.load(out).triangle_count} triangles")


if __name__ == "__main__":
    main(makeready.load(sys.argv[1]) if len(sys.argv) > 1 else damaged_cube())
