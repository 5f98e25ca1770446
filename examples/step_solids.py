"""Read a STEP assembly: one closed mesh per solid, and OpenCascade's exact volume beside the mesh's.

Run: python examples/step_solids.py [FILE.step]
"""

from __future__ import annotations

import sys
from pathlib import Path

import makeready
from makeready.geometry.analysis import analyze

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "step" / "analytic_solids.step"


def main(path: Path) -> None:
    part = makeready.load(path, step_tolerance=0.01)  # mm between the exact surface and the mesh
    report = analyze(part)
    print(f"{part.name}: {len(part.bodies)} solids, watertight={report.watertight}")
    for body in part.bodies:
        brep = body.brep
        if brep is None or brep.volume is None:
            print(f"  {body.name}: open shape, no exact volume")
            continue
        bound = brep.area * brep.tolerance  # the most a mesh within the deflection can differ
        print(
            f"  {body.name}: B-rep {brep.volume:.3f} mm3, mesh {body.volume:.3f} mm3 "
            f"(within {bound:.1f}: {abs(body.volume - brep.volume) <= bound})"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE)
