"""What the web viewer draws, without a browser: a part's display document from a server.

Starts a throw-away ``makeready serve`` (LocalServer), uploads the packaged 20 mm calibration
cube for SLS in PA12, waits for the analysis, downloads the part's display document and reads it
back (the triangles, the wall thickness of every face, the header's problems and orientations),
and saves the Excel report.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import makeready
from makeready.client import LocalServer
from makeready.rendering.display import FLAG_THIN_WALL, unpack_display

SAMPLE = Path(makeready.__file__).parent / "data" / "samples" / "20mm-xyz-cube.stl"

with LocalServer() as server:
    client = server.client()
    report = client.analyze(SAMPLE, mat_name="PA12", prc_acronym="sls", lot_size=10)
    saved = client.download_part_display(report.part_id, "cube.display")
    document = unpack_display(saved.read_bytes())
    meta, thickness = document.meta, document.face_values["thickness"]
    thin = int(np.count_nonzero(document.face_values["flags"] & FLAG_THIN_WALL))
    box = np.ptp(document.positions, axis=0).round(2)
    print(f"{meta['faces']} triangles in {saved.stat().st_size} bytes, box {box} mm")
    limit = meta["thickness"]["thin_below"]
    print(f"thinnest face {np.nanmin(thickness):.2f} mm; {thin} faces thinner than {limit} mm")
    print(f"{len(meta['orientations'])} chain orientations; {len(meta['problems'])} mesh problems")
    workbook = client.download_analysis_report(report.part_id, "cube-analysis.xlsx")
    print(f"wrote {workbook.name}: {workbook.stat().st_size} bytes")
