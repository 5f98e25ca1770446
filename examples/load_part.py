"""Read a part, print its facts, and write it as 3MF in inches. Run: python examples/load_part.py [FILE]."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import makeready

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"


def main(path: Path) -> None:
    part = makeready.load(path)
    lo, hi = part.bounds
    print(f"{part.name}: {len(part.bodies)} body, {part.triangle_count} triangles, {part.volume:.1f} mm3")
    print(f"size mm: {hi - lo}")
    out = Path(tempfile.mkdtemp()) / "part.3mf"
    makeready.save(part, out, unit="inch")  # coordinates are divided by 25.4; readers get mm back
    again = makeready.load(out)
    print(f"3MF in {again.source_units}: volume {again.volume:.1f} mm3 (unchanged)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE)
