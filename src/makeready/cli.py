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
from makeready.geometry.analysis import ALL_TYPES, AnalysisReport, analyze
from makeready.geometry.design_rules import Feasibility, check_design
from makeready.geometry.formats import load, save
from makeready.geometry.mesh import Part
from makeready.geometry.repair import ALL_ACTIONS, DEFAULT_ACTIONS, RepairReport, repair
from makeready.geometry.thickness import (
    DEFAULT_NARROW_BELOW,
    DEFAULT_THIN_BELOW,
    Region,
    ThicknessReport,
    measure,
)
from makeready.views import (
    analysis_json,
    feasibility_json,
    orientation_json,
    repair_json,
    support_plan_json,
    thickness_json,
)

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


_UNITS_HELP = "Unit of the file's coordinates for STL/OBJ/PLY/OFF (mm, cm, m, inch, foot, micron)."
_JSON_HELP = "Print machine-readable JSON instead of tables."


def _load_or_fail(file: Path, units: str | None, as_json: bool) -> Part | None:
    try:
        return load(file, units=units)
    except MakereadyError as error:
        _fail(error, as_json)
        return None


def _status(ok: bool) -> str:
    return "[green]yes[/]" if ok else "[red]no[/]"


def _print_analysis(report: AnalysisReport, title: str) -> None:
    part = report.part
    bodies = "body" if len(part.bodies) == 1 else "bodies"
    shells = "shell" if report.shells == 1 else "shells"
    _out.print(
        f"[bold]{escape(title)}[/]  {part.triangle_count:,} triangles, {len(part.bodies)} {bodies}, "
        f"{report.shells} {shells}"
    )
    _out.print(
        f"watertight {_status(report.watertight)}   winding consistent {_status(report.winding_consistent)}"
        f"   valid volume {_status(report.valid_volume)}"
    )
    problems = Table(title="problems", title_justify="left")
    problems.add_column("type")
    for body in report.bodies:
        problems.add_column(escape(body.name), justify="right")
    if len(report.bodies) > 1:
        problems.add_column("total", justify="right")
    totals = report.counts
    for kind in ALL_TYPES:
        cells = [
            f"[red]{b.problems[kind].count:,}[/]" if b.problems[kind].count else "0" for b in report.bodies
        ]
        if len(report.bodies) > 1:
            cells.append(f"{totals[kind]:,}")
        problems.add_row(kind, *cells)
    _out.print(problems)
    m = report.metrics
    metrics = Table(title="metrics (mm)", title_justify="left", show_header=False)
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    metrics.add_row("volume mm³", f"{m.volume:,.3f}")
    metrics.add_row("surface area mm²", f"{m.area:,.3f}")
    metrics.add_row("bounding box (bb_x, bb_y, bb_z)", " × ".join(f"{x:,.3f}" for x in m.extents))
    metrics.add_row("minimum oriented box (min_bb)", " × ".join(f"{x:,.3f}" for x in m.oriented_box.extents))
    metrics.add_row(
        "convex hull volume mm³", f"{m.hull_volume:,.3f}" + ("" if m.hull_exact else " (thinned hull)")
    )
    metrics.add_row("centroid", ", ".join(f"{x:,.3f}" for x in m.centroid))
    metrics.add_row(
        "Euler characteristic / genus",
        f"{m.euler_characteristic} / {m.genus if m.genus is not None else '—'}",
    )
    _out.print(metrics)


