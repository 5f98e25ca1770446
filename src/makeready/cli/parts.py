"""One part at a time: ``info``, ``analyze``, ``repair``, ``thickness``, ``orient``, ``supports``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from makeready.cli import complete
from makeready.cli.app import app
from makeready.cli.console import (
    FILE_HELP,
    JSON_HELP,
    PROCESS_HELP,
    UNITS_HELP,
    mm,
    out,
    print_json,
    progress_bar,
    reports_errors,
    status_mark,
)
from makeready.errors import MakereadyError
from makeready.geometry.formats import load, save
from makeready.geometry.vocabulary import (
    ALL_ACTIONS,
    ALL_TYPES,
    DEFAULT_ACTIONS,
    DEFAULT_NARROW_BELOW,
    DEFAULT_THIN_BELOW,
)
from makeready.progress import Stage
from makeready.rendering.documents import analysis_json, repair_json, thickness_json
from makeready.rendering.spark import brep_json, feasibility_json, orientation_json, support_plan_json

if TYPE_CHECKING:  # the geometry code loads when a command runs, not when the CLI starts
    from makeready.geometry.analysis import AnalysisReport
    from makeready.geometry.design_rules import Feasibility
    from makeready.geometry.mesh import Part
    from makeready.geometry.repair import RepairReport
    from makeready.geometry.thickness import Region, ThicknessReport

FileArg = Annotated[Path, typer.Argument(help=FILE_HELP, show_default=False)]
UnitsOpt = Annotated[str | None, typer.Option(help=UNITS_HELP)]
JsonOpt = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
MaterialOpt = Annotated[
    str | None,
    typer.Option(help="Material for the support mass (density, g/cm³).", autocompletion=complete.materials),
]
ProcessOpt = Annotated[str, typer.Option(help=PROCESS_HELP, autocompletion=complete.processes)]


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
        "brep": brep_json(part),
        "textures": _textures(part),
        "notes": list(part.notes),
        "metadata": dict(part.metadata),
    }


def _bytes(count: int) -> str:
    """A size for people: 422 kB, 1.4 MB, 380 B."""
    if count >= 1_000_000:
        return f"{count / 1e6:,.1f} MB"
    return f"{count / 1000:,.0f} kB" if count >= 1000 else f"{count} B"


def _textures(part: Part) -> dict[str, Any]:
    """Texture coordinates and images the part carries (OBJ+MTL, 3MF textures)."""
    import numpy as np

    textured, images = 0, []
    for body in part.bodies:
        if body.appearance is None:
            continue
        textured += int(np.isfinite(body.appearance.uvs).all(axis=(1, 2)).sum())
        for image in body.appearance.textures:
            entry = {"name": image.name, "media_type": image.media_type, "bytes": len(image.data)}
            if entry not in images:
                images.append(entry)
    return {"has_uvs": part.has_uvs, "triangles_with_uvs": textured, "images": images}


def _print_brep(part: Part) -> None:
    """The exact B-rep values beside the mesh's (STEP parts)."""
    brep = brep_json(part)
    if brep is None:
        return
    if brep["volume_mm3"] is None:
        out.print(f"B-rep (exact): open shape, area {brep['area_mm2']:,.3f} mm² — no volume")
        return
    deviation = brep["mesh_volume_deviation_mm3"]
    centre = ", ".join(f"{x:,.3f}" for x in brep["center_of_mass"])
    out.print(
        f"B-rep (exact): volume {brep['volume_mm3']:,.3f} mm³ (mesh {deviation:+,.3f}, bound "
        f"±{brep['volume_bound_mm3']:,.1f}), area {brep['area_mm2']:,.3f} mm², centre of mass {centre}"
    )


def _notes(notes: tuple[str, ...] | list[str]) -> None:
    for note in notes:
        out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


