"""Multi-step flows built from the single operations, written once for both clients."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from makeready import wire
from makeready.client import operations as ops
from makeready.client.protocol import FileInput, Op, ProgressCallback


def _share(progress: ProgressCallback | None, start: float, span: float) -> ProgressCallback | None:
    """A progress callback mapping 0..1 of one step onto ``start .. start + span`` of the whole."""
    if progress is None:
        return None
    report = progress
    return lambda fraction, stage: report(start + span * fraction, stage)


def analyze(
    file: FileInput,
    mat_name: str,
    prc_acronym: str,
    lot_size: int,
    name: str | None,
    timeout: float,
    progress: ProgressCallback | None,
    nst_style: str | None = None,
) -> Op[wire.AnalysisReport]:
    """Upload a part and wait for its full analysis report."""
    uploaded = yield from ops.upload_part(file, mat_name, prc_acronym, lot_size, name, nst_style)
    return (yield from ops.wait_analysis(uploaded.part_id, timeout, progress))


def import_meshes(
    files: Sequence[FileInput], units: str | None, timeout: float, progress: ProgressCallback | None
) -> Op[list[wire.Mesh]]:
    """Upload files and import each as a mesh (3D Print API), waiting for every import."""
    meshes = []
    for i, file in enumerate(files):
        uploaded = yield from ops.upload_file(file)
        name = Path(file).stem if isinstance(file, str | Path) else Path(file[0]).stem
        task = yield from ops.import_mesh(uploaded.file_id, name, units)
        step = _share(progress, i / len(files), 1 / len(files))
        done = yield from ops.wait_task(task.id, timeout, step)
        meshes.append(done.result_as(wire.Mesh))
    return meshes


def prepared_tray(
    printer_type_id: str,
    files: Sequence[FileInput],
    profile_id: str | None,
    default_material_id: str | None,
    units: str | None,
    timeout: float,
    progress: ProgressCallback | None,
) -> Op[wire.Tray]:
    """Import part files, place them on a new tray and prepare it (repair → … → supported)."""
    meshes = yield from import_meshes(files, units, timeout, _share(progress, 0.0, 0.3))
    created = yield from ops.create_tray(
        printer_type_id, [m.id for m in meshes], profile_id, default_material_id, None
    )
    tray = (yield from ops.wait_task(created.id, timeout, _share(progress, 0.3, 0.1))).result_as(wire.Tray)
    task = yield from ops.tray_step("prepare", {"id": tray.id})
    done = yield from ops.wait_task(task.id, timeout, _share(progress, 0.4, 0.6))
    return done.result_as(wire.Tray)


def printable(
    tray_id: str, target: Path, timeout: float, progress: ProgressCallback | None
) -> Op[tuple[wire.Printable, Path]]:
    """Generate a prepared tray's printable and download it to ``target``."""
    task = yield from ops.tray_step("generate-printable", {"id": tray_id})
    done = yield from ops.wait_task(task.id, timeout, _share(progress, 0.0, 0.9))
    result = done.result_as(wire.Printable)
    path = yield from ops.download(result.file_id, target)
    if progress is not None:
        progress(1.0, "downloaded")
    return result, path


def screen(
    files: Sequence[FileInput],
    mat_name: str,
    prc_acronym: str,
    lot_size: int,
    name: str | None,
    timeout: float,
    progress: ProgressCallback | None,
    nst_style: str | None = None,
) -> Op[wire.Batch]:
    """Upload part files (and zips of them) as one batch and wait for the combined result."""
    created = yield from ops.create_batch(files, mat_name, prc_acronym, lot_size, name, nst_style)
    return (yield from ops.wait_batch(created.batch_id, timeout, progress))


def support_meshes(tray_id: str, timeout: float) -> Op[dict[str, wire.Mesh]]:
    """The support structures of a prepared tray as new meshes: tray mesh id → support mesh."""
    task = yield from ops.tray_step("export-support", {"id": tray_id})
    done = yield from ops.wait_task(task.id, timeout, None)
    return {k: wire.Mesh.model_validate(v) for k, v in dict(done.result or {}).items()}
