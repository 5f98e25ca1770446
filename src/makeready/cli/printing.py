"""Getting parts onto a printer: ``slice`` (one part) and ``tray`` (3D Print API's tray flow)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from makeready.cli import complete
from makeready.cli.app import app
from makeready.cli.console import (
    FILE_HELP,
    JSON_HELP,
    UNITS_HELP,
    err,
    out,
    print_json,
    progress_bar,
    reports_errors,
)
from makeready.geometry.formats import load, save
from makeready.geometry.mesh import Part
from makeready.progress import Stage


@app.command(name="slice", rich_help_panel="Printing")
@reports_errors
def slice_command(
    file: Annotated[Path, typer.Argument(help=FILE_HELP, show_default=False)],
    target: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Printable to write: .gcode (FDM), .tar.gz (resin / jetting PNG stack), .cli (powder bed).",
            show_default=False,
        ),
    ],
    printer: Annotated[
        str,
        typer.Option(
            help="Machine from the catalog; its technology picks the printable.",
            autocompletion=complete.machines,
        ),
    ] = "Prusa MK4",
    material: Annotated[
        str | None, typer.Option(help="Material (default: the printer's).", autocompletion=complete.materials)
    ] = None,
    layer_height: Annotated[
        float | None, typer.Option(min=0.005, help="Layer height, mm (default: the material's).")
    ] = None,
    reorient: Annotated[bool, typer.Option("--orient", help="Use the best build orientation first.")] = False,
    supports: Annotated[bool, typer.Option(help="FDM: print supports under overhangs.")] = True,
    repair_mesh: Annotated[
        bool, typer.Option("--repair/--no-repair", help="Repair an open or non-manifold mesh first.")
    ] = True,
    units: Annotated[str | None, typer.Option(help=UNITS_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Slice a part and write the printer's file: layers, time and material (mm, s, g)."""
    from makeready.catalog import Catalog
    from makeready.printables.slice_job import slice_to_printable

    cat = Catalog.default()
    machine = cat.machine(printer)
    with progress_bar("slicing", quiet=as_json) as progress:
        progress(0.02, Stage.READING)
        part = load(file, units=units)
        progress(0.1, Stage.SLICING)
        from makeready.print_definitions import PrintDefinitions

        exposure = PrintDefinitions.default().print_material_for(machine.mac_name)  # resin times
        summary = slice_to_printable(
            part,
            target,
            cat,
            machine,
            material,
            layer_height,
            reorient=reorient,
            supports=supports,
            exposure=exposure,
            repair_mesh=repair_mesh,
        )
    if summary.get("repaired"):
        err.print(f"[yellow]note[/] repaired before slicing: {escape('; '.join(summary['repaired']))}")
    for warning in summary.get("warnings", []):  # on stderr, so --json stays one document
        line = escape(f"[{warning['code']}] {warning['message']}")
        err.print(f"[yellow]warning[/] {line}", highlight=False)
    if as_json:
        print_json(summary)
        return
    table = Table(
        title=f"{escape(part.name)} on {escape(machine.mac_name)}", title_justify="left", show_header=False
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        if key in ("warnings", "repaired"):
            continue
        table.add_row(
            key.replace("_", " "), f"{value:,.2f}" if isinstance(value, float) else escape(str(value))
        )
    out.print(table)


@app.command(name="tray", rich_help_panel="Printing")
@reports_errors
def tray_command(
    files: Annotated[list[Path], typer.Argument(help="Part files to place on one tray.", show_default=False)],
    target: Annotated[
        Path,
        typer.Option(
            "--out", help="Folder for the printable, the support meshes and tray.json.", show_default=False
        ),
    ],
    printer: Annotated[
        str,
        typer.Option(
            help="Printer type (3D Print API print definitions), e.g. 'Prusa MK4'; "
            "see makeready catalog printer-types.",
            autocompletion=complete.printer_types,
        ),
    ] = "Prusa MK4",
    profile: Annotated[str | None, typer.Option(help="Print profile (default: the printer type's).")] = None,
    material: Annotated[
        str | None, typer.Option(help="Print material (default: the printer type's).")
    ] = None,
    units: Annotated[str | None, typer.Option(help=UNITS_HELP)] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the prepared tray (3D Print API shape, cm).")
    ] = False,
) -> None:
    """Place parts on a printer's tray (repair → orient → position → support) and write its printable."""
    from makeready.print_definitions import PrintDefinitions
    from makeready.workflows.trays import create_tray, generate_printable, prepare

    parts: dict[str, Part] = {}
    for file in files:
        parts[file.stem if file.stem not in parts else f"{file.stem}-{len(parts)}"] = load(file, units=units)
    with progress_bar("preparing the tray", quiet=as_json) as progress:
        definitions = PrintDefinitions.default()
        created = create_tray(printer, parts, profile=profile, material=material, definitions=definitions)
        # The callback the tray job uses: the state reached and the share of the preparation done.
        ready = prepare(
            created,
            progress=lambda fraction, stage: progress(0.8 * fraction, stage),
            definitions=definitions,
        )
        progress(0.8, Stage.SLICING)
        content, extension, summary = generate_printable(ready)
    target.mkdir(parents=True, exist_ok=True)
    (target / f"tray.{extension}").write_bytes(content)
    for mesh_id, supports in ready.supports.items():
        save(supports, target / f"supports_{mesh_id}.stl")
    tray_json = ready.to_json()
    (target / "tray.json").write_text(json.dumps(tray_json, indent=2))
    if as_json:
        print_json({"tray": tray_json, "printable": f"tray.{extension}", **summary})
        return
    history = " → ".join(ready.history)
    table = Table(title=f"tray on {escape(ready.printer_type.name)}: {history}", title_justify="left")
    for column in ("mesh", "x mm", "y mm", "z mm", "supports"):
        table.add_column(column, justify="left" if column == "mesh" else "right")
    for mesh in ready.meshes:
        lo, hi = mesh.placed().bounds
        table.add_row(
            escape(mesh.name),
            f"{lo[0]:.1f} … {hi[0]:.1f}",
            f"{lo[1]:.1f} … {hi[1]:.1f}",
            f"{lo[2]:.1f} … {hi[2]:.1f}",
            "yes" if mesh.id in ready.supports else "—",
        )
    out.print(table)
    out.print(f"wrote {escape(str(target / f'tray.{extension}'))} ({summary['layers']} layers)")
