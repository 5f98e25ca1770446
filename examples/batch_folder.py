"""Screen a folder of parts locally and write the CSV and Excel reports.

The same library calls ``makeready batch FOLDER`` runs: find the parts, analyse each
(all process chains), rank them by suitability for additive manufacturing, write reports.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from makeready import Body, Part, save
from makeready.rendering.reports import batch_csv, batch_xlsx
from makeready.workflows.screening import batch_items, combine, screen_item


def _box(size: tuple[float, float, float]) -> Body:
    import trimesh

    mesh = trimesh.creation.box(extents=size)
    mesh.apply_translation([s / 2 for s in size])
    return Body("box", mesh.vertices, mesh.faces)


def make_library(folder: Path) -> None:
    """Three simple parts: a cube, a flat plate and a tall pin (mm)."""
    for name, size in (("cube", (20.0, 20.0, 20.0)), ("plate", (80.0, 60.0, 3.0)), ("pin", (6.0, 6.0, 60.0))):
        save(Part((_box(size),), "stl", name=name), folder / f"{name}.stl")


def main(folder: Path) -> None:
    make_library(folder)
    items, refused = batch_items([str(folder)], "PA12", "sls", 25)
    result = combine([screen_item(item) for item in items], refused)
    lines = {line["part_id"]: line for line in result["parts"]}
    for rank, part_id in enumerate(result["ranking"], 1):
        line = lines[part_id]
        add, conv = line["best_additive"], line["best_conventional"]
        print(
            f"{rank}. {line['name']:<6} {add['prc_acronym']} {add['cost_pp']:7.2f} EUR/part"
            f" vs {conv['prc_acronym']} {conv['cost_pp']:7.2f}: saving {line['savings_pp']:7.2f} EUR/part"
        )
    (folder / "report.csv").write_text(batch_csv(result))
    (folder / "report.xlsx").write_bytes(batch_xlsx(result))
    print(f"{result['counts']['done']} parts screened; wrote report.csv and report.xlsx")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="makeready-batch-")))
