"""Slice a part, write a resin PNG stack and a metal CLI layer file, and nest copies on a plate.

Run: python examples/slice_and_pack.py [FILE]. Without a file it uses a 30 mm ring with a bore.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import manifold3d
import numpy as np

import makeready
from makeready.geometry.packing import footprint, nest_on_plate, plate_shape
from makeready.geometry.slicing import slice_part
from makeready.printables import CliSettings, PngStack, png_stack, write_cli


def ring() -> makeready.Part:
    solid = manifold3d.Manifold.cylinder(8.0, 15.0, 15.0, 96) - manifold3d.Manifold.cylinder(
        8.0, 9.0, 9.0, 96
    )
    mesh = solid.to_mesh()
    body = makeready.Body("ring", np.asarray(mesh.vert_properties)[:, :3], np.asarray(mesh.tri_verts))
    return makeready.Part((body,), "example", name="ring")


def main(part: makeready.Part) -> None:
    out = Path(tempfile.mkdtemp())
    resin = slice_part(part, 0.05, 0.1)
    (out / "ring_png.tar.gz").write_bytes(png_stack(resin, PngStack(exposure={"layer_s": 2.0})))
    print(f"{part.name}: {len(resin.layers)} resin layers, {resin.volume / 1000:.2f} cm3 printed")
    metal = slice_part(part, 0.03)
    content, seconds = write_cli(metal, CliSettings())  # binary CLI
    (out / "ring.cli").write_bytes(content)
    print(f"metal: {len(metal.layers)} layers, scan time {seconds / 3600:.2f} h")
    layout = nest_on_plate([footprint(part)] * 40, plate_shape(250.0, 250.0), spacing=5.0, margin=5.0)
    print(f"plate 250 x 250 mm: {len(layout.placements)} rings, {100 * layout.density:.0f} % covered")


if __name__ == "__main__":
    main(makeready.load(sys.argv[1]) if len(sys.argv) > 1 else ring())