@app.command(name="analyze")
def analyze_command(
    file: Annotated[Path, typer.Argument(help="Part file: STL, OBJ, 3MF, PLY, OFF, STEP or a zip of them.")],
    units: Annotated[str | None, typer.Option(help=_UNITS_HELP)] = None,
    self_intersections: Annotated[
        bool, typer.Option(help="Search for intersecting triangles (the slowest check).")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Mesh problems (the eight types, self-intersections, shells) and metrics of a part."""
    part = _load_or_fail(file, units, as_json)
    if part is None:
        return
    with _err.status("analysing…", spinner="dots") if not as_json else _nullcontext():
        report = analyze(part, self_intersections=self_intersections)
    if as_json:
        print(json.dumps(analysis_json(report), indent=2))
        return
    _print_analysis(report, part.name)


def _print_repair(report: RepairReport, out: Path) -> None:
    table = Table(title="repair actions", title_justify="left")
    table.add_column("action")
    table.add_column("count", justify="right")
    table.add_column("detail")
    for action in report.actions:
        table.add_row(action.title, f"{action.count:,}", escape(action.detail))
    _out.print(table)
    before, after = report.volume_before, report.volume_after
    change = (after - before) / abs(before) * 100 if before else float("nan")
    _out.print(f"volume mm³: {before:,.3f} → {after:,.3f} ({change:+.3f} %)")
    _print_analysis(report.after, f"{out.name} (repaired)")
    for note in report.notes:
        _out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    verdict = "[green]repaired[/]" if report.succeeded else "[red]problems remain[/]"
    _out.print(f"{verdict}: wrote {escape(str(out))}")


@app.command(name="repair")
def repair_command(
    source: Annotated[Path, typer.Argument(help="Part file to repair.")],
    target: Annotated[Path, typer.Argument(help="Where to write the repaired part (.stl, .obj or .3mf).")],
    units: Annotated[str | None, typer.Option(help=_UNITS_HELP)] = None,
    action: Annotated[
        list[str] | None,
        typer.Option(help=f"Run only these steps (repeatable): {', '.join(ALL_ACTIONS)}."),
    ] = None,
    target_faces: Annotated[
        int | None,
        typer.Option(min=4, help="Decimate to about this many triangles, keeping volume within 1 %."),
    ] = None,
    stitch_tolerance: Annotated[
        float | None, typer.Option(min=0.0, help="Weld boundary vertices closer than this (mm).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Repair a part (every body kept) and write it; report what was done and what is left."""
    part = _load_or_fail(source, units, as_json)
    if part is None:
        return
    steps = tuple(action) if action else DEFAULT_ACTIONS
    unknown = sorted(set(steps) - set(ALL_ACTIONS))
    if unknown:
        _fail(
            MakereadyError(
                "request.invalid", f"unknown repair action(s) {unknown}; choose from {list(ALL_ACTIONS)}"
            ),
            as_json,
        )
        return
    if target_faces is not None and "decimate" not in steps:
        steps = (*steps, "decimate")
    with _err.status("repairing…", spinner="dots") if not as_json else _nullcontext():
        fixed, report = repair(
            part, actions=steps, target_faces=target_faces, stitch_tolerance=stitch_tolerance
        )
        try:
            save(fixed, target)
        except MakereadyError as error:
            _fail(error, as_json)
            return
    if as_json:
        print(json.dumps({"output": str(target), **repair_json(report)}, indent=2))
        return
    _print_repair(report, target)


def _mm(value: float | None) -> str:
    return "—" if value is None else f"{value:,.3f}"


def _check_mark(ok: bool | None) -> str:
    return "—" if ok is None else _status(ok)


def _print_regions(title: str, regions: tuple[Region, ...], total: int) -> None:
    if not total:
        return
    table = Table(title=f"{title} ({total:,}, worst first)", title_justify="left")
    for column in ("value mm", "worst point (x, y, z) mm", "area mm²", "faces"):
        table.add_column(column, justify="right")
    for region in regions[:10]:
        table.add_row(
            f"{region.value:,.3f}",
            ", ".join(f"{x:,.2f}" for x in region.worst),
            f"{region.area:,.2f}",
            f"{len(region.faces):,}",
        )
    _out.print(table)
    if total > 10:
        _out.print(f"… and {total - 10:,} more (see --json)")


def _print_thickness(report: ThicknessReport, feasibility: Feasibility | None, material: str | None) -> None:
    summary = Table(title="wall thickness and gaps (mm)", title_justify="left", show_header=False)
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    summary.add_row("t_min (thinnest wall)", _mm(report.t_min))
    summary.add_row("t_max (largest inscribed ball)", _mm(report.t_max))
    summary.add_row(
        "gap_min (narrowest gap)", _mm(report.gap_min) if report.gap_min is not None else "no gaps"
    )
    summary.add_row("sample points", f"{report.samples:,} ({report.engine} rays)")
    summary.add_row("confidence", report.confidence if report.confidence == "high" else "[red]low[/]")
    _out.print(summary)
    _print_regions(f"walls thinner than {report.thin_below:g} mm", report.thin_walls, report.thin_total)
    _print_regions(f"gaps narrower than {report.narrow_below:g} mm", report.narrow_gaps, report.narrow_total)
    for note in report.notes:
        _out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    if feasibility is None:
        return
    checks = Table(title=f"design rules for {escape(material or '')}", title_justify="left")
    for column in ("check", "measured mm", "limit mm", "ok"):
        checks.add_column(column, justify="right" if column != "check" else "left")
    t, g, z = feasibility.thickness, feasibility.gap_size, feasibility.size
    checks.add_row(
        "minimum wall (t_min ≥ t_lim_min)", _mm(t.t_min), _mm(t.t_lim_min), _check_mark(t.t_min_chk)
    )
    checks.add_row(
        "thickest section (t_max ≤ t_lim_max)", _mm(t.t_max), _mm(t.t_lim_max), _check_mark(t.t_max_chk)
    )
    checks.add_row(
        "narrowest gap (gap_min ≥ gap_lim_min)",
        _mm(g.gap_min),
        _mm(g.gap_lim_min),
        _check_mark(g.gap_min_chk),
    )
    checks.add_row(
        "smallest size (size_min ≥ size_lim_min)",
        _mm(z.size_min),
        _mm(z.size_lim_min),
        _check_mark(z.size_min_chk),
    )
    checks.add_row(
        "largest size (size_max ≤ size_lim_max)",
        _mm(z.size_max),
        _mm(z.size_lim_max),
        _check_mark(z.size_max_chk),
    )
    checks.add_row("fits the machine in some orientation", "", "", _check_mark(z.fits_mac))
    _out.print(checks)
    verdict = (
        "[green]passes the design rules[/]"
        if feasibility.passed
        else "[red]fails: " + ", ".join(feasibility.failures) + "[/]"
    )
    _out.print(verdict)


@app.command(name="thickness")
def thickness_command(
    file: Annotated[Path, typer.Argument(help="Part file: STL, OBJ, 3MF, PLY, OFF, STEP or a zip of them.")],
    units: Annotated[str | None, typer.Option(help=_UNITS_HELP)] = None,
    material: Annotated[
        str | None,
        typer.Option(
            help="Check the material's design limits (e.g. 316L, PA12, PLA); see docs/thickness.md."
        ),
    ] = None,
    machine: Annotated[
        str | None,
        typer.Option(
            help="Machine whose build volume the part must fit (default: the material's default machine)."
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(min=1, help="Sample points spread by area (default: every face, coarse faces split)."),
    ] = None,
    thin_below: Annotated[
        float | None,
        typer.Option(
            min=0.0, help="List walls thinner than this, mm (default: the material's t_lim_min or 1.0)."
        ),
    ] = None,
    narrow_below: Annotated[
        float | None,
        typer.Option(
            min=0.0, help="List gaps narrower than this, mm (default: the material's gap_lim_min or 0.5)."
        ),
    ] = None,
    per_face: Annotated[
        bool, typer.Option(help="With --json: include per-face thickness and gap arrays (mm).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Local wall thickness and gaps (mm), the thin places, and the material's design rules."""
    from makeready import catalog

    part = _load_or_fail(file, units, as_json)
    if part is None:
        return
    try:
        chosen = catalog.material(material) if material else None
        mac_name = machine or (chosen.default_machine_name if chosen else None)
        chosen_machine = catalog.machine(mac_name) if mac_name else None
    except MakereadyError as error:
        _fail(error, as_json)
        return
    thin = thin_below or (chosen.t_lim_min if chosen and chosen.t_lim_min else DEFAULT_THIN_BELOW)
    narrow = narrow_below or (chosen.gap_lim_min if chosen and chosen.gap_lim_min else DEFAULT_NARROW_BELOW)
    if thin <= 0 or narrow <= 0:
        _fail(MakereadyError("request.invalid", "--thin-below and --narrow-below must be positive"), as_json)
        return
    with _err.status("casting rays…", spinner="dots") if not as_json else _nullcontext():
        report = measure(part, samples=samples, thin_below=thin, narrow_below=narrow)
        feasibility = check_design(part, report, chosen, chosen_machine) if chosen else None
    if as_json:
        out: dict[str, Any] = {"thickness": thickness_json(report, per_face=per_face)}
        if chosen is not None and feasibility is not None:
            out["material"] = chosen.mat_name
            out["machine"] = chosen_machine.mac_name if chosen_machine else None
            out["feasibility"] = feasibility_json(feasibility)
        print(json.dumps(out, indent=2))
        return
    _out.print(f"[bold]{escape(part.name)}[/]  {part.triangle_count:,} triangles")
    _print_thickness(report, feasibility, chosen.mat_name if chosen else None)


_PROCESS_HELP = "Process: slm, ebm, fdm, sla, dlp (supported) or sls, mjf, bj (self-supporting)."


def _part_with_density(
    file: Path, units: str | None, material: str | None, as_json: bool
) -> tuple[Part, float | None] | None:
    """The part and its material's density (g/cm³, None without a material); None after a failure."""
    from makeready import catalog

    part = _load_or_fail(file, units, as_json)
    if part is None:
        return None
    try:
        return part, (catalog.material(material).mat_rho if material else None)
    except MakereadyError as error:
        _fail(error, as_json)
        return None


def _plan_rows(table: Table, plan: Any) -> None:
    table.add_row("build height bld_h mm", f"{plan.bld_h:,.3f}")
    table.add_row("layers n_lyr", f"{plan.n_lyr:,}")
    table.add_row("overhang area mm²", f"{plan.overhang_area:,.2f}")
    table.add_row("support volume full / real mm³", f"{plan.sup_vol_full:,.2f} / {plan.sup_vol_real:,.2f}")
    if plan.sup_mass is not None:
        table.add_row("support mass g", f"{plan.sup_mass:,.3f}")


@app.command(name="orient")
def orient_command(
    file: Annotated[Path, typer.Argument(help="Part file: STL, OBJ, 3MF, PLY, OFF, STEP or a zip of them.")],
    process: Annotated[str, typer.Option(help=_PROCESS_HELP)] = "fdm",
    objective: Annotated[
        str,
        typer.Option(help="balanced, support (volume mm³), height (mm), contact (mm²) or footprint (mm²)."),
    ] = "balanced",
    keep: Annotated[int, typer.Option(min=1, max=50, help="How many distinct orientations to list.")] = 5,
    material: Annotated[str | None, typer.Option(help="Material for the support mass (density).")] = None,
    units: Annotated[str | None, typer.Option(help=_UNITS_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Rank build orientations by support volume, height and more (Euler angles in degrees)."""
    from makeready.geometry.orientation import orient

    loaded = _part_with_density(file, units, material, as_json)
    if loaded is None:
        return
    part, density = loaded
    try:
        with _err.status("searching orientations…", spinner="dots") if not as_json else _nullcontext():
            ranked = orient(part, process, objective=objective, keep=keep, density=density)  # type: ignore[arg-type]
    except ValueError as error:
        _fail(MakereadyError("request.invalid", str(error)), as_json)
        return
    if as_json:
        print(
            json.dumps(
                {
                    "process": process,
                    "objective": objective,
                    "orientations": [orientation_json(o) for o in ranked],
                },
                indent=2,
            )
        )
        return
    table = Table(
        title=f"{escape(part.name)}: orientations for {escape(process)} ({objective}), best first",
        title_justify="left",
    )
    for column in (
        "#",
        "euler x y z °",
        "down",
        "bld_h mm",
        "layers",
        "support full mm³",
        "overhang mm²",
        "score",
    ):
        table.add_column(column, justify="right")
    for i, o in enumerate(ranked, 1):
        table.add_row(
            str(i),
            " ".join(f"{a:.1f}" for a in o.euler_xyz),
            " ".join(f"{a:+.2f}" for a in o.down),
            f"{o.plan.bld_h:,.2f}",
            f"{o.plan.n_lyr:,}",
            f"{o.plan.sup_vol_full:,.1f}",
            f"{o.plan.overhang_area:,.1f}",
            f"{o.score:,.1f}",
        )
    _out.print(table)
    _out.print(
        "Angles: extrinsic rotations about machine x, then y, then z. Row 1 is evaluated on the full mesh."
    )


@app.command(name="supports")
def supports_command(
    file: Annotated[Path, typer.Argument(help="Part file: STL, OBJ, 3MF, PLY, OFF, STEP or a zip of them.")],
    out: Annotated[
        Path | None, typer.Option(help="Write the support structures here (.stl, .obj or .3mf).")
    ] = None,
    process: Annotated[str, typer.Option(help=_PROCESS_HELP)] = "fdm",
    reorient: Annotated[
        bool, typer.Option("--orient", help="Use the best orientation first (default: the part as uploaded).")
    ] = False,
    material: Annotated[str | None, typer.Option(help="Material for the support mass (density).")] = None,
    units: Annotated[str | None, typer.Option(help=_UNITS_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Support volume, area, mass, build height and layers; optionally the support meshes."""
    from makeready.geometry.orientation import orient
    from makeready.geometry.supports import plan_supports, support_geometry

    loaded = _part_with_density(file, units, material, as_json)
    if loaded is None:
        return
    part, density = loaded
    try:
        with _err.status("planning supports…", spinner="dots") if not as_json else _nullcontext():
            rotation = orient(part, process, keep=1, density=density)[0].rotation if reorient else None
            plan = plan_supports(part, rotation, process, density=density)
            supports = support_geometry(part, rotation, process) if out is not None else None
            if supports is not None and out is not None and supports.triangle_count:
                save(supports, out)
    except ValueError as error:
        _fail(MakereadyError("request.invalid", str(error)), as_json)
        return
    except MakereadyError as error:
        _fail(error, as_json)
        return
    result: dict[str, Any] = {"process": process, **support_plan_json(plan)}
    if supports is not None:
        result["output"] = str(out) if supports.triangle_count else None
        result["support_triangles"] = supports.triangle_count
    if as_json:
        print(json.dumps(result, indent=2))
        return
    table = Table(
        title=f"{escape(part.name)}: supports for {escape(process)}", title_justify="left", show_header=False
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    _plan_rows(table, plan)
    _out.print(table)
    if supports is not None and supports.triangle_count:
        _out.print(f"wrote {escape(str(out))}: {supports.triangle_count:,} triangles of supports")
    elif supports is not None:
        _out.print("nothing needs support: no file written")


def _money(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:,.2f}"


@app.command(name="quote")
def quote_command(
    file: Annotated[Path, typer.Argument(help="Part file: STL, OBJ, 3MF, PLY, OFF, STEP or a zip of them.")],
    material: Annotated[
        str, typer.Option(help="Material of the primary chain (e.g. 316L, PA12, PLA).")
    ] = "316L",
    process: Annotated[
        str, typer.Option(help="Process of the primary chain (slm, ebm, sls, mjf, fdm, sla, dlp, bj).")
    ] = "slm",
    lot_size: Annotated[int, typer.Option(min=1, help="Parts ordered.")] = 1,
    units: Annotated[str | None, typer.Option(help=_UNITS_HELP)] = None,
    simple: Annotated[
        bool, typer.Option("--simplified", help="With --json: seed 000's simplified result only.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print seed 000's analysis_report.")] = False,
) -> None:
    """Cost, lead time, CO2 and feasibility of every process chain for the material (EUR, days, kg)."""
    from makeready.pipeline import run_analysis, simplified

    part = _load_or_fail(file, units, as_json)
    if part is None:
        return
    try:
        with _err.status("quoting…", spinner="dots") if not as_json else _nullcontext():
            result = run_analysis(part, material, process, lot_size)
    except MakereadyError as error:
        _fail(error, as_json)
        return
    report = result.report
    if as_json:
        print(json.dumps(simplified(report) if simple else report, indent=2, default=float))
        return
    _print_quote(result, part.name, material, lot_size)


def _print_quote(result: Any, name: str, material: str, lot_size: int) -> None:
    report = result.report
    table = Table(title=f"{escape(name)}: {lot_size} part(s), {escape(material)}", title_justify="left")
    for column in ("chain", "machine", "€/part", "€/lot", "per job", "days", "kg CO2e", "ok"):
        table.add_column(column, justify="left" if column in ("chain", "machine", "ok") else "right")
    for chain in result.chains:
        e = chain.estimate
        problem = "does not fit" if "fit" in e.reason else (e.reason or ", ".join(chain.feasibility.failures))
        ok = "[green]yes[/]" if e.feasible and chain.feasibility.passed else f"[red]{escape(problem)}[/]"
        primary = " *" if chain is result.chains[0] else ""
        table.add_row(
            f"{chain.process.prc_acronym} | {escape(chain.material.mat_name)}{primary}",
            escape(chain.machine.mac_name),
            _money(e.cost_pp),
            _money(e.cost_pl),
            f"{e.parts_pj:,}",
            f"{e.leadtime_days}" if e.feasible else "—",
            _money(e.co2_kg_pp),
            ok,
        )
    _out.print(table)
    if report["current_technology"]:
        baseline = _money(report["current_cost"]["calculated"])
        _out.print(
            f"conventional baseline: {report['current_technology']}, {baseline} EUR per lot; "
            f"saved by the primary chain (as uploaded): {_money(report['cost_saved'])} EUR"
        )
    sweep = report["process_chains"][report["primary_process_chain_id"]]["break_even"]
    if sweep.get("lot_sizes"):
        cheap = [lot for lot, am in zip(sweep["lot_sizes"], sweep["am_cheaper"], strict=True) if am]
        where = f"at lots {', '.join(map(str, cheap))}" if cheap else "at no lot size up to 10,000"
        _out.print(f"the primary chain is cheaper than {report['current_technology']} {where}")


@app.command(name="slice")
def slice_command(
    file: Annotated[Path, typer.Argument(help="Part file: STL, OBJ, 3MF, PLY, OFF, STEP or a zip of them.")],
    out: Annotated[
        Path,
        typer.Option(
            help="Printable to write: .gcode (FDM), .tar.gz (resin / jetting PNG stack), .cli (powder bed)."
        ),
    ],
    printer: Annotated[
        str, typer.Option(help="Machine from the catalog; its technology picks the printable.")
    ] = "Prusa MK4",
    material: Annotated[str | None, typer.Option(help="Material (default: the printer's).")] = None,
    layer_height: Annotated[
        float | None, typer.Option(min=0.005, help="Layer height, mm (default: the material's).")
    ] = None,
    reorient: Annotated[bool, typer.Option("--orient", help="Use the best build orientation first.")] = False,
    supports: Annotated[bool, typer.Option(help="FDM: print supports under overhangs.")] = True,
    units: Annotated[str | None, typer.Option(help=_UNITS_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_JSON_HELP)] = False,
) -> None:
    """Slice a part and write the printer's file: layers, time and material (mm, s, g)."""
    from makeready import catalog as catalog_module
    from makeready.printables.slice_job import slice_to_printable

    part = _load_or_fail(file, units, as_json)
    if part is None:
        return
    try:
        cat = catalog_module.Catalog.default()
        machine = cat.machine(printer)
        with _err.status("slicing…", spinner="dots") if not as_json else _nullcontext():
            summary = slice_to_printable(
                part, out, cat, machine, material, layer_height, reorient=reorient, supports=supports
            )
    except MakereadyError as error:
        _fail(error, as_json)
        return
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    table = Table(
        title=f"{escape(part.name)} on {escape(machine.mac_name)}", title_justify="left", show_header=False
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        table.add_row(
            key.replace("_", " "), f"{value:,.2f}" if isinstance(value, float) else escape(str(value))
        )
    _out.print(table)


@app.command(name="tray")
def tray_command(
    files: Annotated[list[Path], typer.Argument(help="Part files to place on one tray.")],
    out: Annotated[Path, typer.Option(help="Directory for the printable, the support meshes and tray.json.")],
    printer: Annotated[
        str, typer.Option(help="Printer type (seed 003 print definitions), e.g. 'Prusa MK4'.")
    ] = "Prusa MK4",
    profile: Annotated[str | None, typer.Option(help="Print profile (default: the printer type's).")] = None,
    material: Annotated[
        str | None, typer.Option(help="Print material (default: the printer type's).")
    ] = None,
    units: Annotated[str | None, typer.Option(help=_UNITS_HELP)] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the prepared tray (seed 003 shape, cm).")
    ] = False,
) -> None:
    """Place parts on a printer's tray (repair, orient, position, support) and write its printable."""
    from makeready.trays import create_tray, generate_printable, prepare

    parts: dict[str, Part] = {}
    for file in files:
        part = _load_or_fail(file, units, as_json)
        if part is None:
            return
        parts[file.stem if file.stem not in parts else f"{file.stem}-{len(parts)}"] = part
    try:
        with _err.status("preparing the tray…", spinner="dots") if not as_json else _nullcontext():
            ready = prepare(create_tray(printer, parts, profile=profile, material=material))
            content, extension, summary = generate_printable(ready)
    except MakereadyError as error:
        _fail(error, as_json)
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / f"tray.{extension}").write_bytes(content)
    for mesh_id, supports in ready.supports.items():
        save(supports, out / f"supports_{mesh_id}.stl")
    tray_json = ready.to_json()
    (out / "tray.json").write_text(json.dumps(tray_json, indent=2))
    if as_json:
        print(json.dumps({"tray": tray_json, "printable": f"tray.{extension}", **summary}, indent=2))
        return
    table = Table(
        title=f"tray on {escape(ready.printer_type.name)}: {' → '.join(ready.history)}", title_justify="left"
    )
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
    _out.print(table)
    _out.print(f"wrote {escape(str(out / f'tray.{extension}'))} ({summary['layers']} layers)")


def _print_batch(result: dict[str, Any]) -> None:
    table = Table(title="parts ranked by suitability for additive manufacturing", title_justify="left")
    for column in (
        "#",
        "part",
        "best additive",
        "EUR/part",
        "conventional",
        "EUR/part ",
        "saving",
        "kg CO2",
        "days",
    ):
        table.add_column(
            column, justify="left" if column in ("part", "best additive", "conventional") else "right"
        )
    lines = {line["part_id"]: line for line in result["parts"]}
    order = [*result["ranking"], *(p for p in lines if p not in result["ranking"])]
    for rank, part_id in enumerate(order, 1):
        line = lines[part_id]
        add, conv = line.get("best_additive"), line.get("best_conventional")
        if line["status"] != "done":
            table.add_row("—", escape(line["name"]), f"[red]{escape(line['status'])}[/]", *[""] * 6)
            continue
        table.add_row(
            str(rank),
            escape(line["name"]),
            escape(f"{add['prc_acronym']} · {add['machine']}") if add else "[red]not feasible[/]",
            _money(add["cost_pp"]) if add else "—",
            escape(f"{conv['prc_acronym']} · {conv['machine']}") if conv else "—",
            _money(conv["cost_pp"]) if conv else "—",
            _money(line.get("savings_pp")),
            f"{add['co2_pp']:.2f}" if add and add.get("co2_pp") is not None else "—",
            str(add["leadtime"]) if add else "—",
        )
    _out.print(table)
    for refusal in result["refused"]:
        name, message = escape(refusal["basename"]), escape(refusal["message"])
        _err.print(f"[yellow]refused[/] {name}: {refusal['code']}: {message}")
    counts, totals = result["counts"], result["totals"]
    _out.print(
        f"{counts['done']} analysed, {counts['error']} failed, {counts['refused']} refused; "
        f"best additive routes: {_money(totals['additive_cost_pl'])} per lot, "
        f"{totals['additive_co2_pp']:.2f} kg CO2 and a saving of {_money(totals['savings_pp'])} "
        "for one of each part"
    )


@app.command(name="batch")
def batch_command(
    paths: Annotated[
        list[Path], typer.Argument(help="Part files, folders of them, or zips (with --server).")
    ],
    material: Annotated[str, typer.Option("--material", "-m", help="Material name (mat_name).")] = "316L",
    process: Annotated[str, typer.Option("--process", "-p", help="Process acronym (prc_acronym).")] = "slm",
    lot_size: Annotated[int, typer.Option(min=1, help="Parts per lot.")] = 1,
    server: Annotated[
        str | None, typer.Option(help="Screen on a makeready server (its workers) instead of locally.")
    ] = None,
    user: Annotated[str | None, typer.Option(envvar="MAKEREADY_USER", help="Server user name.")] = None,
    password: Annotated[
        str | None, typer.Option(envvar="MAKEREADY_PASSWORD", help="Server password (or MAKEREADY_PASSWORD).")
    ] = None,
    jobs: Annotated[int, typer.Option(min=0, help="Local worker processes (0: one per core).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the combined result as JSON.")] = False,
) -> None:
    """Screen many parts at once: best additive and conventional route per part, ranked."""
    import os

    from rich.progress import Progress

    from makeready.screening import combine, part_files, screen_file

    files = part_files([str(p) for p in paths])
    missing = [f for f in files if not Path(f).is_file()]
    if missing or not files:
        _fail(MakereadyError("file.not_found", f"no such file: {missing[0] if missing else paths}"), as_json)
        return
    if server:
        from makeready.client import Client, ServerError

        try:
            with Client(server, username=user or "admin", password=password) as client:
                created = client.create_batch(
                    [Path(f) for f in files], mat_name=material, prc_acronym=process, lot_size=lot_size
                )
                with Progress(console=_err, transient=True, disable=as_json) as bar:
                    task = bar.add_task(f"screening {len(created['parts'])} parts on {server}", total=1.0)
                    result = client.wait_batch(
                        created["batch_id"], progress=lambda b: bar.update(task, completed=b["progress"])
                    )
        except ServerError as error:
            _err.print(f"[red]error[/] {error.code}: {escape(error.message)}")
            raise typer.Exit(2) from None
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        outcomes: dict[str, dict[str, Any]] = {}
        with (
            ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool,
            Progress(console=_err, transient=True, disable=as_json) as bar,
        ):
            task = bar.add_task(f"screening {len(files)} parts", total=len(files))
            futures = {pool.submit(screen_file, f, material, process, lot_size): f for f in files}
            for future in as_completed(futures):
                outcomes[futures[future]] = future.result()
                bar.advance(task)
        ordered = [outcomes[f] for f in files]
        result = combine([o for o in ordered if "status" in o], [o for o in ordered if "code" in o])
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        _print_batch(result)


users_app = typer.Typer(
    help="Manage the service's users (passwords hashed with argon2).", no_args_is_help=True
)
clients_app = typer.Typer(help="Manage the service's API clients.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(clients_app, name="clients")


@app.command(name="serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (MAKEREADY_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (MAKEREADY_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Embedded job threads (MAKEREADY_WORKERS).")] = None,
) -> None:
    """Run the REST service (both seed APIs); jobs run inside it unless MAKEREADY_JOBS=celery."""
    import uvicorn

    from makeready.service import create_app
    from makeready.settings import Settings

    changes = {k: v for k, v in (("host", host), ("port", port), ("workers", workers)) if v is not None}
    settings = Settings(**changes)  # type: ignore[arg-type]
    _err.print(f"makeready serving on [bold]{settings.base_url}[/] (docs: {settings.base_url}/docs, "
               f"data: {escape(str(settings.data_dir))})")  # fmt: skip
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning",
                access_log=False, proxy_headers=True)  # fmt: skip


@app.command(name="worker")
def worker_command(
    queues: Annotated[
        str | None,
        typer.Option(help="Comma-separated queues without the prefix, e.g. heavy (default: all of them)."),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Worker processes (MAKEREADY_WORKER_CONCURRENCY, default: cores).")
    ] = None,
    pool: Annotated[
        str, typer.Option(help="Celery pool: prefork (isolates geometry), solo or threads.")
    ] = "prefork",
    loglevel: Annotated[str, typer.Option(help="Celery's log level.")] = "INFO",
    supervised: Annotated[
        bool,
        typer.Option(
            "--supervised/--no-supervise",
            help="Keep the Celery worker alive: restart it when it exits or when Redis restarts.",
        ),
    ] = True,
) -> None:
    """Run a Celery worker for the scaled mode (MAKEREADY_JOBS=celery, MAKEREADY_BROKER_URL).

    It runs jobs from the broker's queues against the shared database and blob store, and
    sweeps: jobs of dead workers and lost messages are sent again.
    """
    import os

    from makeready.jobs.celery import celery_app
    from makeready.settings import Settings
    from makeready.store.connect import open_database

    # Worker processes read their settings from the environment: pass the options on that way.
    os.environ["MAKEREADY_JOBS"] = "celery"
    if concurrency is not None:
        os.environ["MAKEREADY_WORKER_CONCURRENCY"] = str(concurrency)
    settings = Settings()
    if supervised:
        from makeready.jobs.supervise import supervise

        child = [
            sys.executable,
            "-m",
            "makeready",
            "worker",
            "--no-supervise",
            f"--pool={pool}",
            f"--loglevel={loglevel}",
        ]
        if queues is not None:
            child.append(f"--queues={queues}")
        raise typer.Exit(supervise(child, settings.broker_url))
    open_database(settings).migrate()  # a worker may start before any API process
    chosen = (
        settings.queues
        if queues is None
        else [f"{settings.queue_prefix}.{q.strip()}" for q in queues.split(",")]
    )
    _err.print(f"makeready worker: {settings.worker_concurrency} x {pool} on {', '.join(chosen)}")
    celery_app(settings).worker_main(
        [
            "worker",
            f"--queues={','.join(chosen)}",
            f"--concurrency={settings.worker_concurrency}",
            f"--pool={pool}",
            f"--loglevel={loglevel}",
            f"--hostname=makeready-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )


def _database() -> Any:
    from makeready.settings import Settings
    from makeready.store.connect import open_database

    db = open_database(Settings())
    db.migrate()
    return db


@users_app.command(name="create")
def users_create(
    name: Annotated[str, typer.Argument(help="Username.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, help="At least 8 characters.")],
    scopes: Annotated[str, typer.Option(help="Space-separated: read, write, admin.")] = "read write",
) -> None:
    """Create a user who signs in with a password (token endpoint, password grant)."""
    from makeready.service.accounts import create_user

    try:
        user = create_user(_database(), name, password, scopes)
    except MakereadyError as error:
        _fail(error, False)
        return
    _out.print(f"user [bold]{escape(user.username)}[/] created (scopes: {user.scopes})")


@clients_app.command(name="create")
def clients_create(
    client_id: Annotated[str, typer.Argument(help="Client id (the seed's BACKEND_ID).")],
    scopes: Annotated[str, typer.Option(help="Space-separated: read, write, admin.")] = "read write",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {client_id, client_secret} as JSON.")
    ] = False,
) -> None:
    """Create a confidential API client and print its secret (shown once, stored hashed)."""
    from makeready.service.accounts import create_client

    try:
        client, secret = create_client(_database(), client_id, None, scopes)
    except MakereadyError as error:
        _fail(error, as_json)
        return
    if as_json:
        print(json.dumps({"client_id": client.client_id, "client_secret": secret}))
        return
    _out.print(f"client [bold]{escape(client.client_id)}[/] created (scopes: {client.scopes})")
    _out.print("client secret (store it now; it is not shown again):")
    print(secret)


class _nullcontext:  # noqa: N801 - mirrors contextlib.nullcontext, typed for rich's status
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def main() -> None:
    """Console-script entry point: run the app and map unexpected failures to exit code 1."""
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # a bug, not bad input: say so and keep the exit code distinct
        _err.print(f"[bold red]internal error[/] {type(exc).__name__}: {exc}")
        sys.exit(EXIT_INTERNAL)
