"""Write textured_cube.zip: a 20 mm cube as OBJ + MTL + PNG, made here for makeready's tests.

Five quad faces carry texture coordinates of a cross-shaped unwrap (each face a 0.25 x 0.25
square of the image, listed in FACE_UV below); the top face has none, so a part can be partly
textured. The texture's file name holds a space, as real exports often do ("checker tex.png").
Run: python tests/data/textured/make_textured_cube.py (needs Pillow).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

#: Cube corners, mm.
VERTICES = [(x, y, z) for z in (0, 20) for y in (0, 20) for x in (0, 20)]
#: Quads (1-based, counter-clockwise seen from outside) and the lower-left UV of their square.
FACES = {
    "bottom": ((1, 3, 4, 2), (0.25, 0.0)),
    "front": ((1, 2, 6, 5), (0.25, 0.25)),
    "right": ((2, 4, 8, 6), (0.5, 0.25)),
    "back": ((4, 3, 7, 8), (0.75, 0.25)),
    "left": ((3, 1, 5, 7), (0.0, 0.25)),
    "top": ((5, 6, 8, 7), None),
}
SQUARE = ((0.0, 0.0), (0.25, 0.0), (0.25, 0.25), (0.0, 0.25))


def obj_text() -> str:
    lines = ["mtllib cube.mtl", "o cube"]
    lines += [f"v {x} {y} {z}" for x, y, z in VERTICES]
    vt = 0
    faces = []
    for quad, origin in FACES.values():
        if origin is None:
            faces.append("usemtl plain\nf " + " ".join(str(i) for i in quad))
            continue
        corners = []
        for i, (du, dv) in zip(quad, SQUARE, strict=True):
            lines.append(f"vt {origin[0] + du} {origin[1] + dv}")
            vt += 1
            corners.append(f"{i}/{vt}")
        faces.append("usemtl checker\nf " + " ".join(corners))
    return "\n".join(lines + faces) + "\n"


MTL = "newmtl checker\nKd 1 1 1\nmap_Kd -s 1 1 1 checker tex.png\nnewmtl plain\nKd 0.5 0.5 0.5\n"


def png() -> bytes:
    from PIL import Image

    image = Image.new("RGB", (16, 16))
    image.putdata(
        [(255, 255, 255) if (x // 4 + y // 4) % 2 else (200, 30, 30) for y in range(16) for x in range(16)]
    )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


if __name__ == "__main__":
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cube.obj", obj_text())
        archive.writestr("cube.mtl", MTL)
        archive.writestr("checker tex.png", png())
    Path(__file__).with_name("textured_cube.zip").write_bytes(buffer.getvalue())
