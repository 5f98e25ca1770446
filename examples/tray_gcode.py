"""Prepare a tray on a server (3D Print API flow) and download its G-code with the SDK.

Two parts are imported as meshes, laid on a Prusa MK4 tray, prepared (repaired, oriented,
positioned, supported) and sliced; the G-code is downloaded next to this script's output
folder. Uses MAKEREADY_URL if set, else a throw-away local server.
"""

from __future__ import annotations

import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from makeready.client import Client, LocalServer

SAMPLES = Path(__file__).resolve().parents[1] / "src" / "makeready" / "data" / "samples"


def main(out_dir: Path) -> None:
    with ExitStack() as stack:
        if "MAKEREADY_URL" in os.environ:
            client = stack.enter_context(Client.from_env())
        else:
            client = stack.enter_context(stack.enter_context(LocalServer()).client())
        cube = SAMPLES / "20mm-xyz-cube.stl"
        tray = client.prepared_tray("Prusa MK4", [cube, ("second-cube.stl", cube.read_bytes())])
        print(f"tray {tray.state}, ready={tray.ready}, {len(tray.meshes)} meshes")
        for mesh in tray.meshes:
            x, y, z = (row[3] for row in mesh.transform[:3])
            print(f"  {mesh.name}: moved by x={x:.2f} y={y:.2f} z={z:.2f} cm")
        printable, path = client.printable(tray.id, out_dir / "tray.gcode")
        gcode = path.read_text()
        layers = gcode.count(";LAYER:")
        size = path.stat().st_size
        print(
            f"wrote {path.name}: {size:,} bytes, {layers} layers (server says {printable.summary['layers']})"
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="makeready-tray-")))
