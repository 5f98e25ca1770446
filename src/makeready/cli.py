"""The ``makeready`` command line (Typer + rich).

Exit codes: 0 success, 2 unusable input (the error code and message are printed), 1 an
internal error (a bug: please report it with the traceback).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from makeready import __version__
from makeready.errors import MakereadyError
from makeready.geometry.formats import load
from makeready.geometry.mesh import Part

app = typer.Typer(
    name="makeready",
    help="Manufacturing analysis and 3D-print preparation for STL, OBJ, 3MF, PLY, OFF and STEP parts.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
_out = Console()
_err = Console(stderr=True)

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def _version(value: bool) -> None:
    if value:
        _out.print(f"makeready {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Read parts, check them, cost them and make them ready for the printer."""


def part_summary(part: Part) -> dict[str, Any]:
    """The facts ``makeready info`` reports, as JSON-ready data (mm, mm², mm³)."""
    lo, hi = part.bounds
    return {
        "name": part.name,
        "source_format": part.source_format,
        "source_units": part.source_units,
        "bodies": [
            {
                "name": b.name,
                "triangles": b.triangle_count,
                "vertices": b.vertex_count,
                "volume_mm3": b.volume,
                "area_mm2": b.area,
            }
            for b in part.bodies
        ],
        "triangles": part.triangle_count,
        "vertices": part.vertex_count,
        "volume_mm3": part.volume,
        "area_mm2": part.area,
        "bounding_box_mm": {"min": lo.tolist(), "max": hi.tolist(), "size": (hi - lo).tolist()},
        "notes": list(part.notes),
        "metadata": dict(part.metadata),
    }


def _fail(error: MakereadyError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": error.to_dict()}))
    else:
        _err.print(f"[bold red]error[/] {escape(f'[{error.code}]')} {escape(error.message)}", highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def info(
    file: Annotated[Path, typer.Argument(help="Part file: STL, OBJ, 3MF, PLY, OFF, STEP or a zip of them.")],
    units: Annotated[
        str | None,
        typer.Option(
            help="Unit of the file's coordinates for STL/OBJ/PLY/OFF (mm, cm, m, inch, foot, micron)."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")
    ] = False,
) -> None:
    """Bodies, triangles, vertices, volume (mm³), area (mm²) and bounding box (mm) of a part."""
    try:
        part = load(file, units=units)
    except MakereadyError as error:
        _fail(error, as_json)
        return
    summary = part_summary(part)
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    size = summary["bounding_box_mm"]["size"]
    _out.print(
        f"[bold]{part.name}[/]  {part.source_format}, units {part.source_units} → mm, "
        f"{len(part.bodies)} bod{'y' if len(part.bodies) == 1 else 'ies'}"
    )
    table = Table(show_footer=len(part.bodies) > 1)
    table.add_column("body", footer="total")
    table.add_column("triangles", justify="right", footer=f"{part.triangle_count:,}")
    table.add_column("vertices", justify="right", footer=f"{part.vertex_count:,}")
    table.add_column("volume mm³", justify="right", footer=f"{part.volume:,.3f}")
    table.add_column("area mm²", justify="right", footer=f"{part.area:,.3f}")
    for body in summary["bodies"]:
        table.add_row(
            escape(body["name"]),
            f"{body['triangles']:,}",
            f"{body['vertices']:,}",
            f"{body['volume_mm3']:,.3f}",
            f"{body['area_mm2']:,.3f}",
        )
    _out.print(table)
    lo, hi = summary["bounding_box_mm"]["min"], summary["bounding_box_mm"]["max"]
    _out.print(
        "bounding box mm: "
        + "  ".join(
            f"{axis} {a:.3f} … {b:.3f} ({s:.3f})" for axis, a, b, s in zip("xyz", lo, hi, size, strict=True)
        )
    )
    for note in part.notes:
        _out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


def main() -> None:
    """Console-script entry point: run the app and map unexpected failures to exit code 1."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # a bug, not bad input: say so and keep the exit code distinct
        _err.print(f"[bold red]internal error[/] {type(exc).__name__}: {exc}")
        sys.exit(EXIT_INTERNAL)