@app.command(rich_help_panel="Parts")
@reports_errors
def info(file: FileArg, units: UnitsOpt = None, as_json: JsonOpt = False) -> None:
    """Bodies, triangles, vertices, volume (mm³), area (mm²) and bounding box (mm) of a part."""
    part = load(file, units=units)
    summary = part_summary(part)
    if as_json:
        print_json(summary)
        return
    out.print(
        f"[bold]{escape(part.name)}[/]  {part.source_format}, units {part.source_units} → mm, "
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
    out.print(table)
    box = summary["bounding_box_mm"]
    spans = zip("xyz", box["min"], box["max"], box["size"], strict=True)
    out.print(
        "bounding box mm: " + "  ".join(f"{axis} {a:.3f} … {b:.3f} ({s:.3f})" for axis, a, b, s in spans)
    )
    _print_brep(part)
    textures = summary["textures"]
    if textures["has_uvs"]:
        named = ", ".join(f"{escape(i['name'])} ({_bytes(i['bytes'])})" for i in textures["images"])
        out.print(
            f"textures: {textures['triangles_with_uvs']:,} of {part.triangle_count:,} triangles with UVs; "
            f"images: {named or 'none read'}"
        )
    _notes(part.notes)


def _print_analysis(report: AnalysisReport, title: str) -> None:
    part = report.part
    bodies = "body" if len(part.bodies) == 1 else "bodies"
    shells = "shell" if report.shells == 1 else "shells"
    out.print(
        f"[bold]{escape(title)}[/]  {part.triangle_count:,} triangles, {len(part.bodies)} {bodies}, "
        f"{report.shells} {shells}"
    )
    out.print(
        f"watertight {status_mark(report.watertight)}   winding consistent "
        f"{status_mark(report.winding_consistent)}   valid volume {status_mark(report.valid_volume)}"
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
    out.print(problems)
    m = report.metrics
    metrics = Table(title="metrics (mm)", title_justify="left", show_header=False)
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    metrics.add_row("volume mm³", f"{m.volume:,.3f}")
    metrics.add_row("surface area mm²", f"{m.area:,.3f}")
    metrics.add_row("bounding box (bb_x, bb_y, bb_z)", " × ".join(f"{x:,.3f}" for x in m.extents))
    metrics.add_row("minimum oriented box (min_bb)", " × ".join(f"{x:,.3f}" for x in m.oriented_box.extents))
    hull = f"{m.hull_volume:,.3f}" + ("" if m.hull_exact else " (thinned hull)")
    metrics.add_row("convex hull volume mm³", hull)
    metrics.add_row("centroid", ", ".join(f"{x:,.3f}" for x in m.centroid))
    genus = m.genus if m.genus is not None else "—"
    metrics.add_row("Euler characteristic / genus", f"{m.euler_characteristic} / {genus}")
    out.print(metrics)
    _print_brep(part)


@app.command(name="analyze", rich_help_panel="Parts")
@reports_errors
def analyze_command(
    file: FileArg,
    units: UnitsOpt = None,
    self_intersections: Annotated[
        bool, typer.Option(help="Search for intersecting triangles (the slowest check).")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Mesh problems (the eight types, self-intersections, shells) and metrics (mm, mm², mm³)."""
    with progress_bar("analysing", quiet=as_json) as progress:
        progress(0.02, Stage.READING)
        part = load(file, units=units)
        progress(0.1, Stage.MESH_CHECKS)
        from makeready.geometry.analysis import analyze

        report = analyze(part, self_intersections=self_intersections)
    if as_json:
        print_json(analysis_json(report))
        return
    _print_analysis(report, part.name)


def _print_repair(report: RepairReport, target: Path) -> None:
    table = Table(title="repair actions", title_justify="left")
    table.add_column("action")
    table.add_column("count", justify="right")
    table.add_column("detail")
    for action in report.actions:
        table.add_row(action.title, f"{action.count:,}", escape(action.detail))
    out.print(table)
    before, after = report.volume_before, report.volume_after
    change = (after - before) / abs(before) * 100 if before else float("nan")
    out.print(f"volume mm³: {before:,.3f} → {after:,.3f} ({change:+.3f} %)")
    _print_analysis(report.after, f"{target.name} (repaired)")
    _notes(report.notes)
    verdict = "[green]repaired[/]" if report.succeeded else "[red]problems remain[/]"
    out.print(f"{verdict}: wrote {escape(str(target))}")


@app.command(name="repair", rich_help_panel="Parts")
@reports_errors
def repair_command(
    source: Annotated[Path, typer.Argument(help="Part file to repair.", show_default=False)],
    target: Annotated[
        Path,
        typer.Argument(help="Where to write the repaired part (.stl, .obj or .3mf).", show_default=False),
    ],
    units: UnitsOpt = None,
    action: Annotated[
        list[str] | None,
        typer.Option(help=f"Run only these steps (repeatable): {', '.join(ALL_ACTIONS)}."),
    ] = None,
    target_faces: Annotated[
        int | None,
        typer.Option(min=4, help="Decimate to about this many triangles, keeping the volume within 1 %."),
    ] = None,
    stitch_tolerance: Annotated[
        float | None, typer.Option(min=0.0, help="Weld boundary vertices closer than this, mm.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Repair a part (every body kept) and write it; report what was done and what is left."""
    steps = tuple(action) if action else DEFAULT_ACTIONS
    unknown = sorted(set(steps) - set(ALL_ACTIONS))
    if unknown:
        raise MakereadyError(
            "request.invalid", f"unknown repair action(s) {unknown}; choose from {list(ALL_ACTIONS)}"
        )
    if target_faces is not None and "decimate" not in steps:
        steps = (*steps, "decimate")
    with progress_bar("repairing", quiet=as_json) as progress:
        progress(0.02, Stage.READING)
        part = load(source, units=units)
        progress(0.1, Stage.REPAIRING)
        from makeready.geometry.repair import repair

        fixed, report = repair(
            part, actions=steps, target_faces=target_faces, stitch_tolerance=stitch_tolerance
        )
        progress(0.9, Stage.WRITING)
        save(fixed, target)
    if as_json:
        print_json({"output": str(target), **repair_json(report)})
        return
    _print_repair(report, target)


def _print_regions(title: str, regions: tuple[Region, ...], total: int) -> None:
    if not total:
        return
    table = Table(title=f"{title} ({total:,}: walls first, worst first)", title_justify="left")
    table.add_column("what")
    for column in ("value mm", "worst point (x, y, z) mm", "area mm²", "faces"):
        table.add_column(column, justify="right")
    for region in regions[:10]:
        table.add_row(
            region.category.replace("_", " "),
            f"{region.value:,.3f}",
            ", ".join(f"{x:,.2f}" for x in region.worst),
            f"{region.area:,.2f}",
            f"{len(region.faces):,}",
        )
    out.print(table)
    if total > 10:
        out.print(f"… and {total - 10:,} more (see --json)")


def _print_design_rules(feasibility: Feasibility, material: str) -> None:
    checks = Table(title=f"design rules for {escape(material)}", title_justify="left")
    for column in ("check", "measured mm", "limit mm", "ok"):
        checks.add_column(column, justify="right" if column != "check" else "left")
    t, g, z = feasibility.thickness, feasibility.gap_size, feasibility.size
    checks.add_row("minimum wall (t_min ≥ t_lim_min)", mm(t.t_min), mm(t.t_lim_min), status_mark(t.t_min_chk))
    checks.add_row(
        "thickest section (t_max ≤ t_lim_max)", mm(t.t_max), mm(t.t_lim_max), status_mark(t.t_max_chk)
    )
    checks.add_row(
        "narrowest gap (gap_min ≥ gap_lim_min)", mm(g.gap_min), mm(g.gap_lim_min), status_mark(g.gap_min_chk)
    )
    checks.add_row(
        "smallest size (size_min ≥ size_lim_min)",
        mm(z.size_min),
        mm(z.size_lim_min),
        status_mark(z.size_min_chk),
    )
    checks.add_row(
        "largest size (size_max ≤ size_lim_max)",
        mm(z.size_max),
        mm(z.size_lim_max),
        status_mark(z.size_max_chk),
    )
    checks.add_row("fits the machine in some orientation", "", "", status_mark(z.fits_mac))
    out.print(checks)
    failures = ", ".join(feasibility.failures)
    out.print("[green]passes the design rules[/]" if feasibility.passed else f"[red]fails: {failures}[/]")


def _print_thickness(report: ThicknessReport) -> None:
    summary = Table(title="wall thickness and gaps (mm)", title_justify="left", show_header=False)
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    summary.add_row("t_min (thinnest wall)", mm(report.t_min))
    summary.add_row("t_max (largest inscribed ball)", mm(report.t_max))
    summary.add_row(
        "gap_min (narrowest gap)", mm(report.gap_min) if report.gap_min is not None else "no gaps"
    )
    summary.add_row("sample points", f"{report.samples:,} ({report.engine} rays)")
    summary.add_row("confidence", report.confidence if report.confidence == "high" else "[red]low[/]")
    out.print(summary)
    _print_regions(f"walls thinner than {report.thin_below:g} mm", report.thin_walls, report.thin_total)
    _print_regions(f"gaps narrower than {report.narrow_below:g} mm", report.narrow_gaps, report.narrow_total)
    _notes(report.notes)


@app.command(name="thickness", rich_help_panel="Parts")
@reports_errors
def thickness_command(
    file: FileArg,
    units: UnitsOpt = None,
    material: Annotated[
        str | None,
        typer.Option(
            help="Check the material's design limits (e.g. 316L, PA12, PLA); see docs/thickness.md.",
            autocompletion=complete.materials,
        ),
    ] = None,
    machine: Annotated[
        str | None,
        typer.Option(
            help="Machine whose build volume the part must fit (default: the material's default machine).",
            autocompletion=complete.machines,
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
    as_json: JsonOpt = False,
) -> None:
    """Local wall thickness and gaps (mm), the thin places, and the material's design rules."""
    from makeready import catalog

    chosen = catalog.material(material) if material else None
    mac_name = machine or (chosen.default_machine_name if chosen else None)
    chosen_machine = catalog.machine(mac_name) if mac_name else None
    thin = thin_below or (chosen.t_lim_min if chosen and chosen.t_lim_min else DEFAULT_THIN_BELOW)
    narrow = narrow_below or (chosen.gap_lim_min if chosen and chosen.gap_lim_min else DEFAULT_NARROW_BELOW)
    if thin <= 0 or narrow <= 0:
        raise MakereadyError("request.invalid", "--thin-below and --narrow-below must be positive")
    with progress_bar("measuring", quiet=as_json) as progress:
        progress(0.02, Stage.READING)
        part = load(file, units=units)
        progress(0.1, Stage.WALL_THICKNESS)
        from makeready.geometry.design_rules import check_design
        from makeready.geometry.thickness import measure

        report = measure(part, samples=samples, thin_below=thin, narrow_below=narrow)
        progress(0.95, Stage.DESIGN_RULES)
        feasibility = check_design(part, report, chosen, chosen_machine) if chosen else None
    if as_json:
        result: dict[str, Any] = {"thickness": thickness_json(report, per_face=per_face)}
        if chosen is not None and feasibility is not None:
            result["material"] = chosen.mat_name
            result["machine"] = chosen_machine.mac_name if chosen_machine else None
            result["feasibility"] = feasibility_json(feasibility)
        print_json(result)
        return
    out.print(f"[bold]{escape(part.name)}[/]  {part.triangle_count:,} triangles")
    _print_thickness(report)
    if feasibility is not None and chosen is not None:
        _print_design_rules(feasibility, chosen.mat_name)


def _density(material: str | None) -> float | None:
    from makeready import catalog

    return catalog.material(material).mat_rho if material else None


def _plan_rows(table: Table, plan: Any) -> None:
    table.add_row("build height bld_h mm", f"{plan.build_height:,.3f}")
    table.add_row("layers n_lyr", f"{plan.layer_count:,}")
    table.add_row("overhang area mm²", f"{plan.overhang_area:,.2f}")
    table.add_row(
        "support volume full / real mm³", f"{plan.support_volume:,.2f} / {plan.support_material_volume:,.2f}"
    )
    if plan.support_mass is not None:
        table.add_row("support mass g", f"{plan.support_mass:,.3f}")


@app.command(name="orient", rich_help_panel="Parts")
@reports_errors
def orient_command(
    file: FileArg,
    process: ProcessOpt = "fdm",
    objective: Annotated[
        str,
        typer.Option(
            help="cost (EUR per part from the cost engine, as quotes and trays rank), balanced,"
            " support (volume mm³), height (mm), contact (mm²) or footprint (mm²)."
        ),
    ] = "balanced",
    keep: Annotated[int, typer.Option(min=1, max=50, help="How many distinct orientations to list.")] = 5,
    material: MaterialOpt = None,
    lot: Annotated[int, typer.Option(min=1, help="Parts ordered (with --objective cost).")] = 1,
    units: UnitsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rank build orientations by cost, support volume, height and more (Euler angles in degrees)."""
    from makeready.geometry.orientation import orient

    density = _density(material)
    with progress_bar("orienting", quiet=as_json) as progress:
        progress(0.02, Stage.READING)
        part = load(file, units=units)
        goal: Any = objective
        if objective == "cost":
            from makeready import catalog
            from makeready.costing.objective import catalog_objective
            from makeready.geometry.analysis import analyze

            progress(0.05, Stage.WALL_THICKNESS)
            goal, chosen = catalog_objective(
                analyze(part).metrics, catalog.Catalog.default(), process, material, lot
            )
            density = chosen.mat_rho
        progress(0.1, Stage.ORIENTING)
        try:
            ranked = orient(part, process, objective=goal, keep=keep, density=density)
        except ValueError as error:
            raise MakereadyError("request.invalid", str(error)) from None
    if as_json:
        print_json(
            {
                "process": process,
                "objective": objective,
                "lot_size": lot,
                "orientations": [orientation_json(o) for o in ranked],
            }
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
        "EUR/part" if objective == "cost" else "score",
    ):
        table.add_column(column, justify="right")
    for i, o in enumerate(ranked, 1):
        table.add_row(
            str(i),
            " ".join(f"{a:.1f}" for a in o.euler_xyz),
            " ".join(f"{a:+.2f}" for a in o.down),
            f"{o.plan.build_height:,.2f}",
            f"{o.plan.layer_count:,}",
            f"{o.plan.support_volume:,.1f}",
            f"{o.plan.overhang_area:,.1f}",
            f"{o.score:,.2f}" if objective == "cost" else f"{o.score:,.1f}",
        )
    out.print(table)
    out.print(
        "Angles: extrinsic rotations about machine x, then y, then z. Row 1 is evaluated on the full mesh."
    )


@app.command(name="supports", rich_help_panel="Parts")
@reports_errors
def supports_command(
    file: FileArg,
    target: Annotated[
        Path | None, typer.Option("--out", help="Write the support structures here (.stl, .obj or .3mf).")
    ] = None,
    process: ProcessOpt = "fdm",
    reorient: Annotated[
        bool, typer.Option("--orient", help="Use the best orientation first (default: the part as uploaded).")
    ] = False,
    material: MaterialOpt = None,
    units: UnitsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Support volume (mm³), area (mm²), mass (g), build height (mm) and layers; optionally the meshes."""
    from makeready.geometry.orientation import orient
    from makeready.geometry.supports import plan_supports, support_geometry

    density = _density(material)
    with progress_bar("planning supports", quiet=as_json) as progress:
        progress(0.02, Stage.READING)
        part = load(file, units=units)
        try:
            progress(0.1, Stage.ORIENTING if reorient else Stage.SUPPORTS)
            rotation = orient(part, process, keep=1, density=density)[0].rotation if reorient else None
            progress(0.5, Stage.SUPPORTS)
            plan = plan_supports(part, rotation, process, density=density)
            supports = support_geometry(part, rotation, process) if target is not None else None
        except ValueError as error:
            raise MakereadyError("request.invalid", str(error)) from None
        if supports is not None and target is not None and supports.triangle_count:
            progress(0.95, Stage.WRITING)
            save(supports, target)
    result: dict[str, Any] = {"process": process, **support_plan_json(plan)}
    if supports is not None:
        result["output"] = str(target) if supports.triangle_count else None
        result["support_triangles"] = supports.triangle_count
    if as_json:
        print_json(result)
        return
    table = Table(
        title=f"{escape(part.name)}: supports for {escape(process)}", title_justify="left", show_header=False
    )
    table.add_column("figure")
    table.add_column("value", justify="right")
    _plan_rows(table, plan)
    out.print(table)
    if supports is not None and supports.triangle_count:
        out.print(f"wrote {escape(str(target))}: {supports.triangle_count:,} triangles of supports")
    elif supports is not None:
        out.print("nothing needs support: no file written")
