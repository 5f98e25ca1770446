"""``makeready catalog``: the machines, materials and processes costed, and the print definitions."""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from makeready.cli import complete
from makeready.cli.app import app
from makeready.cli.console import JSON_HELP, money, out, print_json, reports_errors

catalog_app = typer.Typer(
    help="List and show the catalog: machines, materials and processes (costing), printer types, "
    "print materials and profiles (3D Print API print definitions).",
    no_args_is_help=True,
)
app.add_typer(catalog_app, name="catalog", rich_help_panel="Reference")

JsonOpt = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
ProcessFilter = Annotated[
    str | None,
    typer.Option(
        "--process", "-p", help="Only those of this process (e.g. slm).", autocompletion=complete.processes
    ),
]


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    table = Table(title=title, title_justify="left")
    for column in columns:
        numeric = any(unit in column for unit in ("mm", "EUR", "g/cm", "%", "days", "kW"))
        table.add_column(column, justify="right" if numeric else "left")
    for row in rows:
        table.add_row(*(escape(str(v)) if not isinstance(v, float) else f"{v:,.2f}" for v in row))
    out.print(table)


@catalog_app.command("machines")
@reports_errors
def machines(process: ProcessFilter = None, as_json: JsonOpt = False) -> None:
    """Machines: process, build volume (mm), price (EUR) and hourly rate (EUR/h)."""
    from makeready.catalog import Catalog
    from makeready.costing.rates import hourly_rate
    from makeready.rendering.spark import machine_json

    cat = Catalog.default()
    chosen = [m for m in cat.machines.values() if process in (None, m.prc_acronym)]
    if process is not None:
        cat.process(process)  # an unknown process is an error, not an empty list
    if as_json:
        print_json([machine_json(m) for m in chosen])
        return
    rows = [
        (
            m.mac_name,
            m.oem_name,
            m.prc_acronym,
            f"{m.bld_size_x:g} × {m.bld_size_y:g} × {m.bld_size_z:g}",
            money(m.mac_price),
            money(hourly_rate(m, cat.config)),
        )
        for m in chosen
    ]
    _table("machines", ("machine", "maker", "process", "build volume mm", "price EUR", "rate EUR/h"), rows)


@catalog_app.command("materials")
@reports_errors
def materials(process: ProcessFilter = None, as_json: JsonOpt = False) -> None:
    """Materials: processes, density (g/cm³), raw price (EUR/kg) and design limits (mm)."""
    from makeready.catalog import Catalog
    from makeready.rendering.spark import material_json

    cat = Catalog.default()
    if process is not None:
        cat.process(process)
    chosen = [m for m in cat.materials.values() if process is None or m.serves(process)]
    if as_json:
        print_json([material_json(m) for m in chosen])
        return
    rows = [
        (
            m.mat_name,
            ", ".join(m.processes or (m.prc_acronym,)),
            m.mat_rho,
            m.raw_mat_cost,
            "—" if m.t_lim_min is None else m.t_lim_min,
            "—" if m.gap_lim_min is None else m.gap_lim_min,
            m.default_machine_name or "—",
        )
        for m in chosen
    ]
    columns = (
        "material",
        "processes",
        "density g/cm³",
        "EUR/kg",
        "min wall mm",
        "min gap mm",
        "default machine",
    )
    _table("materials", columns, rows)


@catalog_app.command("processes")
@reports_errors
def processes(as_json: JsonOpt = False) -> None:
    """Processes: technology, family, how parts are packed, failure rate and queue time (days)."""
    from makeready.catalog import Catalog
    from makeready.jsonsafe import json_ready

    cat = Catalog.default()
    if as_json:
        print_json([json_ready(dataclasses.asdict(p)) for p in cat.processes.values()])
        return
    rows = [
        (
            p.prc_acronym,
            p.prc,
            p.tech.replace("_", " "),
            p.family,
            p.packing,
            f"{100 * p.failure_rate:.1f}",
            f"{p.queue_days:g}",
            len(cat.machines_for(p.prc_acronym)),
        )
        for p in cat.processes.values()
    ]
    columns = (
        "acronym",
        "process",
        "technology",
        "family",
        "packing",
        "failures %",
        "queue days",
        "machines",
    )
    _table("processes", columns, rows)


