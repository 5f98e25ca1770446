"""Keep a part's textures: read an OBJ + MTL + image zip, repair it, write it as an OBJ zip and a 3MF.

Run: python examples/textured_mesh.py [PART.zip|.obj|.3mf] [OUT_FOLDER]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

import makeready
from makeready.geometry.repair import repair

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "data" / "textured" / "textured_cube.zip"


def main(path: Path, out: Path) -> None:
    part = makeready.load(path)
    for body in part.bodies:
        appearance = body.appearance
        textured = 0 if appearance is None else int(np.isfinite(appearance.uvs).all(axis=(1, 2)).sum())
        images = [image.name for image in appearance.textures] if appearance else []
        print(f"{body.name}: {body.triangle_count} triangles, {textured} with UVs, images {images}")
    print(f"has_uvs={part.has_uvs}")
    fixed, _ = repair(part)  # what repair keeps keeps its texture coordinates
    makeready.save(fixed, out / "textured.zip")  # OBJ + MTL + images
    makeready.save(fixed, out / "textured.3mf")  # texture2d + texture2dgroup
    for name in ("textured.zip", "textured.3mf"):
        again = makeready.load(out / name)
        count = sum(len(b.appearance.textures) for b in again.bodies if b.appearance)
        print(f"{name}: has_uvs={again.has_uvs}, images={count}")


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE
    if len(sys.argv) > 2:
        main(source, Path(sys.argv[2]))
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(source, Path(folder))
