"""Choose a build orientation, estimate the supports and write them as a mesh.

The part is prepared once (``makeready.PreparedPart``: its arrays, hull and ray engine built on
first use) and every step reuses that preparation.

Run: python examples/orient_and_support.py [FILE] [PROCESS]. Without a file it builds a T-shaped
bracket (a stem with a bar overhanging 10 mm on each side) and prepares it for FDM.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import manifold3d
import numpy as np

import makeready


def t_bracket() -> makeready.Part:
    stem = manifold3d.Manifold.cube((10, 10, 20)).translate((10, 0, 0))
    bar = manifold3d.Manifold.cube((30, 10, 5)).translate((0, 0, 20))
    mesh = (stem + bar).to_mesh()
    body = makeready.Body("bracket", np.asarray(mesh.vert_properties)[:, :3], np.asarray(mesh.tri_verts))
    return makeready.Part((body,), "example", name="t-bracket")


def main(part: makeready.Part, process: str) -> None:
    prepared = makeready.PreparedPart(part)  # one ray engine for every step below
    as_uploaded = makeready.plan_supports(prepared, None, process)
    volume, height = as_uploaded.support_volume, as_uploaded.build_height
    print(f"{part.name} as uploaded: support {volume:.0f} mm3, height {height:.1f} mm")
    best = makeready.orient(prepared, process)[0]
    x, y, z = best.euler_xyz
    print(f"best orientation (x, y, z deg): {x:.1f}, {y:.1f}, {z:.1f}")
    plan = best.plan
    volume, height, layers = plan.support_volume, plan.build_height, plan.layer_count
    print(f"  support {volume:.0f} mm3, height {height:.1f} mm, {layers} layers")
    supports = makeready.support_geometry(part, None, process)
    out = Path(tempfile.mkdtemp()) / "supports.stl"
    makeready.save(supports, out)
    print(f"wrote {out.name}: {supports.triangle_count} triangles of supports for the uploaded pose")


if __name__ == "__main__":
    chosen = makeready.load(sys.argv[1]) if len(sys.argv) > 1 else t_bracket()
    main(chosen, sys.argv[2] if len(sys.argv) > 2 else "fdm")