@catalog_app.command("printer-types")
@reports_errors
def printer_types(as_json: JsonOpt = False) -> None:
    """Printer types (3D Print API): technology, build volume (mm) and the printable they take."""
    from makeready.print_definitions import PrintDefinitions

    defs = PrintDefinitions.default()
    if as_json:
        print_json([dict(p.record) for p in defs.printer_types.values()])
        return
    rows = []
    for p in defs.printer_types.values():
        bed = p.record["build_volume"]["bed_size"]  # cm in 3D Print API
        rows.append((p.name, p.technology, p.machine.mac_name, " × ".join(f"{10 * x:g}" for x in bed),
                     p.record["printable"]["extension"], p.id))  # fmt: skip
    _table(
        "printer types", ("printer type", "technology", "machine", "build volume mm", "printable", "id"), rows
    )


@catalog_app.command("print-materials")
@reports_errors
def print_materials(as_json: JsonOpt = False) -> None:
    """Print materials (3D Print API) and the printer types that take them."""
    from makeready.print_definitions import PrintDefinitions

    defs = PrintDefinitions.default()
    if as_json:
        print_json([dict(m.record) for m in defs.materials.values()])
        return
    names = {p.id: p.name for p in defs.printer_types.values()}
    rows = [
        (m.name, m.technology, ", ".join(names.get(i, i) for i in m.printer_types), m.id)
        for m in defs.materials.values()
    ]
    _table("print materials", ("material", "technology", "printer types", "id"), rows)


@catalog_app.command("profiles")
@reports_errors
def profiles(
    printer_type: Annotated[
        str | None,
        typer.Option(help="Only profiles for this printer type.", autocompletion=complete.printer_types),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print profiles (3D Print API): layer height (mm) and the printer types they serve."""
    from makeready.print_definitions import PrintDefinitions

    defs = PrintDefinitions.default()
    wanted = defs.printer_type(printer_type).id if printer_type else None
    chosen = [p for p in defs.profiles.values() if wanted is None or wanted in p.printer_types]
    if as_json:
        print_json([dict(p.record) for p in chosen])
        return
    names = {p.id: p.name for p in defs.printer_types.values()}
    rows = [
        (
            p.name,
            p.technology,
            f"{10 * float(p.record.get('layer_height', 0)):g}",
            ", ".join(names.get(i, i) for i in p.printer_types),
            p.id,
        )
        for p in chosen
    ]
    _table("print profiles", ("profile", "technology", "layer mm", "printer types", "id"), rows)


class Kind(StrEnum):
    """What ``catalog show`` can show."""

    machine = "machine"
    material = "material"
    process = "process"
    printer_type = "printer-type"
    print_material = "print-material"
    profile = "profile"


@catalog_app.command("show")
@reports_errors
def show(
    kind: Annotated[Kind, typer.Argument(help="What to show.", show_default=False)],
    name: Annotated[
        str, typer.Argument(help="Its name or id (case and spaces ignored).", show_default=False)
    ],
    as_json: JsonOpt = False,
) -> None:
    """Every field of one catalog entry (unknown names get the closest matches suggested)."""
    from makeready.catalog import Catalog
    from makeready.jsonsafe import json_ready
    from makeready.print_definitions import PrintDefinitions
    from makeready.rendering.spark import machine_json, material_json

    cat, defs = Catalog.default(), PrintDefinitions.default()
    record: dict[str, Any]
    if kind is Kind.machine:
        record = machine_json(cat.machine(name))
    elif kind is Kind.material:
        record = material_json(cat.material(name))
    elif kind is Kind.process:
        record = json_ready(dataclasses.asdict(cat.process(name)))
    elif kind is Kind.printer_type:
        record = dict(defs.printer_type(name).record)
    elif kind is Kind.print_material:
        record = dict(defs.material(name).record)
    else:
        record = dict(defs.profile(name).record)
    if as_json:
        print_json(record)
        return
    table = Table(title=f"{kind.value} {escape(name)}", title_justify="left", show_header=False)
    table.add_column("field")
    table.add_column("value")
    for key, value in record.items():
        table.add_row(key, escape(str(value)))
    out.print(table)
