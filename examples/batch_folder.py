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
from makeready.workflows.batch_files import batch_items
from makeready.workflows.screening import ScreenedPart, combine, screen_item


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
    outcomes = [screen_item(item) for item in items]
    result = combine([o for o in outcomes if isinstance(o, ScreenedPart)], refused)
    for rank, part in result.ranked():
        screening = part.screening
        assert screening is not None  # a ranked part is screened
        add, conv = screening.best_additive, screening.best_conventional
        assert add is not None  # boxes: both routes exist
        assert conv is not None
        print(
            f"{rank}. {part.name:<6} {add.process} {add.cost_per_part:7.2f} EUR/part"
            f" vs {conv.process} {conv.cost_per_part:7.2f}: saving {screening.saving_per_part:7.2f} EUR/part"
        )
    (folder / "report.csv").write_text(batch_csv(result))
    (folder / "report.xlsx").write_bytes(batch_xlsx(result))
    print(f"{result.counts.done} parts screened; wrote report.csv and report.xlsx")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="makeready-batch-")))
